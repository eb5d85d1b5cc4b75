#!/usr/bin/env bash
# Times pipelines/lecture.sh on a synthetic lecture, for both layouts.
#
#   bash scripts/bench_lecture.sh [SECONDS] [AVATAR]
#
# SECONDS: length of the lecture, default 600 (10 minutes). AVATAR: default the demo's astronaut
# (.deps/media/astronaut.png, 512x512). The lecture is made once by scripts/make_lecture.sh and
# kept in out/bench/ (BENCH_SIZE, default 1920x1080; BENCH_FACE_PX, default 64: a lecturer
# filmed from the back of a hall). For each layout (BENCH_LAYOUTS, default "figure pip")
# it runs lecture.sh twice: as is, then with LECTURE_SINK=fakesink (the same decoding, re-enacting
# and compositing, no encoders, no muxer, nothing written; BENCH_ENCODER_SHARE=0 skips it). It
# prints per run the wall time, the speed (seconds of lecture per second of wall time: above 1x
# is faster than real time), the CPU time of the conversion, its peak memory (RSS of gst-launch,
# sampled every 10 s: first sample after a minute and last, to show that it stays flat) and how
# much of the two cores other processes took meanwhile (from /proc/stat: the machine is shared,
# and anything else running slows the conversion down). The encoders' share is
# 1 - (wall time without encoders) / (wall time with them), and the same for CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-600}
AVATAR=${2:-$ROOT/.deps/media/astronaut.png}
SIZE=${BENCH_SIZE:-1920x1080}
FACE_PX=${BENCH_FACE_PX:-64}
LAYOUTS=${BENCH_LAYOUTS:-figure pip}
ENCODER_SHARE=${BENCH_ENCODER_SHARE:-1}
export GST_PLUGIN_PATH=$ROOT/target/release${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
[ -f target/release/libgstfacereenact.so ] || { echo "build the plugin first: cargo build --release" >&2; exit 1; }

mkdir -p out/bench
INPUT=out/bench/lecture_${SECS}s_${SIZE}_face${FACE_PX}.mp4
if [ ! -s "$INPUT" ]; then
  echo "[bench] making $INPUT" >&2
  start=$EPOCHREALTIME
  bash scripts/make_lecture.sh "$INPUT.part.mp4" "$SECS" "$SIZE" "$FACE_PX"
  mv "$INPUT.part.mp4" "$INPUT"
  echo "[bench] made in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s" >&2
fi

busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
descendants() { local p; for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done; }

# run LABEL [ENV=VALUE...]: one timed lecture.sh run; prints a table row.
run() {
  local label=$1; shift
  local out=out/bench/$label.mp4 log=out/bench/$label.log timing
  timing=$(mktemp)
  local busy0 t0; busy0=$(busy_jiffies); t0=$EPOCHREALTIME
  env "$@" /usr/bin/time -f "%e %U %S" -o "$timing" \
    bash pipelines/lecture.sh "$INPUT" "$out" "$AVATAR" "${label%%-*}" 2>"$log" &
  local pid=$! gst="" rss_first="" rss_last="" rss_peak=0 n=0 rss
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    n=$((n + 1))
    [ -n "$gst" ] && [ -e "/proc/$gst" ] ||
      gst=$(for p in $(descendants "$pid"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = gst-launch-1.0 ] && echo "$p"; done | tail -n 1)
    [ -n "$gst" ] || continue
    rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$gst/status" 2>/dev/null || true)
    [ -n "$rss" ] || continue
    [ "$n" -ge 6 ] && [ -z "$rss_first" ] && rss_first=$rss
    rss_last=$rss
    [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
  done
  if ! wait "$pid"; then
    echo "[bench] $label failed:" >&2; tail -n 5 "$log" >&2; rm -f "$timing"; return 1
  fi
  local busy1 t1; busy1=$(busy_jiffies); t1=$EPOCHREALTIME
  read -r wall user sys <"$timing"; rm -f "$timing"
  awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v d="$SECS" -v b0="$busy0" -v b1="$busy1" \
    -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" -v rf="${rss_first:--}" -v rl="${rss_last:--}" \
    -v rp="$rss_peak" 'BEGIN {
    others = ((b1 - b0) / hz - u - s) / (t1 - t0); if (others < 0) others = 0
    printf "%-13s %8.1f %7.2fx %8.1f %9s %9s %9s %7.2f\n", l, w, d / w, u + s, rf, rl, rp, others }'
  grep -q '^done:' "$log" || { echo "[bench] $label: no final line in $log" >&2; return 1; }
}

echo "[bench] $INPUT, avatar $AVATAR, $(nproc) cores; x264: ${LECTURE_X264:-lecture.sh defaults}" >&2
printf "%-13s %8s %8s %8s %9s %9s %9s %7s\n" run "wall s" speed "cpu s" "RSS@1min" "RSS@end" "RSS max" others
echo "(RSS in MB; others: cores' worth of CPU other processes used meanwhile, of $(nproc))"
declare -A WALL CPU
for layout in $LAYOUTS; do
  row=$(run "$layout"); echo "$row"
  WALL[$layout]=$(awk '{ print $2 }' <<<"$row"); CPU[$layout]=$(awk '{ print $4 }' <<<"$row")
  if [ "$ENCODER_SHARE" = 1 ]; then
    row=$(run "$layout-noenc" LECTURE_SINK=fakesink); echo "$row"
    WALL[$layout-fake]=$(awk '{ print $2 }' <<<"$row"); CPU[$layout-fake]=$(awk '{ print $4 }' <<<"$row")
  fi
done
if [ "$ENCODER_SHARE" = 1 ]; then
  for layout in $LAYOUTS; do
    awk -v l="$layout" -v w="${WALL[$layout]}" -v wf="${WALL[$layout-fake]}" -v c="${CPU[$layout]}" \
      -v cf="${CPU[$layout-fake]}" 'BEGIN { printf "%s: encoders take %.0f %% of the wall time, %.0f %% of the CPU time\n",
      l, 100 * (1 - wf / w), 100 * (1 - cf / c) }'
  done
fi
