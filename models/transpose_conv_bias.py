"""Replaces MediaPipe's custom TFLite op Convolution2DTransposeBias with builtin ops.

MediaPipe's selfie_segmentation.tflite ends with one Convolution2DTransposeBias (a transposed
convolution plus a bias, MediaPipe's mediapipe/util/tflite/operations/transpose_conv_bias.cc);
tf2onnx does not know that custom op. This script writes each one as the builtin TRANSPOSE_CONV
(output shape, weights, input) followed by ADD (bias): the same function. The custom op's
options are a raw TfLiteTransposeConvParams struct (int32 padding, stride_w, stride_h; padding
1 = SAME, 2 = VALID).

    python transpose_conv_bias.py IN.tflite OUT.tflite

Checks that the rewritten model gives the outputs of the original one, both run by TFLite with
its default XNNPACK delegate (which implements the custom op, as in MediaPipe's CPU graph): the
same kernels on both sides, so only the rewrite is compared (TFLite's reference kernels differ
from XNNPACK's by up to 7e-5 on this model's 0..1 output).
"""
import sys

import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

src, dst = sys.argv[1], sys.argv[2]
model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(open(src, "rb").read(), 0))
graph = model.subgraphs[0]


def opcode(builtin):
    """Index of the operator code for `builtin`, added when the model has none."""
    for i, oc in enumerate(model.operatorCodes):
        if not oc.customCode and max(oc.builtinCode, oc.deprecatedBuiltinCode) == builtin:
            return i
    oc = schema.OperatorCodeT()
    oc.builtinCode = builtin
    oc.deprecatedBuiltinCode = min(builtin, 127)
    oc.version = 1
    model.operatorCodes.append(oc)
    return len(model.operatorCodes) - 1


def add_tensor(name, shape, ttype, data=None):
    buf = schema.BufferT()
    if data is not None:
        buf.data = np.frombuffer(data.tobytes(), np.uint8)
    model.buffers.append(buf)
    t = schema.TensorT()
    t.name, t.shape, t.type, t.buffer = name, np.array(shape, np.int32), ttype, len(model.buffers) - 1
    graph.tensors.append(t)
    return len(graph.tensors) - 1


ops = []
replaced = 0
for op in graph.operators:
    oc = model.operatorCodes[op.opcodeIndex]
    if oc.customCode != b"Convolution2DTransposeBias":
        ops.append(op)
        continue
    x, weights, bias = op.inputs
    (out,) = op.outputs
    padding, stride_w, stride_h = np.frombuffer(bytes(op.customOptions), np.int32)
    assert padding in (1, 2), padding
    out_t = graph.tensors[out]
    name = out_t.name.decode()
    shape = add_tensor(f"{name}/output_shape", [4], schema.TensorType.INT32,
                       np.array(out_t.shape, np.int32))
    unbiased = add_tensor(f"{name}/unbiased", out_t.shape, out_t.type)
    conv = schema.OperatorT()
    conv.opcodeIndex = opcode(schema.BuiltinOperator.TRANSPOSE_CONV)
    conv.inputs, conv.outputs = np.array([shape, weights, x], np.int32), np.array([unbiased], np.int32)
    conv.builtinOptionsType = schema.BuiltinOptions.TransposeConvOptions
    conv.builtinOptions = schema.TransposeConvOptionsT(
        padding=schema.Padding.SAME if padding == 1 else schema.Padding.VALID,
        strideW=int(stride_w), strideH=int(stride_h))
    add = schema.OperatorT()
    add.opcodeIndex = opcode(schema.BuiltinOperator.ADD)
    add.inputs, add.outputs = np.array([unbiased, bias], np.int32), np.array([out], np.int32)
    add.builtinOptionsType = schema.BuiltinOptions.AddOptions
    add.builtinOptions = schema.AddOptionsT()
    ops += [conv, add]
    replaced += 1
print(f"replaced {replaced} Convolution2DTransposeBias op(s)")
assert replaced > 0
graph.operators = ops
builder = flatbuffers.Builder(1024)
builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
open(dst, "wb").write(builder.Output())

# The rewritten model computes what the original does.
a = tf.lite.Interpreter(model_path=src)
b = tf.lite.Interpreter(model_path=dst)
rng = np.random.default_rng(0)
shape = graph.tensors[graph.inputs[0]].shape
# Random noise is no person (outputs all near 0): also a smooth bright blob, whose outputs vary.
yy, xx = np.mgrid[0:shape[1], 0:shape[2]] / shape[1] - 0.5
blob = np.exp(-(xx ** 2 + (yy - 0.2) ** 2) * 8)[None, :, :, None] * np.array([0.9, 0.7, 0.6])
diff = 0.0
for x in (rng.random(shape, dtype=np.float32), blob.astype(np.float32)):
    for i in (a, b):
        i.allocate_tensors()
        i.set_tensor(i.get_input_details()[0]["index"], x)
        i.invoke()
    for da, db in zip(a.get_output_details(), b.get_output_details()):
        diff = max(diff, float(np.abs(a.get_tensor(da["index"]) - b.get_tensor(db["index"])).max()))
print(f"max |original - rewritten| = {diff:.2e}")
assert diff < 1e-5
