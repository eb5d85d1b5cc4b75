#!/usr/bin/env bash
# Quality matrix for issue 3's targets: runs examples/report.rs for every driving video in
# tests/media/driving with each of the four reference avatars, writes the contact sheets to
# out/report/ and the table to out/report/matrix.md.
#
#   bash scripts/report_matrix.sh [EVERY_N] [ELEMENT PROPS...]
#
# Needs scripts/setup.sh to have run. MEDIA (default tests/media) points at the media.
set -euo pipefail
cd "$(dirname "$0")/.."
media=${MEDIA:-tests/media}
every=${1:-40}
shift || true
out=out/report
mkdir -p "$out"
cargo build --release --example report --quiet
table=$out/matrix.md
printf '| actor | avatar | frames | with face | mouth | eyes | roll (actor range) | yaw | bg (/255) | jitter | head jitter | drawn mouth/eyes/roll | drawn jitter | sheet |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n' >"$table"
for actor in "$media"/driving/*.mp4; do
  for avatar in astronaut_512.png mona_lisa_720x1280.jpg glasses_beard_400.jpg bw_photo_2048.jpg; do
    target/release/examples/report "$actor" "$media/avatar/$avatar" "$out" "$every" "$@" | tail -n 1 >>"$table"
  done
done
cat "$table"
