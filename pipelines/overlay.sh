#!/usr/bin/env bash
# Broadcast overlay: the re-enacted avatar (a talking character) composited live over a programme
# video and sent on as SRT or RTMP (or recorded to a file), with the actor's sound.
#
#   bash pipelines/overlay.sh ACTOR PROGRAMME AVATAR DEST [pip|cutout]
#
#   ACTOR     a video file (its sound is what DEST carries), or a camera /dev/videoN (live; no sound)
#   PROGRAMME a video file (its sound is not used), or a capture device /dev/videoN (live)
#   AVATAR    PNG or JPEG with one face; for cutout, a PNG with transparency (see OVERLAY_ALPHA)
#   DEST      srt://HOST:PORT   SRT caller: sends to a listener (an ingest server, a receiver);
#                               waits for it at start and after it leaves (see Delivery below)
#             srt://:PORT       SRT listener: receivers call in, any number, at any time; while
#                               none is connected the frames are dropped (live, not a backlog)
#             rtmp://HOST[:PORT]/APP[/STREAM]  publishes to an RTMP server (nginx-rtmp, a
#             rtmps://HOST[:PORT]/APP[/STREAM] service); rtmps over TLS. Leave STREAM (the stream
#                               key) out and give it in OVERLAY_RTMP_KEY_FILE or FACEREENACT_RTMP_KEY
#             OUT.ts, OUT.mp4 or OUT.mkv      records to a file (folders are created)
#   pip       (default) the avatar in a box in a corner of the programme: opaque, or, for a
#             picture with transparency (a PNG with alpha), its opaque parts over the programme
#             (alpha=picture, as cutout)
#   cutout    only the avatar's opaque parts over the programme: its transparent parts show the
#             programme (needs the element's `alpha` property); in the bottom corners the figure
#             stands on the programme's bottom edge (OVERLAY_MARGIN applies to the side only)
#
# Examples:
#   bash pipelines/overlay.sh actor.mp4 programme.mp4 portrait.jpg srt://ingest.example:9000
#   bash pipelines/overlay.sh /dev/video0 programme.mp4 figure.png rtmp://127.0.0.1/live/show cutout
#
# Layout (environment):
#   OVERLAY_HEIGHT  the avatar's height as a fraction of the programme's (default 0.25 for pip,
#                   0.5 for cutout); the width follows the avatar's shape
#   OVERLAY_CORNER  bottom-right (default), bottom-left, top-right, top-left
#   OVERLAY_MARGIN  pixels from the edges (default a 36th of the height: 20 at 720p); cutout in a
#                   bottom corner: from the side only (the figure stands on the bottom edge)
#   OVERLAY_POS     X,Y of the box's top-left corner in pixels (replaces corner and margin)
#   OVERLAY_BORDER  pip: a white border this many pixels wide around the box (default 0: none)
#   OVERLAY_ALPHA   cutout: picture (default; the avatar PNG's own alpha channel, warped with
#                   the head) or matte (a person matte computed from the avatar picture)
#   OVERLAY_SIZE    WxH of the output (default: the programme file's size; 1280x720 for a device)
#
# Delivery (by facereenact-deliver, built beside the plugin: target/release/facereenact-deliver):
#   what happens                          what the script does
#   SRT listener not there at start, or   keeps calling it: after 0.5 s, then twice as long each
#   leaves (once, twice, any number)      time up to 4 s, saying so on stderr; the production
#                                         (element, encoder) keeps running, frames are dropped;
#                                         back, it sends from a key frame forced at once
#   RTMP server restarts                  the same: republishes when it is back
#   a sink that accepts nothing for 3 s   rebuilt as if the link had failed (no silent stall)
#   SRT listener mode, no receiver        frames dropped; a receiver joining gets live pictures
#                                         from a forced key frame; one that vanishes without a
#                                         word counts as gone after SRT's 5 s peer-idle timeout
#   (a caller, once connected, first sends the last second held while it was not: nothing of
#   the stream's start is lost when the listener is there)
#   OVERLAY_RECONNECT_S=N                 gives up after N s without the receiver: exit status 2
#                                         (0: at the first failure; unset: keeps trying)
#   Ctrl-C or SIGTERM, in any state       ends the stream where the muxer has got to (sound and
#                                         picture end together) and stops within 2 s: exit 0
#                                         when the end reached DEST, else 2; again: at once, 2
#   the production fails (a file, the     stops with GStreamer's message, exit status 2
#   element, the encoder)
# Secrets, never on the command line (where `ps` shows them) and masked (****) in all output:
#   FACEREENACT_SRT_PASSPHRASE or OVERLAY_SRT_PASSPHRASE_FILE (a file, first line): encrypts the
#     SRT link (AES, 10 to 79 characters; OVERLAY_SRT_KEY_BYTES 16, 24 or 32, default 32 =
#     AES-256); a receiver needs the same passphrase. OVERLAY_SRT_STREAMID: SRT's stream id.
#   FACEREENACT_RTMP_KEY or OVERLAY_RTMP_KEY_FILE: the RTMP stream key (leave it out of the URL).
#
# Live and latency: the output has the programme's size and the frame rate the compositor
# negotiates (the higher of the two inputs'). With files sent to a network DEST, the composed
# picture is paced to the clock (clocksync), so the files are played and sent in real time, as a
# receiver expects, whether or not a receiver is there; a file DEST is written as fast as the
# machine goes unless a source is live. With a
# camera (v4l2src, is-live) the pipeline is live: a leaky one-frame queue in front of the element
# drops camera frames while it is busy, and the compositor waits OVERLAY_LATENCY_MS (default 200
# ms, its `latency` property) past each frame's time for the avatar before it composes without
# it: the element holds no frame; it announces its processing-deadline (one frame) as its
# latency and takes a few to 20 ms a frame on 2 cores, which that latency covers with room for a
# slow frame. The sinks add it to
# the pipeline's latency and sync on it. SRT adds its own latency=OVERLAY_SRT_LATENCY_MS (default
# 125 ms, SRT's default: the receive buffer that retransmissions must fit in; raise it to 4x the
# round trip on real networks). When the stream ends, srtsink closes the connection at once and
# the receiver drops what it still holds: the last OVERLAY_SRT_LATENCY_MS of the stream (3 or 4
# frames at 125 ms; GStreamer 1.22's srtsink has no setting to linger).
# Key frames: every 2 s (key-int-max=60 at 30 fps), and one forced whenever a receiver is
# (re)connected; the 2 s bound what a receiver behind an ingest server that joins on its own waits.
#
# Encoding: x264enc tune=zerolatency speed-preset=veryfast bitrate=OVERLAY_KBPS (default 4000
# kbit/s) key-int-max=60 (a key frame every 2 s at 30 fps: receivers joining late start there,
# what RTMP services ask for); OVERLAY_X264 replaces these settings. Sound: decoded, made gapless
# by audiorate and encoded with avenc_aac at 128 kbit/s. Muxed as MPEG-TS for SRT and .ts
# (mpegtsmux alignment=7: 7 TS packets, 1316 bytes, per SRT packet), FLV for RTMP (flvmux),
# MP4 or Matroska for those files. An actor file without sound, or a camera, gives picture only
# and a note.
#
# It ends when both actor and programme have ended (once the actor file ends, the avatar leaves
# the picture and the programme goes on alone), or at Ctrl-C (the way to end a live stream; see
# Delivery above).
#
# Needs GST_PLUGIN_PATH to hold the built plugin (target/release) and facereenact-deliver beside
# it. Progress on stderr every 5 s, with the link's state:
#   overlay: 150 frames in 0:05; sending to the SRT listener 127.0.0.1:9000
#   overlay: 300 frames in 0:10; the SRT listener 127.0.0.1:9000 not reached for 0:03 (3 attempts); frames dropped
# and the element's warnings and notes as they come, one line each, e.g.
#   overlay: warning (facereenact): no face in the last 60 actor frames: the avatar holds ...
# Exit status: 0 done; 1 bad arguments, a missing or unreadable file (named), a missing
# GStreamer element (named, with its Debian package), an element without `alpha` for cutout, a
# missing or bad secret; 2 the pipeline failed (GStreamer's message above), delivery was given
# up (OVERLAY_RECONNECT_S), or a stop could not end the stream cleanly.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }
die() { echo "overlay: $*" >&2; exit 1; }
[ $# -ge 4 ] && [ $# -le 5 ] || usage
ACTOR=$1 PROGRAMME=$2 AVATAR=$3 DEST=$4 LAYOUT=${5:-pip}
case $LAYOUT in pip | cutout) ;; *) die "layout '$LAYOUT' is neither pip nor cutout" ;; esac

# Elements each part needs, with the Debian package that has them.
declare -A PACKAGE=([compositor]=gstreamer1.0-plugins-base [videoconvert]=gstreamer1.0-plugins-base
  [videoscale]=gstreamer1.0-plugins-base [decodebin]=gstreamer1.0-plugins-base
  [audiorate]=gstreamer1.0-plugins-base [audioresample]=gstreamer1.0-plugins-base
  [x264enc]=gstreamer1.0-plugins-ugly [avenc_aac]=gstreamer1.0-libav
  [h264parse]=gstreamer1.0-plugins-bad [mpegtsmux]=gstreamer1.0-plugins-bad
  [srtsink]=gstreamer1.0-plugins-bad [rtmp2sink]=gstreamer1.0-plugins-bad
  [flvmux]=gstreamer1.0-plugins-good [mp4mux]=gstreamer1.0-plugins-good
  [matroskamux]=gstreamer1.0-plugins-good [videobox]=gstreamer1.0-plugins-good
  [v4l2src]=gstreamer1.0-plugins-good [progressreport]=gstreamer1.0-plugins-good
  [clocksync]=libgstreamer1.0-0)
NEEDED=(compositor videoconvert videoscale decodebin audiorate audioresample x264enc avenc_aac
  h264parse progressreport)

is_device() { [[ $1 == /dev/video* ]]; }
# A readable file, or a device; names the file and what is wrong.
check_input() { # WHAT PATH
  if is_device "$2"; then
    [ -c "$2" ] || die "$1 $2 is not a video device (no camera or capture card there)"
    NEEDED+=(v4l2src)
  else
    [ -e "$2" ] || die "$1 $2 does not exist"
    [ -f "$2" ] && [ -r "$2" ] || die "$1 $2 is not a readable file"
  fi
}
check_input "actor video" "$ACTOR"
check_input programme "$PROGRAMME"
[ -e "$AVATAR" ] || die "avatar picture $AVATAR does not exist"
[ -f "$AVATAR" ] && [ -r "$AVATAR" ] || die "avatar picture $AVATAR is not a readable file"

SRT_LATENCY=${OVERLAY_SRT_LATENCY_MS:-125}
# What facereenact-deliver is told besides DEST (never a secret: those go by file or environment).
DELIVERY=(--name overlay --dest "$DEST")
PACE=1
case $DEST in
  srt://*)
    [[ $DEST =~ ^srt://([^:/?]*):([0-9]+)$ ]] ||
      die "SRT destination '$DEST' is not srt://HOST:PORT (caller) or srt://:PORT (listener)"
    [[ $SRT_LATENCY =~ ^[0-9]+$ ]] || die "OVERLAY_SRT_LATENCY_MS '$SRT_LATENCY' is not milliseconds"
    DELIVERY+=(--srt-latency-ms "$SRT_LATENCY")
    if [ -n "${OVERLAY_SRT_PASSPHRASE_FILE:-}" ]; then
      [ -f "$OVERLAY_SRT_PASSPHRASE_FILE" ] && [ -r "$OVERLAY_SRT_PASSPHRASE_FILE" ] ||
        die "OVERLAY_SRT_PASSPHRASE_FILE $OVERLAY_SRT_PASSPHRASE_FILE is not a readable file"
      DELIVERY+=(--srt-passphrase-file "$OVERLAY_SRT_PASSPHRASE_FILE")
    fi
    case ${OVERLAY_SRT_KEY_BYTES:-32} in 16 | 24 | 32) ;; *)
      die "OVERLAY_SRT_KEY_BYTES '$OVERLAY_SRT_KEY_BYTES' is not 16, 24 or 32" ;; esac
    DELIVERY+=(--srt-key-bytes "${OVERLAY_SRT_KEY_BYTES:-32}")
    [ -z "${OVERLAY_SRT_STREAMID:-}" ] || DELIVERY+=(--srt-streamid "$OVERLAY_SRT_STREAMID")
    SINK=(mpegtsmux name=mux alignment=7)
    NEEDED+=(mpegtsmux srtsink clocksync) ;;
  rtmp://* | rtmps://*)
    [[ $DEST =~ ^rtmps?://[^/]+/[^/]+(/.*)?$ ]] ||
      die "RTMP destination '$DEST' is not rtmp[s]://HOST[:PORT]/APP[/STREAM]"
    if [ -n "${OVERLAY_RTMP_KEY_FILE:-}" ]; then
      [ -f "$OVERLAY_RTMP_KEY_FILE" ] && [ -r "$OVERLAY_RTMP_KEY_FILE" ] ||
        die "OVERLAY_RTMP_KEY_FILE $OVERLAY_RTMP_KEY_FILE is not a readable file"
      DELIVERY+=(--rtmp-key-file "$OVERLAY_RTMP_KEY_FILE")
    elif ! [[ $DEST =~ ^rtmps?://[^/]+/[^/]+/.+ ]] && [ -z "${FACEREENACT_RTMP_KEY:-}" ]; then
      die "RTMP destination '$DEST' has no stream key: put it in a file named by" \
        "OVERLAY_RTMP_KEY_FILE, or in FACEREENACT_RTMP_KEY"
    fi
    SINK=(flvmux name=mux streamable=true)
    NEEDED+=(flvmux rtmp2sink clocksync) ;;
  *://*) die "destination '$DEST': only srt://, rtmp:// and rtmps:// URLs are sent to" ;;
  *.ts | *.mp4 | *.mkv)
    case $DEST in
      *.ts) MUX=mpegtsmux ;;
      *.mp4) MUX=mp4mux ;;
      *.mkv) MUX=matroskamux ;;
    esac
    SINK=("$MUX" name=mux)
    PACE=0
    NEEDED+=("$MUX") ;;
  *) die "destination '$DEST' is not srt://, rtmp:// or a .ts, .mp4 or .mkv file" ;;
esac
RECONNECT=${OVERLAY_RECONNECT_S:--1}
[[ $RECONNECT =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || die "OVERLAY_RECONNECT_S '$RECONNECT' is not seconds"
DELIVERY+=(--reconnect-for "$RECONNECT")
[ "$LAYOUT" = pip ] && [ "${OVERLAY_BORDER:-0}" != 0 ] && NEEDED+=(videobox)

missing=()
for e in "${NEEDED[@]}"; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || missing+=("$e (${PACKAGE[$e]})")
done
[ ${#missing[@]} -eq 0 ] || die "GStreamer elements missing: ${missing[*]}: install those packages" \
  "(sudo apt-get install ...)"
gst-inspect-1.0 facereenact >/dev/null 2>&1 ||
  die "GStreamer has no element facereenact: export GST_PLUGIN_PATH=<checkout>/target/release"
# facereenact-deliver: FACEREENACT_DELIVER, else beside the plugin (GST_PLUGIN_PATH's folders).
DELIVER=${FACEREENACT_DELIVER:-}
if [ -z "$DELIVER" ]; then
  IFS=: read -ra plugin_dirs <<<"${GST_PLUGIN_PATH:-}"
  for d in "${plugin_dirs[@]}"; do
    [ -x "$d/facereenact-deliver" ] && DELIVER=$d/facereenact-deliver && break
  done
fi
[ -n "$DELIVER" ] && [ -x "$DELIVER" ] ||
  die "facereenact-deliver not found beside the plugin (GST_PLUGIN_PATH): build it with" \
    "cargo build --release, or set FACEREENACT_DELIVER to it"
# Whether a picture has transparency: the format its decoder gives.
has_alpha() { # PICTURE
  local decoded
  decoded=$(gst-launch-1.0 -v filesrc location="$1" ! decodebin ! fakesink 2>/dev/null || true)
  grep -qE 'fakesink0.GstPad:sink: caps = video/x-raw, format=\(string\)(RGBA|BGRA|ARGB|ABGR|AYUV|ARGB64|RGBA64)' <<<"$decoded"
}
ALPHA=${OVERLAY_ALPHA:-picture}
# pip with a transparent picture: its transparent parts show the programme, not white.
PIP_ALPHA=0
[ "$LAYOUT" = pip ] && has_alpha "$AVATAR" && PIP_ALPHA=1
if [ "$LAYOUT" = cutout ]; then
  case $ALPHA in picture | matte) ;; *) die "OVERLAY_ALPHA '$ALPHA' is neither picture nor matte" ;; esac
  # (Not gst-inspect | grep -q: grep would exit at the match and gst-inspect fail on the pipe.)
  properties=$(gst-inspect-1.0 facereenact)
  grep -qE '^ +alpha +:' <<<"$properties" ||
    die "the facereenact element has no property alpha, which cutout needs: build the plugin" \
      "from a checkout that has it (cargo build --release)"
  # cutout with the picture's own alpha: refuse a picture without one (the element would only
  # warn, and the whole rectangle would cover the programme). The decoder's output format tells.
  if [ "$ALPHA" = picture ] && [ -f "$AVATAR" ]; then
    if ! has_alpha "$AVATAR"; then
      die "avatar $AVATAR has no transparency, so cutout would cover the programme with its whole" \
        "picture: use a PNG with an alpha channel, or OVERLAY_ALPHA=matte to cut the person out"
    fi
  fi
fi

# The programme's size, frame rate and whether the actor has sound (gst-discoverer-1.0; -t 120:
# the default 10 s can pass on a busy machine).
discover() { # WHAT PATH -> report on stdout
  local report
  if ! report=$(gst-discoverer-1.0 -t 120 "$2" 2>&1) || ! grep -q "video #" <<<"$report"; then
    grep -q "video #" <<<"$report" || [ -z "$report" ] || echo "$report" | tail -n 3 >&2
    die "$1 $2 is not a video GStreamer can read"
  fi
  printf '%s\n' "$report"
}
HAS_AUDIO=0
if is_device "$ACTOR"; then
  echo "overlay: note: the camera $ACTOR has no sound; sending picture only" >&2
else
  report=$(discover "actor video" "$ACTOR")
  grep -q "audio #" <<<"$report" && HAS_AUDIO=1
  [ "$HAS_AUDIO" = 1 ] || echo "overlay: note: $ACTOR has no sound; sending picture only" >&2
fi
SIZE=${OVERLAY_SIZE:-}
if ! is_device "$PROGRAMME"; then
  report=$(discover programme "$PROGRAMME")
  [ -n "$SIZE" ] || SIZE=$(awk '/video #/ { v++ } v == 1 && /^ *Width:/ && !w { w = $2 }
    v == 1 && /^ *Height:/ && !h { h = $2 } END { print w "x" h }' <<<"$report")
fi
SIZE=${SIZE:-1280x720}
[[ $SIZE =~ ^([0-9]+)x([0-9]+)$ ]] || die "OVERLAY_SIZE '$SIZE' is not WIDTHxHEIGHT"
WIDTH=${BASH_REMATCH[1]} HEIGHT=${BASH_REMATCH[2]}
[ "$WIDTH" -ge 16 ] && [ "$HEIGHT" -ge 16 ] || die "output size ${WIDTH}x$HEIGHT is too small"

# The avatar's output size (AW, AH); a picture without a face fails here with the element's message.
# shellcheck source=pipelines/avatar_size.sh
. "$(dirname "${BASH_SOURCE[0]}")/avatar_size.sh"
avatar_size "$AVATAR"

# The box: even sizes, the avatar's shape, plus the border.
if [ "$LAYOUT" = pip ]; then FRACTION=${OVERLAY_HEIGHT:-0.25}; else FRACTION=${OVERLAY_HEIGHT:-0.5}; fi
awk -v f="$FRACTION" 'BEGIN { exit !(f ~ /^[0-9]*\.?[0-9]+$/ && f > 0 && f <= 1) }' ||
  die "OVERLAY_HEIGHT '$FRACTION' is not a fraction 0..1"
BORDER=0
[ "$LAYOUT" = pip ] && BORDER=${OVERLAY_BORDER:-0}
[[ $BORDER =~ ^[0-9]+$ ]] || die "OVERLAY_BORDER '$BORDER' is not a number of pixels"
read -r PH PW < <(awk -v f="$FRACTION" -v h="$HEIGHT" -v aw="$AW" -v ah="$AH" -v b="$BORDER" 'BEGIN {
  ph = int((h * f - 2 * b) / 2 + 0.5) * 2; ph = ph < 2 ? 2 : ph; pw = int(ph * aw / ah / 2 + 0.5) * 2
  print ph, (pw < 2 ? 2 : pw) }')
BOX_W=$((PW + 2 * BORDER)) BOX_H=$((PH + 2 * BORDER))
[ "$BOX_W" -le "$WIDTH" ] && [ "$BOX_H" -le "$HEIGHT" ] ||
  die "a box ${BOX_W}x$BOX_H does not fit in the ${WIDTH}x$HEIGHT programme: lower OVERLAY_HEIGHT"
if [ -n "${OVERLAY_POS:-}" ]; then
  [[ $OVERLAY_POS =~ ^(-?[0-9]+),(-?[0-9]+)$ ]] || die "OVERLAY_POS '$OVERLAY_POS' is not X,Y in pixels"
  PX=${BASH_REMATCH[1]} PY=${BASH_REMATCH[2]}
else
  MARGIN=${OVERLAY_MARGIN:-$((HEIGHT / 36))}
  [[ $MARGIN =~ ^[0-9]+$ ]] || die "OVERLAY_MARGIN '$MARGIN' is not a number of pixels"
  # A cut-out figure stands on the bottom edge (its torso would end in mid-air above it).
  BOTTOM=$MARGIN
  [ "$LAYOUT" = cutout ] && BOTTOM=0
  case ${OVERLAY_CORNER:-bottom-right} in
    bottom-right) PX=$((WIDTH - BOX_W - MARGIN)) PY=$((HEIGHT - BOX_H - BOTTOM)) ;;
    bottom-left) PX=$MARGIN PY=$((HEIGHT - BOX_H - BOTTOM)) ;;
    top-right) PX=$((WIDTH - BOX_W - MARGIN)) PY=$MARGIN ;;
    top-left) PX=$MARGIN PY=$MARGIN ;;
    *) die "OVERLAY_CORNER '$OVERLAY_CORNER' is not bottom-right, bottom-left, top-right or top-left" ;;
  esac
fi
LATENCY_MS=${OVERLAY_LATENCY_MS:-200}
[[ $LATENCY_MS =~ ^[0-9]+$ ]] || die "OVERLAY_LATENCY_MS '$LATENCY_MS' is not milliseconds"
KBPS=${OVERLAY_KBPS:-4000}
[[ $KBPS =~ ^[0-9]+$ ]] || die "OVERLAY_KBPS '$KBPS' is not kbit/s"
X264=${OVERLAY_X264:-tune=zerolatency speed-preset=veryfast bitrate=$KBPS key-int-max=60}

# The pipeline, as gst-launch words.
# shellcheck disable=SC2054 # commas inside caps, not array separators
if is_device "$ACTOR"; then
  ACTOR_VIDEO=(v4l2src device="$ACTOR" ! decodebin ! videoconvert !
    queue max-size-buffers=1 leaky=downstream)
else
  ACTOR_VIDEO=(filesrc location="$ACTOR" ! decodebin name=a a. ! video/x-raw ! queue ! videoconvert)
fi
if is_device "$PROGRAMME"; then
  PROGRAMME_VIDEO=(v4l2src device="$PROGRAMME" ! decodebin)
else
  PROGRAMME_VIDEO=(filesrc location="$PROGRAMME" ! decodebin name=p p. ! video/x-raw)
fi
# shellcheck disable=SC2054
PROGRAMME_VIDEO+=(! queue ! videoconvert ! videoscale !
  video/x-raw,width="$WIDTH",height="$HEIGHT",pixel-aspect-ratio=1/1 ! comp.sink_0)
if [ "$LAYOUT" = pip ] && [ "$PIP_ALPHA" = 0 ]; then
  AVATAR_VIDEO=(facereenact name=facereenact actor-choice=speaking avatar="$AVATAR" ! videoconvert ! videoscale !
    "video/x-raw,width=$PW,height=$PH,pixel-aspect-ratio=1/1")
  [ "$BORDER" = 0 ] || AVATAR_VIDEO+=(! videobox left=-"$BORDER" right=-"$BORDER" top=-"$BORDER"
    bottom=-"$BORDER" fill=white)
else
  # alpha != opaque: the element's source pad prefers RGBA (straight alpha), which videoconvert
  # and videoscale keep and the compositor blends. (pip: the picture's own alpha.)
  [ "$LAYOUT" = pip ] && ALPHA=picture
  AVATAR_VIDEO=(facereenact name=facereenact actor-choice=speaking avatar="$AVATAR" alpha="$ALPHA" ! videoconvert !
    videoscale ! "video/x-raw,width=$PW,height=$PH,pixel-aspect-ratio=1/1")
  [ "$BORDER" = 0 ] || AVATAR_VIDEO+=(! videobox left=-"$BORDER" right=-"$BORDER" top=-"$BORDER"
    bottom=-"$BORDER" fill=white)
fi
# The compositor blends in the format of its output. pip: that of the programme (I420 from a
# decoder), so the programme passes through untouched. cutout and pip with a transparent picture:
# AYUV, which has alpha and holds the programme's YUV as it is; left to itself, the compositor
# picks an RGB format with alpha and the programme goes through YUV -> RGB -> YUV, 2-4 levels
# darker everywhere.
# shellcheck disable=SC2054
COMPOSED=(video/x-raw,width="$WIDTH",height="$HEIGHT")
# shellcheck disable=SC2054
[ "$LAYOUT" = pip ] && [ "$PIP_ALPHA" = 0 ] ||
  COMPOSED=(video/x-raw,format=AYUV,width="$WIDTH",height="$HEIGHT")
# A network DEST: paced to the clock here, not by the sink, so that the files play in real time
# while no receiver is reached as well.
PACER=()
[ "$PACE" = 1 ] && PACER=(clocksync name=pace !)
# shellcheck disable=SC2054,SC2206 # commas inside caps; X264 is a list of property=value words
PIPELINE=("${PROGRAMME_VIDEO[@]}" "${ACTOR_VIDEO[@]}" ! "${AVATAR_VIDEO[@]}" ! queue ! comp.sink_1
  compositor name=comp background=black latency=$((LATENCY_MS * 1000000))
  sink_0::zorder=0 sink_1::zorder=1 sink_1::xpos="$PX" sink_1::ypos="$PY" !
  "${COMPOSED[@]}" ! "${PACER[@]}"
  progressreport name=progress update-freq=5 format=buffers do-query=false silent=true !
  queue ! videoconvert ! video/x-raw,format=I420 ! x264enc $X264 ! h264parse ! queue ! mux.)
# shellcheck disable=SC2054
[ "$HAS_AUDIO" = 1 ] && PIPELINE+=(a. ! audio/x-raw !
  queue max-size-time=3000000000 max-size-bytes=0 max-size-buffers=0 ! audioconvert !
  audioresample ! audiorate tolerance=20000000 ! audioconvert ! avenc_aac bitrate=128000 !
  aacparse ! queue ! mux.)
PIPELINE+=("${SINK[@]}")
case $DEST in *.ts | *.mp4 | *.mkv) mkdir -p "$(dirname "$DEST")" ;; esac

clock() { awk -v s="$1" 'BEGIN { s = int(s + 0.5); h = int(s / 3600); m = int(s % 3600 / 60)
  if (h) printf "%d:%02d:%02d", h, m, s % 60; else printf "%d:%02d", m, s % 60 }'; }
SHOWN=$LAYOUT
[ "$PIP_ALPHA" = 0 ] || SHOWN="pip, transparent where the picture is"
echo "overlay: $ACTOR over $PROGRAMME ($SHOWN, avatar ${PW}x$PH at $PX,$PY in" \
  "${WIDTH}x$HEIGHT) -> $DEST" >&2
START=$EPOCHREALTIME
set +e
# facereenact-deliver runs the pipeline and delivers it (see Delivery above); it prints the
# progress, the element's warnings and notes, and what happens to the link.
"$DELIVER" "${DELIVERY[@]}" -- "${PIPELINE[@]}"
status=$?
set -e
WALL=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
if [ "$status" != 0 ]; then
  echo "overlay: stopped after $(clock "$WALL") (exit status $status; the reason is above)" >&2
  exit "$status"
fi
echo "overlay: done in $(clock "$WALL"): $(sed -E 's#^(rtmps?://[^/]+/[^/]+)/.*#\1/****#' <<<"$DEST")" >&2
