#!/usr/bin/env bash
# The suite against the newest versions pyproject.toml allows, in its own venv (.venv-newest), so
# an upstream release that breaks us is seen here, not by a user. When the newest versions are the
# locked ones there is nothing new to test and it says so. Exit 0 when the suite passes (or nothing
# is new), 1 when it fails; the last line says which, naming the versions that differ from the lock.
#   bash scripts/test_newest.sh [pytest args]
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${IGRAG_NEWEST_VENV:-$ROOT/.venv-newest}
LOG=${IGRAG_NEWEST_LOG:-$VENV/newest-suite.log}
if ! IGRAG_VENV="$VENV" IGRAG_NO_LOCK=1 bash "$ROOT/scripts/setup.sh"; then
    echo "newest versions: could not install them (see above)"
    exit 1
fi
newer=$(comm -13 <(grep -v '^#' "$ROOT/requirements.lock" | tr 'A-Z' 'a-z' | sort) \
                 <("$VENV/bin/python" -m pip --disable-pip-version-check freeze --exclude-editable --all \
                   | grep -viE '^(pip|setuptools|wheel)==' | sed -E 's/^(torch==[^+]+)\+.*/\1/' | tr 'A-Z' 'a-z' | sort) \
        | tr '\n' ' ')
if [ -z "$newer" ]; then
    echo "newest versions: the same as requirements.lock; nothing new to test"
    exit 0
fi
echo "newest versions differ from the lock: $newer"
if IGRAG_VENV="$VENV" bash "$ROOT/scripts/test.sh" -q -p no:cacheprovider "$@" > "$LOG" 2>&1; then
    echo "newest versions: the suite passes with $newer(log: $LOG)"
    exit 0
fi
tail -n 30 "$LOG" | sed 's/^/  newest | /'
echo "newest versions: the suite FAILS with $newer(log: $LOG); refresh the lock only after fixing"
exit 1
