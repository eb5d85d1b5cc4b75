#!/usr/bin/env bash
# Sets everything up, then runs all tests (unit, GStreamer harness, end-to-end on the demo media
# and on ../shared/media, the pipelines in pipelines/).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=debug bash scripts/setup.sh
if [ ! -d ../shared/media ]; then
  echo "[test] ../shared/media is absent: its tests will fail; set FACEREENACT_SHARED_MEDIA to its path" >&2
fi
cargo test --locked -- --test-threads=2 "$@"
