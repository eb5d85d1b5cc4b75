#!/usr/bin/env bash
# Lecture conversion: a recorded lecture becomes a video where the avatar picture speaks with the
# lecturer's head motion and expression, with the lecture's sound.
#
#   bash pipelines/lecture.sh IN OUT.mp4 AVATAR [figure|pip]
#
#   IN      any file GStreamer can demux and decode (MP4, MKV, WebM, MOV, ...) with a video
#           stream and usually sound
#   OUT.mp4 H.264 + AAC in MP4 (folders are created)
#   AVATAR  PNG or JPEG with one face (see docs/user-guide.md, "Avatar pictures")
#   figure  (default) the avatar alone, at the avatar picture's size
#   pip     the recording at its own size, the re-enacted avatar as a picture-in-picture in a
#           corner so that board and slides stay visible: LECTURE_PIP_HEIGHT of the frame's
#           height tall (default 0.25; the width follows the avatar's shape), LECTURE_PIP_MARGIN
#           pixels from the edges (default a 36th of the height: 30 at 1080p), in the corner
#           LECTURE_PIP_CORNER (bottom-right (default), bottom-left, top-right, top-left)
#
# Needs GST_PLUGIN_PATH to hold the built plugin (target/release). Timestamps pass through the
# element (one output frame per input frame, each with its input's timestamp); the sound is
# decoded, made gapless by audiorate (where the recording's sound has a gap, or its timestamps
# run away from its sample count by more than 20 ms, silence is added or sound dropped, so the
# sound stays within 20 ms of its timestamps: no drift over an hour), encoded with avenc_aac at
# 128 kbit/s and muxed with the picture. An input without sound gives a video-only MP4 and a
# note on stderr. The AAC encoder's 1024 samples of delay (21 ms at 48 kHz) are not marked for
# removal by mp4mux: the sound plays that much after the picture and its track is that much
# longer than the picture's.
#
# Picture encoding: x264enc speed-preset=veryfast pass=qual quantizer=23 (CRF 23), automatic
# threads, no tune. A constant quality rather than a bitrate: a lecture is mostly still (a board,
# slides, a hall), which CRF stores in few bits, while a fixed bitrate would blur the writing on
# a busy or noisy recording. veryfast because the pip layout encodes the whole 1080p recording
# on top of decoding it and re-enacting the lecturer, and must keep ahead of real time on 2
# cores. On a 1-minute 1080p synthetic lecture, single runs of pip while other processes took
# about half a core: at CRF 23, 3.19x real time with ultrafast, 2.40x with superfast, 2.53x with
# veryfast (16, 12 and 4.5 MB a minute: veryfast keeps x264's macroblock-tree look-ahead,
# which superfast and ultrafast turn off, and which stores a still background in far fewer
# bits); at x264enc's defaults (medium, 2 Mbit/s) 1.19x, against 1.54x for veryfast at
# 2 Mbit/s (an earlier pair of runs, other load not recorded). tune=zerolatency would also
# turn the look-ahead off.
# Measured with scripts/bench_lecture.sh on this project's 2-core machine with nothing else
# running, 10-minute 1080p 30 fps synthetic lecture, astronaut avatar (512x512), two runs:
#   figure 4.78x and 4.88x real time (10:00 in 2:06 and 2:03), pip 3.44x and 3.19x (2:54,
#   3:08); with fakesink in place of the encoders and muxer 6.13x-6.22x for both: encoding
#   takes 21-22 % of figure's wall time (26-27 % of its CPU time) and 44-48 % of pip's (57-60 %
#   of its CPU time: x264 at 1080p). Memory (gst-launch's RSS) 216-220 MB for figure and
#   482-486 MB for pip, the same after the first minute as at the end.
# LECTURE_ELEMENT_PROPS: more facereenact properties, space-separated name=value pairs (no spaces
# inside a value), set after the script's own and so winning over them, e.g. "engine=liveportrait
# engine-models-dir=/models/lp execution-provider=cuda" (facereenact-batch passes a row's
# properties this way).
# LECTURE_X264 replaces these x264enc settings (e.g. "speed-preset=veryfast pass=qual
# quantizer=20"). LECTURE_SINK=fakesink measures the pipeline without the encoders and muxer
# (nothing is written): the difference to a normal run is the encoders' share.
#
# Memory is flat on long inputs: every queue is bounded. The sound queue holds up to 10 s (about
# 4 MB of raw sound): x264 keeps frames back for its look-ahead and frame threads, and the muxer
# waits for the picture meanwhile; a queue that filled before the first encoded picture came out
# would stall the demuxer, which feeds both. mp4mux keeps the index of what it wrote until it
# writes it at the end: on an hour-long 320x180 lecture (108,000 frames, 168,750 sound packets)
# gst-launch's RSS grew from 180 to 187 MB (figure) and from 153 to 163 MB (pip) between the
# first minute and the end; picture 3600.000 s, sound 3600.021 s: no drift.
#
# Progress, on stderr about once a second (progressreport counts the frames leaving the element
# or, in pip, the compositor):
#   frame 1234/108000  1.1 %  speed 1.35x  eta 1:21:40
# speed: seconds of lecture converted per second of wall time, since the start; eta from that
# speed. Total frames, an estimate: the time from the first video frame (a one-frame decode) to
# the end of the recording (gst-discoverer-1.0's duration) times the frame rate; a video track
# that ends before the sound makes it high. When it ends, the frames really converted (counted
# as they leave the element or the compositor) and the video time they cover:
#   done: 108000 frames (1:00:00 of video) in 44:26, speed 1.35x: OUT.mp4
# The element's warnings and notes show among the progress lines, one line each, e.g.
#   lecture: warning (facereenact): no face in the last 60 actor frames: the avatar holds ...
#   lecture: note (facereenact): face found again after 75 actor frames without one
# Ctrl-C stops the conversion and removes the unfinished OUT. (Not gst-launch -e, which would
# finish the MP4: the end-of-stream it sends stopped the picture but not the sound, which ran on
# to the end of the input, in a test with an MP4 input.)
#
# Exit status: 0 done; 1 bad arguments, unreadable input or avatar (a message names the file),
# no video in the input, or the facereenact element not found; 2 the conversion failed (GStreamer's
# message above); 130 interrupted (OUT removed).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }
die() { echo "lecture: $*" >&2; exit 1; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
IN=$1 OUT=$2 AVATAR=$3 LAYOUT=${4:-figure}
case $LAYOUT in figure | pip) ;; *) die "layout '$LAYOUT' is neither figure nor pip" ;; esac
X264=${LECTURE_X264:-speed-preset=veryfast pass=qual quantizer=23}
SINK=${LECTURE_SINK:-}
read -r -a ELEMENT_PROPS <<<"${LECTURE_ELEMENT_PROPS:-}"
for prop in ${ELEMENT_PROPS[@]+"${ELEMENT_PROPS[@]}"}; do
  [[ $prop =~ ^[a-z][a-z0-9-]*=.+$ ]] || die "LECTURE_ELEMENT_PROPS: '$prop' is not name=value"
done

[ -e "$IN" ] || die "input $IN does not exist"
[ -f "$IN" ] && [ -r "$IN" ] || die "input $IN is not a readable file"
[ -e "$AVATAR" ] || die "avatar picture $AVATAR does not exist"
[ -f "$AVATAR" ] && [ -r "$AVATAR" ] || die "avatar picture $AVATAR is not a readable file"
gst-inspect-1.0 facereenact >/dev/null 2>&1 ||
  die "GStreamer has no element facereenact: export GST_PLUGIN_PATH=<checkout>/target/release"

# What the input holds. (-t 120: the default 10 s can pass on a busy machine.)
if ! report=$(gst-discoverer-1.0 -t 120 "$IN" 2>&1) || ! grep -q "video #" <<<"$report"; then
  grep -q "video #" <<<"$report" || [ -z "$report" ] || echo "$report" | tail -n 3 >&2
  die "input $IN is not a video GStreamer can read"
fi
# First video stream's size and rate; duration in seconds.
read -r WIDTH HEIGHT FPS_N FPS_D DURATION < <(awk '
  /^ *Duration:/ && !dur { split($2, t, ":"); dur = t[1] * 3600 + t[2] * 60 + t[3] }
  /video #/ { v++ }
  v == 1 && /^ *Width:/ && !w { w = $2 }
  v == 1 && /^ *Height:/ && !h { h = $2 }
  v == 1 && /^ *Frame rate:/ && !r { split($3, f, "/"); rn = f[1]; rd = f[2]; r = 1 }
  END { print w + 0, h + 0, rn + 0, (rd ? rd : 1), dur + 0 }' <<<"$report")
HAS_AUDIO=0
grep -q "audio #" <<<"$report" && HAS_AUDIO=1
[ "$HAS_AUDIO" = 1 ] || echo "lecture: note: $IN has no sound; writing video only" >&2
# Running time of the first video frame, seconds: a recording whose sound starts first has its
# picture start later (segment base + pts - segment start of the first decoded frame; 0 if unknown).
VIDEO_START=$(gst-launch-1.0 -v filesrc location="$IN" ! decodebin ! video/x-raw ! \
  fakesink silent=false num-buffers=1 2>/dev/null | awk '
  function ns(clock, t) { split(clock, t, ":"); return ((t[1] * 60 + t[2]) * 60 + t[3]) * 1e9 }
  /type: segment/ && match($0, /base=\(guint64\)[0-9]+/) {
    base = substr($0, RSTART + 14, RLENGTH - 14)
    if (match($0, /start=\(guint64\)[0-9]+/)) start = substr($0, RSTART + 15, RLENGTH - 15) }
  /chain/ && match($0, /pts: [0-9]+:[0-9]+:[0-9.]+/) {
    printf "%.6f", (base + ns(substr($0, RSTART + 5, RLENGTH - 5)) - start) / 1e9; found = 1; exit }
  END { if (!found) print 0 }' || echo 0)
if [ "$FPS_N" -gt 0 ]; then
  TOTAL=$(awk -v d="$DURATION" -v s="$VIDEO_START" -v n="$FPS_N" -v r="$FPS_D" \
    'BEGIN { d -= (s > 0 && s < d ? s : 0); printf "%d", d * n / r + 0.5 }')
else
  # Variable frame rate: no total; speed then assumes 30 frames a second (and pip makes 30).
  echo "lecture: note: $IN has a variable frame rate; progress assumes 30 frames/s" >&2
  FPS_N=30 FPS_D=1 TOTAL=0
fi
RATE="$FPS_N/$FPS_D fps"
[ "$TOTAL" -gt 0 ] || RATE="variable frame rate"

# The avatar's output size (AW, AH); a picture without a face fails here with the element's message.
# shellcheck source=pipelines/avatar_size.sh
. "$(dirname "${BASH_SOURCE[0]}")/avatar_size.sh"
avatar_size "$AVATAR"

# The pipeline, as gst-launch words. Raw video from decodebin; the caps filter picks its video pad.
SOURCE=(filesrc location="$IN" ! decodebin name=d d. ! video/x-raw ! queue ! videoconvert)
# progressreport: a line a second; identity (silent=false, with gst-launch -v): a line a frame,
# counted for the summary.
PROGRESS=(progressreport name=progress update-freq=1 format=buffers do-query=false !
  identity name=counted silent=false)
if [ "$LAYOUT" = figure ]; then
  VIDEO=("${SOURCE[@]}" ! facereenact name=facereenact actor-choice=speaking avatar="$AVATAR" ${ELEMENT_PROPS[@]+"${ELEMENT_PROPS[@]}"} ! "${PROGRESS[@]}" ! queue)
  OUT_W=$AW OUT_H=$AH
else
  PIP_HEIGHT=${LECTURE_PIP_HEIGHT:-0.25}
  CORNER=${LECTURE_PIP_CORNER:-bottom-right}
  MARGIN=${LECTURE_PIP_MARGIN:-$((HEIGHT / 36))}
  [[ $MARGIN =~ ^[0-9]+$ ]] || die "LECTURE_PIP_MARGIN '$MARGIN' is not a number of pixels"
  awk -v f="$PIP_HEIGHT" 'BEGIN { exit !(f ~ /^[0-9]*\.?[0-9]+$/ && f > 0 && f <= 1) }' ||
    die "LECTURE_PIP_HEIGHT '$PIP_HEIGHT' is not a fraction 0..1"
  # Even sizes, the avatar's shape.
  read -r PH PW < <(awk -v f="$PIP_HEIGHT" -v h="$HEIGHT" -v aw="$AW" -v ah="$AH" 'BEGIN {
    ph = int(h * f / 2 + 0.5) * 2; pw = int(ph * aw / ah / 2 + 0.5) * 2
    print (ph < 2 ? 2 : ph), (pw < 2 ? 2 : pw) }')
  [ "$PW" -le "$WIDTH" ] || die "a picture-in-picture $PH pixels tall is wider than the recording"
  case $CORNER in
    bottom-right) PX=$((WIDTH - PW - MARGIN)) PY=$((HEIGHT - PH - MARGIN)) ;;
    bottom-left) PX=$MARGIN PY=$((HEIGHT - PH - MARGIN)) ;;
    top-right) PX=$((WIDTH - PW - MARGIN)) PY=$MARGIN ;;
    top-left) PX=$MARGIN PY=$MARGIN ;;
    *) die "LECTURE_PIP_CORNER '$CORNER' is not bottom-right, bottom-left, top-right or top-left" ;;
  esac
  # The compositor makes frames on a fixed grid from the first frame's time (not 0): videorate
  # puts the input on that grid first, for one output frame per input frame also from containers
  # that round timestamps to milliseconds (MKV, WebM), whose last frame would otherwise end a
  # fraction past the grid and add a frame. A variable-frame-rate recording comes out at 30
  # frames a second (videorate repeats or drops frames). tee: the recording goes to the
  # compositor as it is and through the element.
  # shellcheck disable=SC2054 # commas inside caps, not array separators
  VIDEO=("${SOURCE[@]}" ! videorate ! "video/x-raw,framerate=$FPS_N/$FPS_D" ! tee name=t
    t. ! queue ! comp.sink_0
    t. ! queue ! facereenact name=facereenact actor-choice=speaking avatar="$AVATAR" ${ELEMENT_PROPS[@]+"${ELEMENT_PROPS[@]}"} ! videoscale !
    video/x-raw,width="$PW",height="$PH",pixel-aspect-ratio=1/1 ! comp.sink_1
    compositor name=comp start-time-selection=first sink_0::zorder=0 sink_1::zorder=1
    sink_1::xpos="$PX" sink_1::ypos="$PY" ! video/x-raw,width="$WIDTH",height="$HEIGHT" !
    "${PROGRESS[@]}" ! queue)
  OUT_W=$WIDTH OUT_H=$HEIGHT
fi
[ "$HAS_AUDIO" = 1 ] &&
  AUDIO=(d. ! audio/x-raw ! queue max-size-time=10000000000 max-size-bytes=0 max-size-buffers=0 !
    audioconvert ! audioresample ! audiorate tolerance=20000000 ! audioconvert)
if [ -n "$SINK" ]; then
  # Measuring: the same decoding, re-enacting and compositing, no encoder, nothing written.
  PIPELINE=("${VIDEO[@]}" ! "$SINK" sync=false)
  [ "$HAS_AUDIO" = 1 ] && PIPELINE+=("${AUDIO[@]}" ! "$SINK" sync=false)
else
  mkdir -p "$(dirname "$OUT")"
  # shellcheck disable=SC2054,SC2206 # commas inside caps; X264 is a list of property=value words
  PIPELINE=("${VIDEO[@]}" ! videoconvert ! video/x-raw,format=I420 ! x264enc $X264 ! h264parse !
    queue ! mux.)
  [ "$HAS_AUDIO" = 1 ] && PIPELINE+=("${AUDIO[@]}" ! avenc_aac bitrate=128000 ! queue ! mux.)
  PIPELINE+=(mp4mux name=mux ! filesink location="$OUT")
fi

# clock h:mm:ss (or m:ss) of a number of seconds
clock() { awk -v s="$1" 'BEGIN { s = int(s + 0.5); h = int(s / 3600); m = int(s % 3600 / 60)
  if (h) printf "%d:%02d:%02d", h, m, s % 60; else printf "%d:%02d", m, s % 60 }'; }

echo "lecture: $IN (${WIDTH}x${HEIGHT}, $RATE, $(clock "$DURATION")) -> $OUT" \
  "(${OUT_W}x${OUT_H}, $LAYOUT)" >&2
START=$EPOCHREALTIME
interrupted=0
trap 'interrupted=1' INT
set +e
# gst-launch's stdout carries progressreport's lines ("progress (00:00:05): 1234 buffers"), the
# bus's warnings and infos, its own chatter and (-v) identity's line for each frame, which awk
# counts ("counted N" at the end) so that the shell reads a few lines a second, not one a frame.
# The loop turns progress into progress lines, warnings and infos into one line each, and drops
# the rest.
# shellcheck source=pipelines/bus_messages.sh
. "$(dirname "${BASH_SOURCE[0]}")/bus_messages.sh"
COUNT_FILE=$(mktemp)
# (awk ignores Ctrl-C, as the loop does, so that the count and gst-launch's last words get through.)
gst-launch-1.0 -v "${PIPELINE[@]}" |
  (trap '' INT; exec awk '/GstIdentity:counted: last-message = chain/ { n++; next }
    { print; fflush() } END { print "counted " n + 0 }') | {
  trap '' INT
  while IFS= read -r line; do
    bus_message lecture "$line" && continue
    case $line in
      "progress ("*" buffers")
        n=${line% buffers} n=${n##* }
        awk -v n="$n" -v total="$TOTAL" -v fps="$FPS_N/$FPS_D" -v el="$(awk -v a="$START" \
          -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" 'BEGIN {
          split(fps, f, "/"); rate = f[1] / f[2]
          speed = el > 0 ? n / rate / el : 0
          line = total ? sprintf("frame %d/%d  %.1f %%", n, total, 100 * n / total) : sprintf("frame %d", n)
          line = line sprintf("  speed %.2fx", speed)
          if (total && speed > 0) {
            s = int((total - n) / rate / speed + 0.5); h = int(s / 3600)
            line = line sprintf("  eta %d:%02d:%02d", h, int(s % 3600 / 60), s % 60)
          }
          print line }' >&2 ;;
      "counted "*) echo "${line#counted }" >"$COUNT_FILE" ;;
      *) ;; # gst-launch's own lines, caps, the end-of-stream report (nothing to query)
    esac
  done
}
status=${PIPESTATUS[0]}
FRAMES_OUT=$(cat "$COUNT_FILE")
rm -f "$COUNT_FILE"
set -e
trap - INT
WALL=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
if [ "$interrupted" = 1 ]; then
  removed=""
  [ -n "$SINK" ] || { rm -f "$OUT"; removed="; $OUT removed"; }
  echo "lecture: interrupted after $(clock "$WALL")$removed" >&2
  exit 130
fi
if [ "$status" != 0 ]; then
  echo "lecture: the conversion failed after $(clock "$WALL") (GStreamer's message above)" >&2
  exit 2
fi
# The video converted: the frames counted, at the frame rate (a variable one: the duration).
VIDEO_S=$(awk -v f="${FRAMES_OUT:-0}" -v n="$FPS_N" -v r="$FPS_D" -v t="$TOTAL" -v d="$DURATION" \
  'BEGIN { print (t > 0 ? f * r / n : d) }')
echo "done: ${FRAMES_OUT:-0} frames ($(clock "$VIDEO_S") of video) in $(clock "$WALL"), speed" \
  "$(awk -v d="$VIDEO_S" -v w="$WALL" 'BEGIN { printf "%.2fx", (w > 0 ? d / w : 0) }'):" \
  "${SINK:+nothing written ($SINK)}${SINK:-$OUT}" >&2
