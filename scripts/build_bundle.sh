#!/usr/bin/env bash
# Build the onedir PyInstaller bundle (dist/igrag-gui/) from this checkout, then smoke-test it.
#   bash scripts/build_bundle.sh            # build + smoke test
#   IGRAG_SKIP_SMOKE=1 bash scripts/build_bundle.sh
# Prints the build time, the bundle's size and its ten largest contributors.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
VENV=${IGRAG_VENV:-$ROOT/.venv}  # setup.sh installed PyInstaller (the dev extra) at the locked version
start=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN igrag.spec
end=$(date +%s)
echo "bundle: built dist/igrag-gui in $((end - start)) s"
echo "bundle: size $(du -sh dist/igrag-gui | cut -f1); largest contributors:"
# awk reads all of sort's output (no `head`): under pipefail a closed pipe would fail the build (SIGPIPE, 141).
du -sk dist/igrag-gui/_internal/* | sort -rn | awk 'NR <= 10 {printf "  %8.1f MB  %s\n", $1/1024, $2}'
if [ -z "${IGRAG_SKIP_SMOKE:-}" ]; then
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$VENV/bin/python" packaging/smoke_test.py dist/igrag-gui
fi
