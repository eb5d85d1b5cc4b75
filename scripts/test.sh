#!/usr/bin/env bash
# Sets everything up, then runs all tests (unit, GStreamer harness, end-to-end on the demo media
# and on the real test media in tests/media, the pipelines in pipelines/, the batch converter). Installs nginx and libnginx-mod-rtmp
# (apt) for the RTMP test.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=debug bash scripts/setup.sh
# Test-only packages: an RTMP server for tests/overlay_pipelines.rs (nginx with its RTMP module,
# started and stopped by the test itself, as this user, on a free port of 127.0.0.1).
TEST_PACKAGES=(nginx libnginx-mod-rtmp)
missing=()
for p in "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  printf '\033[1m[test]\033[0m installing %s\n' "${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo test --locked -- --test-threads=2 "$@"
# The batch converter's tests (batch/tests, pytest: a local Ray instance, a two-node Ray cluster on
# this machine with a node lost mid-conversion, re-runs, bad rows), on the debug build. Only on a
# full run (no test filter given).
if [ $# -eq 0 ]; then
  PY=$(bash scripts/python_env.sh batch/requirements.txt)
  GST_PLUGIN_PATH=$PWD/target/debug "$PY" -m pytest -q -p no:cacheprovider batch/tests
fi
# Then fuzz the avatar loading path for a while (scripts/fuzz.sh: installs cargo-fuzz once, its own
# build in fuzz/target). Only on a full run (no test filter given); FACEREENACT_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${FACEREENACT_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$fuzz_seconds" != 0 ]; then
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
