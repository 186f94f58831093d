#!/usr/bin/env bash
# Release check, as a new user's machine would see it: a brand-new venv installed only from
# requirements.lock, the bundle built from it, then packaging/smoke_test.py: the bundle copied to a
# read-only folder and every check (params, training, inspect, generate, --self-test, screenshots)
# run as an unprivileged user with a fresh HOME, one line and one time per check.
#   bash scripts/fresh_venv_smoke.sh          (about 5 minutes on 2 cores; CI runs the same steps)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(mktemp -d "${TMPDIR:-/tmp}/igrag-fresh-venv-XXXXXX")
trap 'rm -rf "$VENV"' EXIT
start=$(date +%s)
IGRAG_VENV="$VENV" bash "$ROOT/scripts/setup.sh"
echo "fresh-venv smoke: venv from requirements.lock in $(( $(date +%s) - start )) s"
IGRAG_VENV="$VENV" QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} bash "$ROOT/scripts/build_bundle.sh"
echo "fresh-venv smoke: passed in $(( $(date +%s) - start )) s"
