"""Rewrites every PRelu(y, slope) of an ONNX model as Add(Mul(y, slope), Mul(Relu(y), 1 - slope)).

The two are equal for every y and slope (y > 0: slope y + (1 - slope) y = y; y < 0: slope y),
but ONNX Runtime's CPU kernels run the rewritten form much faster:

* its PRelu with a per-channel slope is a scalar loop with a data-dependent branch, which
  mispredicts on real images (on face_landmark.onnx it was a third of the inference time);
* the earlier rewrite, Add(y, Mul(Min(y, 0), slope - 1)), is vectorised but Min has no kernel
  in ONNX Runtime's blocked NCHWc layout (the layout its AVX2/AVX-512 convolutions use), so every
  PRelu cost a reorder out of that layout and one back in: 109 reorders per run of
  iris_landmark.onnx;
* Relu, and Mul and Add with a per-channel constant, stay in the NCHWc layout, and the final Add
  fuses into the next convolution's sum input. On a 2-core AMD EPYC (Zen 4), one thread, real
  crops (2026-12-07): iris_landmark 2.8 -> 2.1 ms, face_landmark 2.2 -> 1.8 ms per run.

    python rewrite_prelu.py model.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def rewrite(model):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes = []
    for n in g.node:
        if n.op_type != "PRelu":
            nodes.append(n)
            continue
        y, slope_name = n.input
        slope = numpy_helper.to_array(inits[slope_name]).astype(np.float32)
        gain_neg, gain_pos = f"{n.name}_slope", f"{n.name}_one_minus_slope"
        g.initializer.append(numpy_helper.from_array(slope, gain_neg))
        g.initializer.append(numpy_helper.from_array((1 - slope).astype(np.float32), gain_pos))
        linear, rect, scaled = f"{n.name}_linear", f"{n.name}_relu", f"{n.name}_relu_scaled"
        nodes += [
            helper.make_node("Mul", [y, gain_neg], [linear], name=f"{n.name}_mul_slope"),
            helper.make_node("Relu", [y], [rect], name=f"{n.name}_relu"),
            helper.make_node("Mul", [rect, gain_pos], [scaled], name=f"{n.name}_mul_rest"),
            helper.make_node("Add", [linear, scaled], list(n.output), name=f"{n.name}_add"),
        ]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    for path in sys.argv[1:]:
        onnx.save(rewrite(onnx.load(path)), path)
