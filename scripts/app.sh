#!/usr/bin/env bash
# Set up (first time only) and open igrag-gui with the demo config, ready to train.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
exec "${IGRAG_VENV:-$ROOT/.venv}/bin/igrag-gui" "$@"
