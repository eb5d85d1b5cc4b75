#!/usr/bin/env python3
"""Write a copy of a warping_spade.onnx whose GridSample nodes are the GridSample3D custom op of
FasterLivePortrait's TensorRT file (warping_spade-fix.onnx; the op of
SeanWangJS/grid-sample3d-trt-plugin: integer attributes interpolation_mode 0 bilinear / 1 nearest
/ 2 bicubic, padding_mode 0 zeros / 1 border / 2 reflection, align_corners). ONNX Runtime cannot
run it; tools/liveportrait/convert_set.py turns it back into standard GridSample. Test data
made on the fly by tests/liveportrait_sets.rs from tests/data/liveportrait/tiny_opset16/.

    python tools/liveportrait/make_plugin_variant.py IN.onnx OUT.onnx   (in the project's .venv)
"""

import sys

import onnx
from onnx import helper

MODES = {b"bilinear": 0, b"linear": 0, b"nearest": 1, b"bicubic": 2, b"cubic": 2}
PADDING = {b"zeros": 0, b"border": 1, b"reflection": 2}


def main(src, dst):
    model = onnx.load(src)
    n = 0
    for node in model.graph.node:
        if node.op_type != "GridSample":
            continue
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        del node.attribute[:]
        node.op_type = "GridSample3D"
        node.attribute.extend([
            helper.make_attribute("interpolation_mode", MODES[a.get("mode", b"bilinear")]),
            helper.make_attribute("padding_mode", PADDING[a.get("padding_mode", b"zeros")]),
            helper.make_attribute("align_corners", int(a.get("align_corners", 0))),
        ])
        n += 1
    if n == 0:
        sys.exit(f"{src} has no GridSample node")
    onnx.save(model, dst)
    print(f"{dst}: {n} GridSample node(s) made GridSample3D")


if __name__ == "__main__":
    main(*sys.argv[1:3])
