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
# Then fuzz the avatar loading path for a while (scripts/fuzz.sh: installs cargo-fuzz once, its own
# build in fuzz/target). Only on a full run (no test filter given); FACEREENACT_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${FACEREENACT_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$fuzz_seconds" != 0 ]; then
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
