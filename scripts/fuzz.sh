#!/usr/bin/env bash
# Fuzzes the avatar loading path (fuzz/fuzz_targets/avatar_picture.rs) for SECONDS (default 60),
# starting from the seed corpus fuzz/corpus/avatar_picture/, and fails if libFuzzer finds a panic,
# a hang or an out-of-memory, printing the input that caused it.
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Works on stable Rust: cargo-fuzz builds with `--sanitizer none` (libFuzzer's coverage
# instrumentation only; AddressSanitizer needs nightly). Installs cargo-fuzz once (about a
# minute; an installed one is reused). The fuzz build has its own target dir, fuzz/target (first
# build about 2.5 minutes on 2 cores). New inputs libFuzzer finds go to fuzz/target/corpus/, not
# into the committed seeds; crashing inputs go to fuzz/artifacts/avatar_picture/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
target=avatar_picture
seeds=fuzz/corpus/$target
work=fuzz/target/corpus/$target
artifacts=fuzz/artifacts/$target

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz" >&2
  cargo install cargo-fuzz --version '^0.13' --locked
fi
# fuzz/Cargo.lock is committed: refuse to run with one that needs an update.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null

export CARGO_TARGET_DIR="$PWD/fuzz/target"
flags=(--sanitizer none --debug-assertions)
cargo fuzz build "${flags[@]}" "$target"

mkdir -p "$work" "$artifacts"
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
echo "[fuzz] $target for ${seconds}s over $seeds ($(ls "$seeds" | wc -l) seeds)" >&2
status=0
# -timeout: one input taking 30 s is a hang (a 64-megapixel decode takes about 1 s);
# -rss_limit_mb: the largest picture within the limits needs about 1 GB.
cargo fuzz run "${flags[@]}" "$target" "$work" "$seeds" -- \
  -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 || status=$?

found=$(find "$artifacts" -type f -newer "$marker" \
  \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
if [ "$status" -ne 0 ] || [ -n "$found" ]; then
  echo "[fuzz] FAILED (exit $status). Crashing input(s):" >&2
  for f in $found; do echo "  $f" >&2; done
  echo "[fuzz] reproduce: cargo fuzz run ${flags[*]} $target <input>" >&2
  exit 1
fi
echo "[fuzz] no crash in ${seconds}s" >&2
