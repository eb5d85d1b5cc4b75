# Sourced by the pipeline scripts (not run): avatar_size AVATAR sets AW and AH to the size of the
# element's output for that avatar picture (after EXIF orientation and padding to even), by
# loading it once in a one-frame pipeline, so that a picture without a face fails now, with the
# element's own message. Needs the caller's die (prints its arguments and exits 1).
avatar_size() {
  local probe
  if ! probe=$(gst-launch-1.0 -v videotestsrc num-buffers=1 ! video/x-raw,format=I420,width=64,height=64 ! \
    facereenact name=avatarprobe avatar="$1" ! fakesink 2>&1); then
    grep -m1 "^ERROR" <<<"$probe" | sed 's/^ERROR: from element [^ ]*: //' >&2 || true
    die "avatar picture $1 cannot be used"
  fi
  read -r AW AH < <(grep -m1 "avatarprobe.GstPad:src: caps" <<<"$probe" |
    sed -E 's/.*width=\(int\)([0-9]+).*height=\(int\)([0-9]+).*/\1 \2/') || true
  [[ ${AW:-} =~ ^[0-9]+$ && ${AH:-} =~ ^[0-9]+$ ]] || die "could not learn the output size for avatar $1"
}
