#!/usr/bin/env bash
# Idempotent set-up of .venv: the CPU build of torch where there is no CUDA GPU (a plain
# `pip install torch` would pull a multi-GB CUDA build), then igrag-gui itself with its test and
# bundle tools, at exactly the versions in requirements.lock (what CI tested; refresh it with
# scripts/refresh_lock.sh). IGRAG_NO_LOCK=1 resolves the newest versions pyproject.toml allows
# instead (scripts/test_newest.sh). A second run with nothing changed returns in well under a second.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${IGRAG_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${IGRAG_TORCH_VERSION:-2.13.0}
STAMP="$VENV/.igrag-setup"
LOCK="$ROOT/requirements.lock"
constraints=(-c "$LOCK")
[ -n "${IGRAG_NO_LOCK:-}" ] && constraints=()
want=$( (cat "$ROOT/pyproject.toml" "$ROOT/scripts/setup.sh"; [ -n "${IGRAG_NO_LOCK:-}" ] || cat "$LOCK") \
        | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/igrag" ]; then
    exit 0
fi

"$PYTHON" - <<'PY' || { echo "setup: igrag-gui needs Python 3.10 or newer (set PYTHON=python3.11)" >&2; exit 2; }
import sys; sys.exit(sys.version_info < (3, 10))
PY

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)

if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        echo "setup: CUDA GPU found: installing torch $TORCH_VERSION (CUDA build)"
        "${pip[@]}" install "torch==$TORCH_VERSION"
    else
        echo "setup: no CUDA GPU: installing the CPU build of torch $TORCH_VERSION"
        # A local CPU wheel (pip's find-links) when the machine has one, else PyTorch's CPU index.
        "${pip[@]}" install --no-index --no-deps "torch==$TORCH_VERSION" 2>/dev/null \
            || "${pip[@]}" install --no-deps "torch==$TORCH_VERSION" \
                   --index-url https://download.pytorch.org/whl/cpu
    fi
fi

echo "setup: installing igrag-gui and its dependencies into $VENV${constraints:+ (versions from requirements.lock)}"
"${pip[@]}" install --quiet "${constraints[@]}" -e "$ROOT[dev]"
echo "$want" > "$STAMP"
echo "setup: done"
