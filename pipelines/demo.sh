#!/usr/bin/env bash
# Demo: actor video file -> facereenact -> H.264 MP4 (no audio).
#
#   bash pipelines/demo.sh ACTOR_VIDEO AVATAR_PICTURE OUTPUT.mp4
#
# Defaults: the demo media fetched by scripts/setup.sh, writing out/demo.mp4.
# Needs GST_PLUGIN_PATH to contain the built plugin (target/release after scripts/setup.sh).
# decodebin accepts any container/codec GStreamer can decode; the first videoconvert passes I420 or
# NV12 through untouched (the element reads them in place) and converts any other decoder output;
# the second turns the element's output into the I420 x264enc takes.
set -euo pipefail
ACTOR=${1:-.deps/media/carphone_pristine.mp4}
AVATAR=${2:-.deps/media/astronaut.png}
OUT=${3:-out/demo.mp4}
mkdir -p "$(dirname "$OUT")"
exec gst-launch-1.0 -q -e \
  filesrc location="$ACTOR" ! decodebin ! videoconvert ! \
  facereenact avatar="$AVATAR" ! \
  videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=medium ! h264parse ! \
  mp4mux ! filesink location="$OUT"
