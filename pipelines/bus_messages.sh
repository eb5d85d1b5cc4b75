# Sourced by the pipeline scripts (not run): bus_message PREFIX LINE turns gst-launch-1.0's report
# of a warning or info message (what it prints on stdout when run without -q) into one readable
# line on stderr, e.g. for the element's "no face" warning:
#   lecture: warning (facereenact): no face in the last 60 actor frames: the avatar holds ...
#   lecture: note (facereenact): face found again after 75 actor frames without one
# Returns 0 when LINE belonged to such a report (printed, or its debug details skipped), 1 for any
# other line. gst-launch prints a warning as "WARNING: from element PATH: TEXT" followed by
# "Additional debug info:" and the details (source location, element path, then the details
# themselves; skipped: the caller drops lines it does not know), and an info as "INFO:" followed
# by the details only, whose second line is the text. Errors go to stderr as they are.
BUS_INFO_STATE=""
BUS_INFO_FROM=""
bus_message() { # PREFIX LINE
  local prefix=$1 line=$2 rest path
  case $BUS_INFO_STATE in
    location)
      # "file.rs(123): function (): /GstPipeline:pipeline0/GstFaceReenact:facereenact:"
      path=${line%:} BUS_INFO_FROM=${path##*:} BUS_INFO_STATE=text
      return 0 ;;
    text)
      BUS_INFO_STATE=""
      printf '%s: note (%s): %s\n' "$prefix" "$BUS_INFO_FROM" "$line" >&2
      return 0 ;;
  esac
  case $line in
    "WARNING: from element "*)
      rest=${line#WARNING: from element } path=${rest%%: *}
      printf '%s: warning (%s): %s\n' "$prefix" "${path##*:}" "${rest#*: }" >&2
      return 0 ;;
    "INFO:")
      BUS_INFO_STATE=location
      return 0 ;;
  esac
  return 1
}
