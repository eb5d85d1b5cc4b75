#!/usr/bin/env python3
"""Convert a LivePortrait ONNX model set (such as FasterLivePortrait's published release) into one
the facereenact LivePortrait engine runs on every ONNX Runtime execution provider, and check it.

    tools/liveportrait/convert_set.sh IN_DIR OUT_DIR [--half]

(the .sh wrapper makes the project's Python environment, .venv/, from
tools/liveportrait/requirements-convert.txt, then runs this file in it).

What it changes, per file of the set (appearance_feature_extractor, motion_extractor,
warping_spade, stitching, stitching_eye, stitching_lip):

* GridSample at opset 20. LivePortrait's warping network samples a 5-D feature volume. The ONNX
  standard defines 5-D GridSample only from opset 20 (GridSample-16 is 4-D only, and opset 20
  renames the modes bilinear -> linear, bicubic -> cubic). A file that declares an older opset
  around GridSample is converted to opset 20 as a whole with onnx's version converter (every
  operator whose definition changed between the two opsets is rewritten by its adapter). ONNX
  Runtime's CPU kernel runs both; its CUDA kernel before opset 20 is 4-D only ("Only 4-D tensor
  is supported", FasterLivePortrait issues #14, #36, #162, #191).
* GridSample3D (the custom op of FasterLivePortrait's TensorRT file warping_spade-fix.onnx, from
  SeanWangJS/grid-sample3d-trt-plugin: integer attributes interpolation_mode 0 bilinear /
  1 nearest / 2 bicubic, padding_mode 0 zeros / 1 border / 2 reflection, align_corners) becomes
  the standard GridSample with the same sampling. warping_spade-fix.onnx is read when the folder
  has no warping_spade.onnx and written as warping_spade.onnx.
* f16 inputs or outputs get a Cast, so every input and output is f32 as the engine feeds them
  (the inside stays f16).
* --half: the weights and the arithmetic inside become f16, inputs and outputs stay f32
  (onnxconverter-common's float16 conversion, keep_io_types). For GPUs: ONNX Runtime's CPU
  provider has no f16 kernels for most of these operators.

Files that need none of this are copied byte for byte. Input and output names, element types
and shapes are kept (checked). Every written file is checked with onnx.checker and run with ONNX
Runtime (CPU) on the same random inputs (fixed seed) as the original: the largest difference per
output is printed and written to OUT_DIR/conversion_report.json; a difference above the tolerance
(f32: 1e-4 relative to the output's largest magnitude; --half or a model already in f16: 2e-2)
fails the conversion, and nothing is left at OUT_DIR's file names.

Exit status: 0 converted and checked; 1 a check failed; 2 bad arguments or an unreadable set.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
from onnx import TensorProto, helper, version_converter

TARGET_OPSET = 20
SET_FILES = [
    "appearance_feature_extractor.onnx",
    "motion_extractor.onnx",
    "warping_spade.onnx",
    "stitching.onnx",
    "stitching_eye.onnx",
    "stitching_lip.onnx",
]
REQUIRED = SET_FILES[:4]
PLUGIN_WARPING = "warping_spade-fix.onnx"
F32_TOLERANCE = 1e-4
HALF_TOLERANCE = 2e-2
HALF_KEEP_F32 = ["Resize", "GridSample"]
SEED = 20261207

GRID_SAMPLE_3D_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
GRID_SAMPLE_3D_PADDING = {0: "zeros", 1: "border", 2: "reflection"}
# GridSample's mode names at opset 20 (https://onnx.ai/onnx/operators/text_diff_GridSample_16_20.html)
OPSET_20_MODE = {b"bilinear": b"linear", b"bicubic": b"cubic"}


def standard_opset(model):
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    return max(versions) if versions else None


def io_signature(model):
    """name -> (elem_type, shape) of the graph's real inputs (initializers excluded) and outputs."""
    inits = {i.name for i in model.graph.initializer}

    def sig(values):
        out = {}
        for v in values:
            if v.name in inits:
                continue
            t = v.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim]
            out[v.name] = (t.elem_type, dims)
        return out

    return sig(model.graph.input), sig(model.graph.output)


def replace_grid_sample_3d(model, notes):
    """GridSample3D (any domain) -> standard GridSample with the same sampling, old mode names
    (opset 16 spelling; the version conversion renames them)."""
    n = 0
    for node in model.graph.node:
        if node.op_type != "GridSample3D":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}

        def pick(key, table, default):
            v = attrs.get(key, default)
            if isinstance(v, bytes):
                return v.decode()
            if v not in table:
                raise SystemExit(f"GridSample3D node {node.name!r}: {key}={v} is not one of {table}")
            return table[v]

        mode = pick("interpolation_mode", GRID_SAMPLE_3D_MODES, 0)
        padding = pick("padding_mode", GRID_SAMPLE_3D_PADDING, 0)
        align = int(attrs.get("align_corners", 0))
        del node.attribute[:]
        node.op_type, node.domain = "GridSample", ""
        node.attribute.extend([
            helper.make_attribute("mode", mode),
            helper.make_attribute("padding_mode", padding),
            helper.make_attribute("align_corners", align),
        ])
        n += 1
    if n:
        used = {node.domain for node in model.graph.node}
        keep = [o for o in model.opset_import if o.domain in ("", "ai.onnx") or o.domain in used]
        del model.opset_import[:]
        model.opset_import.extend(keep)
        notes.append(f"{n} GridSample3D node(s) (TensorRT plugin op) replaced by standard GridSample")
    return n


def rename_modes_for_opset_20(model):
    n = 0
    for node in model.graph.node:
        if node.op_type == "GridSample" and node.domain in ("", "ai.onnx"):
            for a in node.attribute:
                if a.name == "mode" and a.s in OPSET_20_MODE:
                    a.s = OPSET_20_MODE[a.s]
                    n += 1
    return n


def set_standard_opset(model, version):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = version


def changed_ops(model, old, new):
    """Standard ops of the graph whose definition differs between opsets `old` and `new`."""
    out = set()
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        a = onnx.defs.get_schema(node.op_type, old).since_version
        b = onnx.defs.get_schema(node.op_type, new).since_version
        if a != b:
            out.add(node.op_type)
    return sorted(out)


def to_opset_20(model, notes):
    old = standard_opset(model)
    changed = changed_ops(model, old, TARGET_OPSET)
    try:
        converted = version_converter.convert_version(model, TARGET_OPSET)
        renamed = sum(
            1 for n in converted.graph.node if n.op_type == "GridSample"
            for a in n.attribute if a.name == "mode" and a.s in (b"linear", b"cubic"))
        notes.append(f"opset {old} -> {TARGET_OPSET} by onnx's version converter; operators whose "
                     f"definition changed: {', '.join(changed) or 'none'}; GridSample modes in opset-20 "
                     f"names: {renamed}")
        return converted
    except Exception as e:  # the converter refuses some graphs (shape inference of 5-D GridSample-16)
        # Only GridSample changed: its opset-20 definition is GridSample-16's plus 5-D and the
        # mode names, so re-declaring the opset and renaming the modes is the whole conversion.
        others = [op for op in changed if op != "GridSample"]
        if others:
            raise SystemExit(
                f"onnx's version converter failed ({e}) and operators other than GridSample changed "
                f"between opset {old} and {TARGET_OPSET}: {', '.join(others)}: not converted")
        set_standard_opset(model, TARGET_OPSET)
        n = rename_modes_for_opset_20(model)
        notes.append(f"opset {old} -> {TARGET_OPSET} re-declared (the version converter failed: {e}; "
                     f"GridSample is the only operator whose definition differs); {n} GridSample "
                     f"mode(s) renamed to opset-20 names")
        return model


def rename_uses(graph, name, new_name, as_output=False):
    """Every node input named `name` (and, with `as_output`, every node output) is renamed."""
    for node in graph.node:
        lists = (node.input, node.output) if as_output else (node.input,)
        for names in lists:
            for i, x in enumerate(names):
                if x == name:
                    names[i] = new_name


def cast_f16_io_to_f32(model, notes):
    """Cast nodes so every graph input and output is f32; the inside stays as it is."""
    g = model.graph
    inits = {i.name for i in g.initializer}
    casts_in, n = [], 0
    for v in g.input:
        if v.name in inits or v.type.tensor_type.elem_type != TensorProto.FLOAT16:
            continue
        rename_uses(g, v.name, v.name + "_f16")
        casts_in.append(helper.make_node("Cast", [v.name], [v.name + "_f16"],
                                         to=TensorProto.FLOAT16, name=f"{v.name}_to_f16"))
        v.type.tensor_type.elem_type = TensorProto.FLOAT
        n += 1
    for v in g.output:
        if v.type.tensor_type.elem_type != TensorProto.FLOAT16:
            continue
        rename_uses(g, v.name, v.name + "_f16", as_output=True)
        g.node.append(helper.make_node("Cast", [v.name + "_f16"], [v.name],
                                       to=TensorProto.FLOAT, name=f"{v.name}_to_f32"))
        v.type.tensor_type.elem_type = TensorProto.FLOAT
        n += 1
    for c in reversed(casts_in):
        g.node.insert(0, c)
    if n:
        notes.append(f"{n} f16 input(s)/output(s) given a Cast to f32")
    return n


def to_half_inside(model, notes):
    import warnings  # noqa: PLC0415

    from onnxconverter_common import float16  # noqa: PLC0415 (only with --half)
    # It warns once per weight below f16's range (set to +-1e-7): no use to a user.
    warnings.filterwarnings("ignore", module="onnxconverter_common")
    # Kept f32 (with Casts around them): Resize, whose scales input must stay f32, and
    # GridSample, whose sampling positions need f32's precision on a 64-wide volume.
    block = sorted(set(float16.DEFAULT_OP_BLOCK_LIST) | set(HALF_KEEP_F32))
    half = float16.convert_float_to_float16(model, keep_io_types=True,
                                            op_block_list=block)
    restore_f32_resize_parameters(half)
    notes.append("weights and arithmetic f16 inside (but " + ", ".join(HALF_KEEP_F32)
                 + "), inputs and outputs f32 (onnxconverter-common)")
    return half


def restore_f32_resize_parameters(model):
    """onnxconverter-common turns the Constant nodes that give Resize its roi and scales into f16
    even when Resize itself is kept f32; ONNX requires them f32. Turn them back."""
    g = model.graph
    producers = {o: n for n in g.node for o in n.output}
    inits = {i.name: i for i in g.initializer}
    for node in g.node:
        if node.op_type != "Resize":
            continue
        for name in node.input[1:3]:
            t = None
            if name in inits:
                t = inits[name]
            elif name in producers and producers[name].op_type == "Constant":
                t = next((a.t for a in producers[name].attribute if a.name == "value"), None)
            if t is not None and t.data_type == TensorProto.FLOAT16:
                t.CopyFrom(onnx.numpy_helper.from_array(
                    onnx.numpy_helper.to_array(t).astype(np.float32), t.name))


def random_feeds(model, rng):
    feeds = {}
    for name, (elem, dims) in io_signature(model)[0].items():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in dims]
        dtype = np.float16 if elem == TensorProto.FLOAT16 else np.float32
        if name in ("kp_driving", "kp_source"):
            a = 0.5 * rng.standard_normal(shape)
        elif name == "img":
            a = rng.random(shape)
        else:
            a = rng.standard_normal(shape)
        feeds[name] = a.astype(dtype)
    return feeds


def run(path_or_bytes, feeds):
    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: f16 graphs warn about every node not constant-folded
    sess = ort.InferenceSession(path_or_bytes, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    want = {i.name: i.type for i in sess.get_inputs()}
    f = {k: (v.astype(np.float32) if want[k] == "tensor(float)" else v.astype(np.float16))
         for k, v in feeds.items()}
    return dict(zip(names, (o.astype(np.float32) for o in sess.run(names, f))))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def convert_file(src, name, half, staging, reference_src=None):
    """Converts one file into `staging`; returns its report entry. `reference_src`: a file of the
    same set ONNX Runtime can run, to check against when `src` itself cannot be run (GridSample3D)."""
    model = onnx.load(src)
    before_io = io_signature(model)
    # A model computing in f16 already: old and new round differently (ONNX Runtime's CPU
    # provider runs some f16 operators in f32): f16's tolerance.
    was_half = any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer) or any(
        t == TensorProto.FLOAT16 for t, _ in list(before_io[0].values()) + list(before_io[1].values()))
    entry = {"source": os.path.basename(src), "source_sha256": sha256(src),
             "opset_before": standard_opset(model), "changes": []}
    notes = entry["changes"]
    plugin_nodes = replace_grid_sample_3d(model, notes)
    has_grid_sample = any(n.op_type == "GridSample" for n in model.graph.node)
    if has_grid_sample and (standard_opset(model) or 0) < TARGET_OPSET:
        model = to_opset_20(model, notes)
    cast_f16_io_to_f32(model, notes)
    if half:
        model = to_half_inside(model, notes)
    entry["opset_after"] = standard_opset(model)
    out = os.path.join(staging, name)
    if not notes:
        shutil.copyfile(src, out)
        notes.append("unchanged (copied)")
    else:
        onnx.checker.check_model(model)
        meta = {p.key: p for p in model.metadata_props}
        for k, v in (("facereenact.converted_from", os.path.basename(src)),
                     ("facereenact.converted_from_sha256", entry["source_sha256"]),
                     ("facereenact.converter", "tools/liveportrait/convert_set.py")):
            if k in meta:
                meta[k].value = v
            else:
                model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
        onnx.save(model, out)
    after_io = io_signature(onnx.load(out, load_external_data=False))
    # names and shapes kept; element types f32 (f16 ones were cast)
    for kind, b, a in (("input", before_io[0], after_io[0]), ("output", before_io[1], after_io[1])):
        if list(b) != list(a) or any(b[k][1] != a[k][1] for k in b):
            raise SystemExit(f"{name}: {kind}s changed: {b} -> {a}")
        if any(t != TensorProto.FLOAT for t, _ in a.values()):
            raise SystemExit(f"{name}: {kind}s not all f32 after conversion: {a}")
    entry["bytes"] = os.path.getsize(out)
    if notes == ["unchanged (copied)"]:
        entry["check"] = {"against": "none needed: copied byte for byte"}
        return entry
    # numerical check, same random inputs
    rng = np.random.default_rng(SEED)
    feeds = random_feeds(onnx.load(out, load_external_data=False), rng)
    got = run(out, feeds)
    check_against = src if not plugin_nodes else reference_src
    tol = HALF_TOLERANCE if half or was_half else F32_TOLERANCE
    entry["check"] = {}
    if check_against is None:
        entry["check"]["against"] = "none: the original uses GridSample3D, which ONNX Runtime cannot run"
        ok = all(np.isfinite(v).all() for v in got.values())
        entry["check"]["finite"] = bool(ok)
        if not ok:
            raise SystemExit(f"{name}: converted output not finite")
    else:
        want = run(check_against, feeds)
        entry["check"]["against"] = os.path.basename(check_against)
        entry["check"]["tolerance_relative"] = tol
        for k in want:
            scale = max(float(np.abs(want[k]).max()), 1e-6)
            d = float(np.abs(got[k] - want[k]).max())
            entry["check"][k] = {"max_abs_diff": d, "max_abs_reference": scale}
            if d > tol * scale:
                raise SystemExit(f"{name}: output {k!r} differs from the original by {d:.3g} "
                                 f"(largest value {scale:.3g}, tolerance {tol} relative)")
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("in_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--half", action="store_true",
                    help="f16 weights and arithmetic inside, f32 inputs and outputs (for GPUs)")
    args = ap.parse_args()
    src_dir, out_dir = os.path.abspath(args.in_dir), os.path.abspath(args.out_dir)
    if not os.path.isdir(src_dir):
        print(f"convert_set: {src_dir} is not a folder", file=sys.stderr)
        return 2
    if src_dir == out_dir:
        print("convert_set: OUT_DIR must differ from IN_DIR (the originals are kept)", file=sys.stderr)
        return 2
    sources = {}
    for name in SET_FILES:
        p = os.path.join(src_dir, name)
        if os.path.isfile(p):
            sources[name] = p
    plugin = os.path.join(src_dir, PLUGIN_WARPING)
    if "warping_spade.onnx" not in sources and os.path.isfile(plugin):
        sources["warping_spade.onnx"] = plugin
    missing = [n for n in REQUIRED if n not in sources]
    if missing:
        print(f"convert_set: {src_dir} lacks {', '.join(missing)} (a LivePortrait set has "
              f"{', '.join(REQUIRED)}, optionally stitching_eye.onnx and stitching_lip.onnx)",
              file=sys.stderr)
        return 2
    ignored = sorted(f for f in os.listdir(src_dir)
                     if f.endswith(".onnx") and os.path.join(src_dir, f) not in sources.values())
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".convert-", dir=out_dir)
    report = {"in_dir": src_dir, "out_dir": out_dir, "half": args.half,
              "onnx": onnx.__version__, "onnxruntime": ort.__version__, "files": {},
              "not_part_of_the_set": ignored}
    try:
        for name, src in sources.items():
            reference = None
            if src == plugin and os.path.isfile(os.path.join(src_dir, "warping_spade.onnx")):
                reference = os.path.join(src_dir, "warping_spade.onnx")
            try:
                report["files"][name] = convert_file(src, name, args.half, staging, reference)
            except SystemExit as e:
                print(f"convert_set: {src}: {e}", file=sys.stderr)
                return 1
            e = report["files"][name]
            diffs = {k: v["max_abs_diff"] for k, v in e["check"].items() if isinstance(v, dict)}
            if e["changes"] == ["unchanged (copied)"]:
                print(f"{name}: opset {e['opset_before']}, nothing to change: copied byte for byte")
                continue
            print(f"{name}: opset {e['opset_before']} -> {e['opset_after']}; "
                  f"{'; '.join(e['changes'])}; checked against {e['check']['against']}: "
                  + (", ".join(f"{k} max |diff| {d:.2e}" for k, d in diffs.items()) or "output finite"))
        for name in report["files"]:
            os.replace(os.path.join(staging, name), os.path.join(out_dir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with open(os.path.join(out_dir, "conversion_report.json"), "w") as f:
        json.dump(report, f, indent=1)
    if ignored:
        print(f"not part of the LivePortrait set, not copied: {', '.join(ignored)}")
    print(f"wrote {out_dir} (report: conversion_report.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
