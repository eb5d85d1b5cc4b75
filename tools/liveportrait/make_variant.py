#!/usr/bin/env python3
"""Test variants of LivePortrait model files, as sets found in the wild have them, for
tools/liveportrait/convert_set.py and the engine's checks (made on the fly by
tests/liveportrait_reference.rs; run in the project's .venv):

    python tools/liveportrait/make_variant.py plugin IN.onnx OUT.onnx
        GridSample nodes made the GridSample3D custom op of FasterLivePortrait's TensorRT file
        (warping_spade-fix.onnx; the op of SeanWangJS/grid-sample3d-trt-plugin: integer
        attributes interpolation_mode 0 bilinear / 1 nearest / 2 bicubic, padding_mode 0 zeros /
        1 border / 2 reflection, align_corners). ONNX Runtime cannot run it.
    python tools/liveportrait/make_variant.py f16-io IN.onnx OUT.onnx
        the whole model in f16, its inputs and outputs included (onnxconverter-common,
        keep_io_types=False): the engine feeds f32, so it refuses such a file.
"""

import sys

import onnx
from onnx import helper

MODES = {b"bilinear": 0, b"linear": 0, b"nearest": 1, b"bicubic": 2, b"cubic": 2}
PADDING = {b"zeros": 0, b"border": 1, b"reflection": 2}


def plugin(model):
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
        sys.exit("no GridSample node")
    return model, f"{n} GridSample node(s) made GridSample3D"


def f16_io(model):
    from onnxconverter_common import float16
    return float16.convert_float_to_float16(model, keep_io_types=False), "f16 inside and at its inputs and outputs"


def main(kind, src, dst):
    model, what = {"plugin": plugin, "f16-io": f16_io}[kind](onnx.load(src))
    onnx.save(model, dst)
    print(f"{dst}: {what}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
