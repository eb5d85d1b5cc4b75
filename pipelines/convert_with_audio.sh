#!/usr/bin/env bash
# File to file with sound: the actor's video is re-enacted onto the avatar, the actor's AAC audio
# track is carried through untouched (no re-encoding), both muxed into an MP4.
#
#   bash pipelines/convert_with_audio.sh ACTOR.mp4 AVATAR_PICTURE OUTPUT.mp4
#
# The input must be MP4/MOV (qtdemux) with one video and one AAC audio track (a file without
# audio gives a video-only MP4, see below), e.g.
# tests/media/driving/talk_wink_480.mp4. Timestamps pass through the element unchanged, so
# sound and picture stay in sync. The audio queue holds up to 30 s: x264enc keeps frames for
# look-ahead before its first output, and a small audio queue would stall the demuxer meanwhile.
set -euo pipefail
ACTOR=${1:-tests/media/driving/talk_wink_480.mp4}
AVATAR=${2:-.deps/media/astronaut.png}
OUT=${3:-out/talk_with_audio.mp4}
mkdir -p "$(dirname "$OUT")"
[ -f "$ACTOR" ] || { echo "actor video $ACTOR not found" >&2; exit 1; }
# Without an audio track qtdemux never creates audio_0 and the muxer would wait for it forever.
# (A generous discoverer timeout: its default of 10 s can pass on a busy machine.)
if ! report=$(gst-discoverer-1.0 -t 120 "$ACTOR" 2>&1) || ! grep -q "video #" <<<"$report"; then
  echo "could not read $ACTOR: $report" >&2
  exit 1
fi
if ! grep -q "audio #" <<<"$report"; then
  echo "note: $ACTOR has no audio track; writing video only" >&2
  exec bash "$(dirname "$0")/demo.sh" "$ACTOR" "$AVATAR" "$OUT"
fi
exec gst-launch-1.0 -q -e \
  filesrc location="$ACTOR" ! qtdemux name=demux \
  demux.video_0 ! queue ! decodebin ! videoconvert ! \
  facereenact avatar="$AVATAR" ! \
  videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=medium ! h264parse ! queue ! mux. \
  demux.audio_0 ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=30000000000 ! aacparse ! mux. \
  mp4mux name=mux ! filesink location="$OUT"
