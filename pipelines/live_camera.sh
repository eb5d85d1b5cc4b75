#!/usr/bin/env bash
# Live preview: webcam -> facereenact -> window.
#
#   bash pipelines/live_camera.sh AVATAR_PICTURE [/dev/video0]
#
# The leaky one-buffer queue drops camera frames while the element is busy instead of building
# latency; sync=false shows each frame as soon as it is ready.
set -euo pipefail
AVATAR=${1:-.deps/media/astronaut.png}
DEVICE=${2:-/dev/video0}
exec gst-launch-1.0 \
  v4l2src device="$DEVICE" ! videoconvert ! queue max-size-buffers=1 leaky=downstream ! \
  facereenact avatar="$AVATAR" ! videoconvert ! autovideosink sync=false
