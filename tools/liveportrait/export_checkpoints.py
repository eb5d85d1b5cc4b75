#!/usr/bin/env python3
"""Export LivePortrait's own PyTorch checkpoints to the ONNX set the facereenact engine runs.

    python3 tools/liveportrait/export_checkpoints.py CKPT_DIR OUT_DIR [--half] [--references]

CKPT_DIR holds LivePortrait's released weights, found by file name anywhere below it (as
LivePortrait lays them out: pretrained_weights/liveportrait/base_models/*.pth and
pretrained_weights/liveportrait/retargeting_models/stitching_retargeting_module.pth):
appearance_feature_extractor.pth, motion_extractor.pth, warping_module.pth,
spade_generator.pth, stitching_retargeting_module.pth. Point it at the folder of one model
(liveportrait/ or liveportrait_animals/): a name found twice is an error.

The networks are built and loaded by LivePortrait's own code (vendor/liveportrait:
src/utils/helper.py load_model with src/config/models.yaml; strict state-dict loading, so a
checkpoint of another layout fails there, naming the keys), then exported with the legacy
TorchScript exporter, every file at opset 20 (5-D GridSample in warping_spade.onnx runs on
ONNX Runtime's CUDA provider only from opset 20), f32, with the tensor names and shapes of
FasterLivePortrait's release (tests/data/liveportrait/tiny/README.md). Each file is checked with
onnx.checker and run with onnxruntime (CPU) against PyTorch on a random input; the largest
difference is printed.

--half     also writes OUT_DIR-f16/: f16 inside, f32 inputs and outputs, for GPUs
           (tools/liveportrait/convert_set.sh OUT_DIR OUT_DIR-f16 --half).
--references  also runs LivePortrait's pipeline code on the tiny set's source and driving crops
           and writes reference.json and the PNGs beside the set, as make_tiny_set.py does, so
           that `FACEREENACT_LP_SET=OUT_DIR cargo test --test liveportrait_reference` checks the
           engine on this set against PyTorch stage by stage.

Run by hand, in make_tiny_set.py's venv (PyPI's torch; about 5.5 GB, see
tools/liveportrait/README.md). The weights' licence is LivePortrait's (see docs/liveportrait.md,
"Licences").
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tiny_set as mts  # noqa: E402  (the venv, the vendored code, export and references)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from PIL import Image  # noqa: E402
from src.utils.helper import load_model  # noqa: E402  (LivePortrait's own loader)

CHECKPOINTS = {
    "appearance_feature_extractor": "appearance_feature_extractor.pth",
    "motion_extractor": "motion_extractor.pth",
    "warping_module": "warping_module.pth",
    "spade_generator": "spade_generator.pth",
    "stitching_retargeting_module": "stitching_retargeting_module.pth",
}


def find_checkpoints(root):
    found = {k: [] for k in CHECKPOINTS}
    for dirpath, _, files in os.walk(root):
        for k, name in CHECKPOINTS.items():
            if name in files:
                found[k].append(os.path.join(dirpath, name))
    missing = [CHECKPOINTS[k] for k, v in found.items() if not v]
    twice = {CHECKPOINTS[k]: v for k, v in found.items() if len(v) > 1}
    if missing:
        sys.exit(f"export_checkpoints: {root} has no {', '.join(missing)} (LivePortrait's "
                 f"pretrained_weights/liveportrait/ holds them)")
    if twice:
        sys.exit("export_checkpoints: found more than once (point CKPT_DIR at one model's folder, "
                 f"e.g. pretrained_weights/liveportrait): {twice}")
    return {k: v[0] for k, v in found.items()}


def load_all(paths):
    with open(os.path.join(mts.VENDOR, "src", "config", "models.yaml")) as f:
        config = yaml.safe_load(f)
    models = {k: load_model(p, config, "cpu", k) for k, p in paths.items()}
    S = models["stitching_retargeting_module"]
    return (models["appearance_feature_extractor"], models["motion_extractor"],
            models["warping_module"], models["spade_generator"], S)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ckpt_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--half", action="store_true")
    ap.add_argument("--references", action="store_true")
    args = ap.parse_args()
    out = os.path.abspath(args.out_dir)
    paths = find_checkpoints(os.path.abspath(args.ckpt_dir))
    for k, p in paths.items():
        print(f"{k}: {p}")
    F, M, W, G, S = load_all(paths)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(mts.SEED)
    g = torch.Generator().manual_seed(mts.SEED + 2)
    img = torch.rand(1, 3, 256, 256, generator=g)
    with torch.no_grad():
        f_s = F(img)
        kp = M(img)["kp"].reshape(1, 21, 3)
    p = lambda n: os.path.join(out, n)  # noqa: E731
    info = {}
    info["appearance_feature_extractor.onnx"] = mts.export(
        F, (img,), p("appearance_feature_extractor.onnx"), ["img"], ["output"], 20)
    info["motion_extractor.onnx"] = mts.export(
        mts.MotionTuple(M), (img,), p("motion_extractor.onnx"), ["img"], mts.MotionTuple.KEYS, 20)
    info["warping_spade.onnx"] = mts.export(
        mts.WarpingSpade(W, G), (f_s, kp + 0.01 * torch.randn(kp.shape, generator=g), kp),
        p("warping_spade.onnx"), ["feature_3d", "kp_driving", "kp_source"], ["out"], 20)
    for name, k, n in (("stitching", "stitching", 126), ("stitching_eye", "eye", 66),
                       ("stitching_lip", "lip", 65)):
        info[f"{name}.onnx"] = mts.export(
            S[k], (torch.randn(1, n, generator=g),), p(f"{name}.onnx"), ["input"], ["output"], 20)
    if args.references:
        load = lambda n: np.asarray(Image.open(os.path.join(mts.OUT_DIR, n)).convert("RGB"))  # noqa: E731
        src = load("source_256.png")
        drv = [load(f"driving_{k}_256.png") for k in range(3)]
        mts.write_references(F, M, W, G, S, src, drv, out, info, {
            "generator": "tools/liveportrait/export_checkpoints.py",
            "checkpoints": paths,
        })
    if args.half:
        subprocess.check_call(["bash", os.path.join(HERE, "convert_set.sh"), out, out + "-f16", "--half"])
    print("wrote", out)


if __name__ == "__main__":
    main()
