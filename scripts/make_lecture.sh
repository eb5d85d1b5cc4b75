#!/usr/bin/env bash
# Makes a synthetic "lecture recording" from the shared driving clips, for tests and benchmarks of
# pipelines/lecture.sh.
#
#   bash scripts/make_lecture.sh OUT.mp4 SECONDS [WIDTHxHEIGHT] [FACE_PX]
#
#   SECONDS       length of the output (whole frames at 30 fps: SECONDS*30 rounded)
#   WIDTHxHEIGHT  frame size, default 1920x1080
#   FACE_PX       about how many pixels wide the speaker's face is, default 200. The face fills
#                 about 55 % of talk_wink_480's 480-pixel width, so both clips are scaled by
#                 FACE_PX/264 (to a multiple of 8 pixels). A lecturer filmed from the back of a
#                 hall has a face of some 30-80 pixels at 1080p (the element finds faces from
#                 about 32 pixels wide; see docs/user-guide.md, "Actor footage").
#
# The speaker is talk_wink_480.mp4 (1008 frames) then glasses_512x480.mp4 (587 frames) from
# tests/media/driving (or $FACEREENACT_SHARED_MEDIA/driving), repeated, each with its own
# AAC sound, both scaled to square pixels (glasses' 512x480 has 15:16 pixels, i.e. 480x480) and
# placed off-centre (70 % across, 30 % down the free space) over a still background picture
# ($LECTURE_BACKGROUND, default avatar/no_face_coffee.png: no face in it), cropped to the frame's
# shape and scaled to fill it. Output: H.264 (x264 veryfast, CRF 20, no B-frames) and AAC
# (avenc_aac, 48 kHz stereo) in MP4, exactly SECONDS*30 frames with sound of the same length.
#
# How: each clip is decoded once into raw I420 frames at the scaled size and raw 48 kHz PCM in a
# temporary folder next to OUT (both start at the clip's running time 0, so they line up); a shell
# loop then writes the clips one after the other, cut to whole frames, into two named pipes,
# exactly as many bytes as the output needs, and one GStreamer pipeline reads them
# (rawvideoparse / rawaudioparse time each frame from its byte offset: no gaps, no drift at the
# joins), composites the speaker over the background and encodes. Cost: mostly the encode; on
# this project's 2-core machine 10 minutes at 1080p took 129 s, an hour at 320x180 69 s.
# Temporary space: about 1600 raw frames of the speaker (310 MB at FACE_PX 200, 710 MB at 300),
# removed at exit.
#
# Exit status: 0 written, 1 bad arguments or missing media, 2 a GStreamer step failed.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }
[ $# -ge 2 ] && [ $# -le 4 ] || usage
OUT=$1
SECONDS_ARG=$2
SIZE=${3:-1920x1080}
FACE_PX=${4:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MEDIA=${FACEREENACT_SHARED_MEDIA:-$ROOT/tests/media}
BACKGROUND=${LECTURE_BACKGROUND:-$MEDIA/avatar/no_face_coffee.png}
CLIPS=("$MEDIA/driving/talk_wink_480.mp4" "$MEDIA/driving/glasses_512x480.mp4")

die() { echo "make_lecture: $*" >&2; exit 1; }
[[ $SIZE =~ ^([0-9]+)x([0-9]+)$ ]] || die "size '$SIZE' is not WIDTHxHEIGHT"
W=${BASH_REMATCH[1]} H=${BASH_REMATCH[2]}
[ $((W % 2)) = 0 ] && [ $((H % 2)) = 0 ] || die "width and height must be even (4:2:0 H.264)"
[[ $FACE_PX =~ ^[0-9]+$ ]] || die "FACE_PX '$FACE_PX' is not a number of pixels"
FRAMES=$(awk -v s="$SECONDS_ARG" 'BEGIN { if (s !~ /^[0-9]*\.?[0-9]+$/) exit 1; printf "%d", s * 30 + 0.5 }') ||
  die "SECONDS '$SECONDS_ARG' is not a number"
[ "$FRAMES" -gt 0 ] || die "SECONDS must be at least one frame (1/30 s)"
for f in "${CLIPS[@]}" "$BACKGROUND"; do [ -r "$f" ] || die "$f is missing (the media are in tests/media; FACEREENACT_SHARED_MEDIA, if set, replaces that folder)"; done

# Speaker size: both clips show 480x480 square pixels; a multiple of 8 keeps raw I420 rows unpadded.
CLIP=$(awk -v f="$FACE_PX" 'BEGIN { c = int(480 * f / 264 / 8 + 0.5) * 8; print (c < 16 ? 16 : c) }')
[ "$CLIP" -le "$W" ] && [ "$CLIP" -le "$H" ] ||
  die "a ${FACE_PX}-pixel face needs a ${CLIP}x${CLIP} speaker, larger than ${W}x${H}"
X=$(( (W - CLIP) * 7 / 10 / 2 * 2 ))
Y=$(( (H - CLIP) * 3 / 10 / 2 * 2 ))

# Background: crop the picture to the frame's shape (centred), then scale it to fill the frame.
read -r BW BH < <(gst-discoverer-1.0 "$BACKGROUND" 2>/dev/null |
  awk '/Width:/ { w = $2 } /Height:/ { h = $2 } END { print w, h }')
[ -n "$BW" ] && [ -n "$BH" ] || die "could not read the size of $BACKGROUND"
read -r CROP_X CROP_Y < <(awk -v bw="$BW" -v bh="$BH" -v w="$W" -v h="$H" 'BEGIN {
  if (bw * h > bh * w) { cx = int((bw - bh * w / h) / 2); cy = 0 } else { cx = 0; cy = int((bh - bw * h / w) / 2) }
  print cx, cy }')

mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d "$(dirname "$OUT")/.make_lecture.XXXXXX")
WRITERS=()
cleanup() {
  for pid in "${WRITERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

gst() { gst-launch-1.0 -q -e "$@" >"$TMP/gst.log" 2>&1 || { cat "$TMP/gst.log" >&2; echo "make_lecture: GStreamer failed" >&2; exit 2; }; }

FRAME_BYTES=$((CLIP * CLIP * 3 / 2))
AUDIO_BYTES=6400 # 1/30 s of 48 kHz stereo S16LE
SPECS=()
for i in "${!CLIPS[@]}"; do
  gst filesrc location="${CLIPS[$i]}" ! qtdemux name=d \
    d.video_0 ! queue ! decodebin ! videoconvert ! videoscale ! \
    video/x-raw,format=I420,width="$CLIP",height="$CLIP",pixel-aspect-ratio=1/1 ! filesink location="$TMP/$i.yuv" \
    d.audio_0 ! queue ! decodebin ! audioconvert ! audioresample ! \
    audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved ! filesink location="$TMP/$i.pcm"
  # Whole frames that have both picture and sound.
  n=$(( $(stat -c %s "$TMP/$i.yuv") / FRAME_BYTES ))
  a=$(( $(stat -c %s "$TMP/$i.pcm") / AUDIO_BYTES ))
  [ "$a" -lt "$n" ] && n=$a
  [ "$n" -gt 0 ] || die "no frames decoded from ${CLIPS[$i]}"
  SPECS+=("$i:$n")
done

# emit EXT BYTES_PER_FRAME: writes FRAMES frames of the clips' EXT files, one clip after the other.
emit() {
  local ext=$1 per=$2 left=$FRAMES spec n
  while [ "$left" -gt 0 ]; do
    for spec in "${SPECS[@]}"; do
      n=${spec#*:}
      [ "$n" -gt "$left" ] && n=$left
      head -c $((n * per)) "$TMP/${spec%%:*}.$ext"
      left=$((left - n))
      [ "$left" = 0 ] && break
    done
  done
}
mkfifo "$TMP/video" "$TMP/audio"
emit yuv "$FRAME_BYTES" >"$TMP/video" & WRITERS+=($!)
# The sound starts 1024 samples (21.3 ms) into the clips: avenc_aac puts 1024 samples of encoder
# delay in front that mp4mux does not mark for removal, so a player (or GStreamer) plays the sound
# that much late. Without those 1024 samples it lines up with the picture again and the decoded
# sound is as long as the picture (SECONDS*30 frames), like a camera's file.
emit pcm "$AUDIO_BYTES" | tail -c +$((1024 * 4 + 1)) >"$TMP/audio" & WRITERS+=($!)

gst \
  filesrc location="$BACKGROUND" ! decodebin ! videoconvert ! \
  videocrop left="$CROP_X" right="$CROP_X" top="$CROP_Y" bottom="$CROP_Y" ! videoscale ! \
  video/x-raw,format=I420,width="$W",height="$H",pixel-aspect-ratio=1/1 ! \
  imagefreeze num-buffers="$FRAMES" ! video/x-raw,framerate=30/1 ! comp.sink_0 \
  filesrc location="$TMP/video" ! \
  rawvideoparse format=i420 width="$CLIP" height="$CLIP" framerate=30/1 pixel-aspect-ratio=1/1 ! \
  queue ! comp.sink_1 \
  compositor name=comp sink_1::xpos="$X" sink_1::ypos="$Y" ! video/x-raw,format=I420 ! \
  x264enc speed-preset=veryfast pass=qual quantizer=20 bframes=0 ! h264parse ! queue ! mux. \
  filesrc location="$TMP/audio" ! \
  rawaudioparse format=pcm pcm-format=s16le sample-rate=48000 num-channels=2 ! queue ! audioconvert ! \
  avenc_aac ! queue ! mux. \
  mp4mux name=mux ! filesink location="$OUT"
wait
echo "make_lecture: wrote $OUT: ${W}x${H}, $FRAMES frames at 30 fps, speaker ${CLIP}x${CLIP} at ($X, $Y)" >&2
