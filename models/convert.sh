#!/usr/bin/env bash
# Reproduces the ONNX models in this folder from MediaPipe's TFLite models (Apache-2.0) that ship
# in the mediapipe==0.10.14 wheel on PyPI, and checks them.
#
#   bash models/convert.sh            # convert into a temporary folder, compare with the committed
#                                     # models numerically (tf2onnx output is not byte-stable)
#   bash models/convert.sh --replace  # also overwrite the committed models and SHA256SUMS
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
for m in face_detection/face_detection_short_range face_detection/face_detection_full_range \
    face_landmark/face_landmark iris_landmark/iris_landmark; do
  "$VENV/bin/python" -m tf2onnx.convert --tflite "$M/$m.tflite" \
    --output "$WORK/$(basename $m).onnx" --opset 17 >"$WORK/$(basename $m).log" 2>&1
done
# PRelu -> Min/Mul/Add: the same function, without ONNX Runtime's branchy scalar PRelu loop.
"$VENV/bin/python" "$HERE/rewrite_prelu.py" "$WORK"/*.onnx

"$VENV/bin/python" - "$WORK" "$HERE" "$M" <<'PY'
import os, sys, numpy as np, onnxruntime as ort, tensorflow as tf
work, here, modules = sys.argv[1:4]
rng = np.random.default_rng(0)
tflite = {"face_detection_short_range": "face_detection/face_detection_short_range.tflite",
          "face_detection_full_range": "face_detection/face_detection_full_range_sparse.tflite",
          "face_landmark": "face_landmark/face_landmark.tflite",
          "iris_landmark": "iris_landmark/iris_landmark.tflite"}
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
PY

if [ "${1:-}" = --replace ]; then
  cp "$WORK"/*.onnx "$HERE"/
  (cd "$HERE" && sha256sum *.onnx > SHA256SUMS)
  echo "replaced the models and SHA256SUMS"
fi
(cd "$HERE" && sha256sum -c SHA256SUMS)
