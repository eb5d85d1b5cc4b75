#!/usr/bin/env bash
# Reproduces the ONNX models in this folder from MediaPipe's TFLite models (Apache-2.0) that ship
# in the mediapipe==0.10.14 wheel on PyPI, and checks them.
#
#   bash models/convert.sh            # convert into a temporary folder, compare with the committed
#                                     # models numerically (tf2onnx output is not byte-stable)
#   bash models/convert.sh --add      # also copy the models that SHA256SUMS does not list yet
#                                     # (a model newly added to this script) and append their
#                                     # sha256 lines; the listed models stay byte-identical
#   bash models/convert.sh --replace  # also overwrite every committed model and SHA256SUMS
#                                     # (all hashes change: releases must ship the new files)
#   bash models/convert.sh --replace face_landmark iris_landmark
#                                     # overwrite only the named models and their SHA256SUMS lines
#
# Needs python3 with venv; downloads about 700 MB of wheels (tensorflow-cpu) into a cache venv.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
VENV=${VENV:-$HOME/.cache/facereenact/convert-venv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q tf2onnx==1.17.0 tensorflow-cpu==2.21.0 onnx==1.23.2 onnxruntime==1.31.1 numpy

"$VENV/bin/pip" download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 -d "$WORK" mediapipe==0.10.14
echo "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4  $(ls "$WORK"/mediapipe-*.whl)" | sha256sum -c --quiet -
(cd "$WORK" && "$VENV/bin/python" -m zipfile -e mediapipe-*.whl wheel >/dev/null)

M=$WORK/wheel/mediapipe/modules
# The full-range detector stores its weights as sparse fp16 tensors (DENSIFY and DEQUANTIZE ops),
# which tf2onnx cannot read: fold them into dense float32 constants first (checked inside).
"$VENV/bin/python" "$HERE/densify_tflite.py" "$M/face_detection/face_detection_full_range_sparse.tflite" \
  "$M/face_detection/face_detection_full_range.tflite"
# The selfie segmentation model ends with MediaPipe's custom op Convolution2DTransposeBias, which
# tf2onnx does not know: write it as the builtin TRANSPOSE_CONV + ADD first (checked inside).
"$VENV/bin/python" "$HERE/transpose_conv_bias.py" "$M/selfie_segmentation/selfie_segmentation.tflite" \
  "$WORK/selfie_segmentation.tflite"
for src in "$M/face_detection/face_detection_short_range.tflite" \
    "$M/face_detection/face_detection_full_range.tflite" "$M/face_landmark/face_landmark.tflite" \
    "$M/iris_landmark/iris_landmark.tflite" "$WORK/selfie_segmentation.tflite"; do
  name=$(basename "$src" .tflite)
  "$VENV/bin/python" -m tf2onnx.convert --tflite "$src" \
    --output "$WORK/$name.onnx" --opset 17 >"$WORK/$name.log" 2>&1
done
# PRelu -> Min/Mul/Add: the same function, without ONNX Runtime's branchy scalar PRelu loop
# (selfie_segmentation has no PRelu: unchanged).
"$VENV/bin/python" "$HERE/rewrite_prelu.py" "$WORK"/*.onnx

"$VENV/bin/python" - "$WORK" "$HERE" "$M" <<'PY'
import glob, os, sys, numpy as np, onnxruntime as ort, tensorflow as tf
work, here, modules = sys.argv[1:4]
rng = np.random.default_rng(0)
tflite = {"face_detection_short_range": "face_detection/face_detection_short_range.tflite",
          "face_detection_full_range": "face_detection/face_detection_full_range_sparse.tflite",
          "face_landmark": "face_landmark/face_landmark.tflite",
          "iris_landmark": "iris_landmark/iris_landmark.tflite",
          "selfie_segmentation": "selfie_segmentation/selfie_segmentation.tflite"}
for name, original in tflite.items():
    a = ort.InferenceSession(f"{work}/{name}.onnx")
    inp = a.get_inputs()[0]
    x = rng.random(inp.shape, dtype=np.float32)
    fresh = a.run(None, {inp.name: x})
    # Against MediaPipe's own TFLite model (outputs matched by shape).
    t = tf.lite.Interpreter(model_path=f"{modules}/{original}")
    t.allocate_tensors()
    t.set_tensor(t.get_input_details()[0]["index"], x)
    t.invoke()
    ref = {tuple(d["shape"]): t.get_tensor(d["index"]) for d in t.get_output_details()}
    diff = max(float(np.abs(ref[tuple(o.shape)] - o).max()) for o in fresh)
    print(f"{name}: max |ONNX - TFLite| = {diff:.2e}")
    assert diff < 1e-3, name
    if os.path.exists(f"{here}/{name}.onnx"):
        b = ort.InferenceSession(f"{here}/{name}.onnx")
        diff = max(float(np.abs(p - q).max()) for p, q in zip(fresh, b.run(None, {inp.name: x})))
        print(f"{name}: max |fresh - committed| = {diff:.2e}")
        assert diff < 1e-4, name

# Random noise is no person: the segmentation model's output on it is all near 0, so compare it on
# real pictures too (the demo avatar and the test avatars in tests/media), fed as MediaPipe
# feeds it: the whole picture stretched to 256x256, RGB in 0..1.
pictures = sorted(glob.glob(f"{here}/../.deps/media/astronaut.png")
                  + glob.glob(f"{here}/../tests/media/avatar/*.*"))
a = ort.InferenceSession(f"{work}/selfie_segmentation.onnx")
t = tf.lite.Interpreter(model_path=f"{modules}/{tflite['selfie_segmentation']}")
t.allocate_tensors()
worst = 0.0
for path in pictures:
    rgb = tf.io.decode_image(open(path, "rb").read(), channels=3, expand_animations=False)
    x = tf.image.resize(tf.cast(rgb, tf.float32)[None] / 255, (256, 256)).numpy()
    t.set_tensor(t.get_input_details()[0]["index"], x)
    t.invoke()
    ref = t.get_tensor(t.get_output_details()[0]["index"])
    worst = max(worst, float(np.abs(ref - a.run(None, {a.get_inputs()[0].name: x})[0]).max()))
print(f"selfie_segmentation on {len(pictures)} real pictures: max |ONNX - TFLite| = {worst:.2e}")
assert worst < 1e-3
PY

if [ "${1:-}" = --add ]; then
  for f in "$WORK"/*.onnx; do
    name=$(basename "$f")
    if ! grep -q "  $name\$" "$HERE/SHA256SUMS"; then
      cp "$f" "$HERE/"
      (cd "$HERE" && sha256sum "$name" >> SHA256SUMS && sort -k2 -o SHA256SUMS SHA256SUMS)
      echo "added $name"
    fi
  done
fi
if [ "${1:-}" = --replace ] && [ $# -gt 1 ]; then
  shift
  for name in "$@"; do
    [ -s "$WORK/$name.onnx" ] || { echo "no model named $name (the names: $(cd "$WORK" && ls *.onnx))" >&2; exit 1; }
    cp "$WORK/$name.onnx" "$HERE/"
    (cd "$HERE" && grep -v "  $name.onnx\$" SHA256SUMS > SHA256SUMS.new; sha256sum "$name.onnx" >> SHA256SUMS.new
     sort -k2 SHA256SUMS.new > SHA256SUMS && rm SHA256SUMS.new)
    echo "replaced $name.onnx and its SHA256SUMS line"
  done
elif [ "${1:-}" = --replace ]; then
  cp "$WORK"/*.onnx "$HERE"/
  (cd "$HERE" && sha256sum *.onnx > SHA256SUMS)
  echo "replaced the models and SHA256SUMS"
fi
(cd "$HERE" && sha256sum -c SHA256SUMS)
