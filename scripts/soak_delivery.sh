#!/usr/bin/env bash
# Live soak of pipelines/overlay.sh's delivery (a benchmark, run by hand, not in CI):
#   bash scripts/soak_delivery.sh [MINUTES]      (default 30)
# Makes an actor (the talking test clip, with its sound, repeated to MINUTES, 240x240) and a
# programme (colour bars, 640x360, MINUTES long), sends the pip overlay as an SRT caller to a
# receiver on 127.0.0.1 that leaves and comes back every 5 minutes (killed, restarted 5 s later),
# and prints, at the end (the memory samples are also in $WORK/rss.txt: seconds, kB):
#   * frames received in all, against the frames sent (30 a second);
#   * facereenact-deliver's memory (VmRSS) at 1 minute, at the end, and its largest;
#   * the dead air after each return of the receiver (from its restart to its first data).
# Needs a build (scripts/setup.sh; PROFILE=debug for target/debug, release by default) and about
# MINUTES minutes plus 2 to make the inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
[[ $MINUTES =~ ^[0-9]+$ ]] && [ "$MINUTES" -ge 2 ] || { echo "MINUTES: a whole number, at least 2" >&2; exit 1; }
PROFILE=${PROFILE:-release}
export GST_PLUGIN_PATH=$PWD/target/$PROFILE
[ -x "target/$PROFILE/facereenact-deliver" ] || { echo "build first: PROFILE=$PROFILE bash scripts/setup.sh" >&2; exit 1; }
WORK=${SOAK_DIR:-/tmp/facereenact-soak}
mkdir -p "$WORK"
rm -f "$WORK"/received_*.ts "$WORK/rss.txt"
SECONDS_TOTAL=$((MINUTES * 60))
CLIP=tests/media/driving/talk_wink_480.mp4
say() { printf '\033[1m[soak]\033[0m %s\n' "$*" >&2; }

if [ ! -s "$WORK/actor_$MINUTES.mp4" ]; then
  say "making a $MINUTES-minute actor from $CLIP"
  # The clip once at 240x240 with its sound, then that file joined to itself (splitmuxsrc makes
  # the timestamps continuous; remuxed, not encoded again).
  gst-launch-1.0 -q -e filesrc location="$CLIP" ! qtdemux name=d \
    d.video_0 ! queue ! decodebin ! videoconvert ! videoscale ! video/x-raw,width=240,height=240 ! \
    x264enc speed-preset=ultrafast quantizer=22 pass=qual key-int-max=60 ! h264parse ! queue ! \
    mp4mux name=m ! filesink location="$WORK/actor_once.mp4" \
    d.audio_0 ! queue ! decodebin ! audioconvert ! avenc_aac ! queue ! m.
  rm -rf "$WORK/parts"
  mkdir -p "$WORK/parts"
  reps=$((SECONDS_TOTAL / 33 + 1))
  for ((i = 0; i < reps; i++)); do ln -sf "$WORK/actor_once.mp4" "$WORK/parts/$(printf %04d "$i").mp4"; done
  gst-launch-1.0 -q -e splitmuxsrc location="$WORK/parts/*.mp4" name=s \
    s.video_0 ! queue ! h264parse ! mp4mux name=m ! filesink location="$WORK/actor_$MINUTES.mp4" \
    s.audio_0 ! queue ! aacparse ! m.
fi
if [ ! -s "$WORK/programme_$MINUTES.mp4" ]; then
  say "making a $MINUTES-minute programme"
  gst-launch-1.0 -q videotestsrc num-buffers=$((SECONDS_TOTAL * 30)) pattern=smpte75 ! \
    video/x-raw,width=640,height=360,framerate=30/1 ! x264enc speed-preset=ultrafast quantizer=10 \
    pass=qual ! mp4mux ! filesink location="$WORK/programme_$MINUTES.mp4"
fi

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
receiver() { # N
  gst-launch-1.0 -q srtsrc uri="srt://127.0.0.1:$PORT?mode=listener" latency=125 ! \
    filesink location="$WORK/received_$1.ts" >/dev/null 2>&1 &
  echo $!
}
bash pipelines/overlay.sh "$WORK/actor_$MINUTES.mp4" "$WORK/programme_$MINUTES.mp4" \
  tests/media/avatar/astronaut_512.png "srt://127.0.0.1:$PORT" 2>"$WORK/overlay.log" &
OVERLAY=$!
trap 'kill $OVERLAY 2>/dev/null; pkill -f "srt://127.0.0.1:$PORT" 2>/dev/null || true' EXIT
n=0
RX=$(receiver $n)
START=$(date +%s.%N)
rss_1m="" rss_max=0 rss_end=0 dead=()
deliver_pid() { pgrep -f "facereenact-deliver --name overlay --dest srt://127.0.0.1:$PORT" | head -n1; }
while kill -0 "$OVERLAY" 2>/dev/null; do
  sleep 10
  now=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { print int(b - a) }')
  pid=$(deliver_pid || true)
  rss=0
  if [ -n "$pid" ]; then
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  fi
  if [ -n "$rss" ] && [ "$rss" -gt 0 ]; then
    echo "$now $rss" >>"$WORK/rss.txt"
    rss_end=$rss
    if [ "$rss" -gt "$rss_max" ]; then rss_max=$rss; fi
    if [ -z "$rss_1m" ] && [ "$now" -ge 60 ]; then rss_1m=$rss; fi
  fi
  # Every 5 minutes the receiver leaves; 5 s later a new one comes.
  if [ $((now / 300)) -gt "$n" ] && [ "$now" -lt $((SECONDS_TOTAL - 30)) ]; then
    kill "$RX" 2>/dev/null || true
    sleep 5
    n=$((n + 1))
    t0=$(date +%s.%N)
    RX=$(receiver $n)
    while [ ! -s "$WORK/received_$n.ts" ] && kill -0 "$OVERLAY" 2>/dev/null; do sleep 0.05; done
    dead+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')")
    say "receiver $n back; dead air ${dead[-1]} s"
  fi
done
wait "$OVERLAY" || say "overlay.sh ended with status $?"
sleep 2
kill "$RX" 2>/dev/null || true
frames=0
for f in "$WORK"/received_*.ts; do
  c=$(gst-launch-1.0 -v filesrc location="$f" ! tsdemux ! h264parse ! \
    video/x-h264,alignment=au ! fakesink silent=false 2>/dev/null | grep -c "fakesink0: last-message = chain" || true)
  frames=$((frames + c))
done
say "done: $MINUTES min; frames received $frames of $((SECONDS_TOTAL * 30)) sent"
say "facereenact-deliver VmRSS: ${rss_1m:-?} kB at 1 min, $rss_end kB at the end, $rss_max kB at most"
say "dead air after each return of the receiver (s): ${dead[*]:-none}"
tail -n 5 "$WORK/overlay.log" >&2
