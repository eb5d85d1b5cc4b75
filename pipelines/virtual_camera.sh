#!/usr/bin/env bash
# Virtual camera: the re-enacted avatar as a camera that video-call, streaming and recording
# programs (OBS, a browser, Zoom, ...) can pick, through a v4l2loopback device.
#
#   bash pipelines/virtual_camera.sh AVATAR [ACTOR] [DEVICE]
#
#   AVATAR  PNG or JPEG with one face
#   ACTOR   a camera /dev/videoN (default /dev/video0; live) or a video file (played in real time)
#   DEVICE  the v4l2loopback device written to (default /dev/video10)
#
# The loopback device must exist first (Debian package v4l2loopback-dkms; as root):
#   modprobe v4l2loopback devices=1 video_nr=10 card_label=facereenact exclusive_caps=1
# video_nr=10 makes /dev/video10; card_label is the name programs list; exclusive_caps=1 makes
# it a capture-only device once this script writes to it, which browsers need to list it.
# A missing DEVICE, or one that is not a v4l2loopback device (a real camera), stops it at once
# with a message naming the device and this line. (Not run in CI: it has no v4l2loopback.)
#
# Picture only (a camera device carries no sound), YUY2 at the avatar picture's size, the
# actor's frame rate. Live: with a camera (v4l2src, is-live) a leaky one-frame queue in front of
# the element drops camera frames while it is busy instead of building latency, and v4l2sink
# syncs on the pipeline's latency (the camera's, plus the element's processing-deadline: one
# frame) plus VCAM_LATENCY_MS (default 40 ms, its ts-offset: more room for a slow frame; the
# element takes a few to 20 ms a frame on 2 cores). A file actor is played in real time (v4l2sink syncs to the clock) and ends the
# stream at its end. Ctrl-C stops it.
#
# Needs GST_PLUGIN_PATH to hold the built plugin (target/release).
# Exit status: 0 the actor file ended; 1 bad arguments, a missing device or file (named), a
# missing GStreamer element (named, with its Debian package); 2 the pipeline failed (GStreamer's
# message above); 130 interrupted (Ctrl-C).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }
die() { echo "virtual_camera: $*" >&2; exit 1; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
AVATAR=$1 ACTOR=${2:-/dev/video0} DEVICE=${3:-/dev/video10}
MODPROBE="modprobe v4l2loopback devices=1 video_nr=10 card_label=facereenact exclusive_caps=1"
LATENCY_MS=${VCAM_LATENCY_MS:-40}
[[ $LATENCY_MS =~ ^[0-9]+$ ]] || die "VCAM_LATENCY_MS '$LATENCY_MS' is not milliseconds"

# The output device first: the likeliest thing to be missing.
if [ ! -e "$DEVICE" ]; then
  die "no video device $DEVICE: load v4l2loopback (package v4l2loopback-dkms) as root:" \
    "$MODPROBE (video_nr is the N of /dev/videoN)"
fi
[ -c "$DEVICE" ] || die "$DEVICE is not a video device: give a v4l2loopback device (/dev/videoN)"
# v4l2loopback devices are virtual: /sys/devices/virtual/video4linux/videoN.
sys=$(readlink -f "/sys/class/video4linux/$(basename "$DEVICE")" 2>/dev/null || true)
[[ $sys == */virtual/* ]] ||
  die "$DEVICE is not a v4l2loopback device ($(cat "$sys/name" 2>/dev/null || echo unknown)):" \
    "give the loopback device, made by: $MODPROBE"

[ -e "$AVATAR" ] || die "avatar picture $AVATAR does not exist"
[ -f "$AVATAR" ] && [ -r "$AVATAR" ] || die "avatar picture $AVATAR is not a readable file"
if [[ $ACTOR == /dev/video* ]]; then
  [ -c "$ACTOR" ] || die "actor camera $ACTOR is not a video device (no camera there)"
  SOURCE=(v4l2src device="$ACTOR" ! decodebin ! videoconvert ! queue max-size-buffers=1 leaky=downstream)
else
  [ -e "$ACTOR" ] || die "actor video $ACTOR does not exist"
  [ -f "$ACTOR" ] && [ -r "$ACTOR" ] || die "actor video $ACTOR is not a readable file"
  SOURCE=(filesrc location="$ACTOR" ! decodebin ! video/x-raw ! queue ! videoconvert)
fi
declare -A PACKAGE=([v4l2sink]=gstreamer1.0-plugins-good [v4l2src]=gstreamer1.0-plugins-good
  [decodebin]=gstreamer1.0-plugins-base [videoconvert]=gstreamer1.0-plugins-base)
missing=()
for e in v4l2sink v4l2src decodebin videoconvert; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || missing+=("$e (${PACKAGE[$e]})")
done
[ ${#missing[@]} -eq 0 ] || die "GStreamer elements missing: ${missing[*]}: install those packages"
gst-inspect-1.0 facereenact >/dev/null 2>&1 ||
  die "GStreamer has no element facereenact: export GST_PLUGIN_PATH=<checkout>/target/release"

echo "virtual_camera: $ACTOR -> $DEVICE (Ctrl-C stops)" >&2
interrupted=0
trap 'interrupted=1' INT
set +e
# shellcheck disable=SC2054 # commas inside caps
gst-launch-1.0 -q "${SOURCE[@]}" ! facereenact avatar="$AVATAR" ! videoconvert ! \
  video/x-raw,format=YUY2 ! v4l2sink device="$DEVICE" sync=true ts-offset=$((LATENCY_MS * 1000000))
status=$?
set -e
[ "$interrupted" = 0 ] || { echo "virtual_camera: interrupted" >&2; exit 130; }
[ "$status" = 0 ] || { echo "virtual_camera: the pipeline failed (GStreamer's message above)" >&2; exit 2; }
