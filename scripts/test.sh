#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite, headless and offline.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
# One worker a core, up to IGRAG_TEST_WORKERS (default 2; 0 runs in this process). A file's tests
# stay on one worker (--dist loadfile): its module fixtures (trained demo runs) are made once.
workers=${IGRAG_TEST_WORKERS:-2}
cores=$(nproc 2>/dev/null || echo 1)
[ "$workers" -gt "$cores" ] && workers=$cores
parallel=()
[ "$workers" -gt 1 ] && parallel=(-n "$workers" --dist loadfile)
exec "${IGRAG_VENV:-$ROOT/.venv}/bin/python" -m pytest "${parallel[@]}" "$@"
