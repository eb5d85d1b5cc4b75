#!/usr/bin/env bash
# Makes the project's Python environment (.venv/ at the repository root, or $FACEREENACT_VENV) and
# installs the pinned requirements files given as arguments into it (PyPI only). Safe to run
# again: a file already installed unchanged is skipped. Prints the environment's python.
#   scripts/python_env.sh tools/liveportrait/requirements-convert.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${FACEREENACT_VENV:-$ROOT/.venv}
# One installer at a time (tests run in parallel and may all ask for it on a fresh clone).
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
for req in "$@"; do
  stamp="$VENV/.installed-$(basename "$req")"
  if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    printf '\033[1m[python]\033[0m installing %s into %s\n' "$req" "$VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2
    cp "$req" "$stamp"
  fi
done
echo "$VENV/bin/python"
