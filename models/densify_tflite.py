"""Folds a TFLite model's constant DENSIFY and DEQUANTIZE ops into plain float32 constants.

MediaPipe's face_detection_full_range_sparse.tflite stores its weights as sparse fp16 tensors
that DENSIFY and DEQUANTIZE ops turn into dense float32 at run time; tf2onnx cannot read sparse
tensors. The TFLite interpreter computes those ops' outputs (they depend only on constants);
this script writes them into the model as constants and removes the ops, so that the model
computes the same function with dense weights.

    python densify_tflite.py IN.tflite OUT.tflite
"""
import sys

import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

src, dst = sys.argv[1], sys.argv[2]
model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(open(src, "rb").read(), 0))
graph = model.subgraphs[0]
codes = {v: k for k, v in schema.BuiltinOperator.__dict__.items() if not k.startswith("_")}


def op_name(op):
    oc = model.operatorCodes[op.opcodeIndex]
    return codes[max(oc.builtinCode, oc.deprecatedBuiltinCode)]


def is_constant(i):
    t = graph.tensors[i]
    b = model.buffers[t.buffer]
    return b.data is not None and len(b.data) > 0


interp = tf.lite.Interpreter(
    model_path=src, experimental_preserve_all_tensors=True,
    experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
interp.allocate_tensors()
interp.set_tensor(interp.get_input_details()[0]["index"],
                  np.zeros(graph.tensors[graph.inputs[0]].shape, np.float32))
interp.invoke()

folded = set()
kept = []
# Operators are in execution order: a DEQUANTIZE of a DENSIFY's output folds after it.
for op in graph.operators:
    name = op_name(op)
    if name in ("DENSIFY", "DEQUANTIZE") and all(is_constant(i) or i in folded for i in op.inputs):
        out = op.outputs[0]
        value = interp.get_tensor(out)
        if name == "DEQUANTIZE":
            value = value.astype(np.float32)
        t = graph.tensors[out]
        t.type = {np.dtype(np.float32): schema.TensorType.FLOAT32,
                  np.dtype(np.float16): schema.TensorType.FLOAT16}[value.dtype]
        t.sparsity = None
        t.quantization = None
        buf = schema.BufferT()
        buf.data = np.frombuffer(value.tobytes(), np.uint8)
        model.buffers.append(buf)
        t.buffer = len(model.buffers) - 1
        folded.add(out)
    else:
        kept.append(op)
print(f"folded {len(graph.operators) - len(kept)} constant ops, {len(kept)} left")
graph.operators = kept
# The sparse inputs of the folded ops are no longer used: drop their sparse data so that no
# reader has to parse it.
used = {i for op in kept for i in op.inputs} | set(graph.outputs) | set(graph.inputs)
for i, t in enumerate(graph.tensors):
    if i not in used and t.sparsity is not None:
        t.sparsity = None
        model.buffers[t.buffer] = schema.BufferT()
        t.shape = np.array([0], np.int32)
builder = flatbuffers.Builder(1024)
builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
open(dst, "wb").write(builder.Output())

# The folded model computes what the original does.
a = tf.lite.Interpreter(model_path=src)
b = tf.lite.Interpreter(model_path=dst)
rng = np.random.default_rng(0)
x = rng.random(graph.tensors[graph.inputs[0]].shape, dtype=np.float32) * 2 - 1
diff = 0.0
for i in (a, b):
    i.allocate_tensors()
    i.set_tensor(i.get_input_details()[0]["index"], x)
    i.invoke()
for da, db in zip(a.get_output_details(), b.get_output_details()):
    diff = max(diff, float(np.abs(a.get_tensor(da["index"]) - b.get_tensor(db["index"])).max()))
print(f"max |original - folded| = {diff:.2e}")
assert diff < 1e-5
