#!/usr/bin/env bash
# The demo: sets everything up, then re-poses the astronaut with the carphone actor and writes
# out/demo.mp4 (H.264, 512x512, the 120 frames of the actor).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export GST_PLUGIN_PATH=$PWD/target/release${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
mkdir -p out
bash pipelines/demo.sh .deps/media/carphone_pristine.mp4 .deps/media/astronaut.png out/demo.mp4
echo "wrote out/demo.mp4"
