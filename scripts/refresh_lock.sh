#!/usr/bin/env bash
# Refresh requirements.lock: resolve the newest versions pyproject.toml allows (the dev extra:
# tests and the bundle tools) in a throw-away venv, and write them pinned, one per line.
#   bash scripts/refresh_lock.sh            # then run the suite (bash scripts/test.sh) and commit
# torch is pinned without its local build label (2.13.0, not 2.13.0+cpu), so the same lock serves
# the CPU and the CUDA build that setup.sh picks. Nothing is written unless the resolve succeeds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/igrag-lock-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
IGRAG_VENV="$WORK/venv" IGRAG_NO_LOCK=1 bash "$ROOT/scripts/setup.sh" >&2
{
    echo "# Pinned versions that CI, scripts/test.sh and the bundle build install (pip constraints)."
    echo "# Made by scripts/refresh_lock.sh on $(date -u +%Y-%m-%d) with Python $("$WORK/venv/bin/python" -c 'import platform; print(platform.python_version())'); do not edit by hand."
    "$WORK/venv/bin/python" -m pip --disable-pip-version-check freeze --exclude-editable --all \
        | grep -viE '^(pip|setuptools|wheel)==' | sed -E 's/^(torch==[^+]+)\+.*/\1/' | LC_ALL=C sort -f
} > "$WORK/requirements.lock"
mv "$WORK/requirements.lock" "$ROOT/requirements.lock"
echo "refresh_lock: wrote $ROOT/requirements.lock ($(grep -vc '^#' "$ROOT/requirements.lock") packages)" >&2
