#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite, headless and offline.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
exec "${IGRAG_VENV:-$ROOT/.venv}/bin/python" -m pytest "$@"
