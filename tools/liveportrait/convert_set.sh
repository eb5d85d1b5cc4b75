#!/usr/bin/env bash
# Converts a LivePortrait ONNX set (e.g. FasterLivePortrait's release) into one the facereenact
# engine runs on every execution provider, checked against the original:
#   tools/liveportrait/convert_set.sh IN_DIR OUT_DIR [--half]
# Installs onnx, onnxruntime, numpy and onnxconverter-common (pinned, PyPI) into the project's
# .venv/ on first use. See convert_set.py for what it changes and checks.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=$(bash "$ROOT/scripts/python_env.sh" "$ROOT/tools/liveportrait/requirements-convert.txt")
exec "$PY" "$ROOT/tools/liveportrait/convert_set.py" "$@"
