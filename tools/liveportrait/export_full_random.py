#!/usr/bin/env python3
"""Export a FULL-SIZE LivePortrait ONNX set with random weights (fixed seed), for speed
measurements only: the networks have LivePortrait's own sizes (vendor/liveportrait/src/config/
models.yaml: ConvNeXtV2-tiny motion extractor, 6-resblock appearance extractor, warping network
and SPADE decoder with their hidden widths), so they cost what the real ones cost, but the
pictures they make are noise. The tensor names and shapes are those of the tiny set and of
FasterLivePortrait's release (see tests/data/liveportrait/tiny/README.md).

Run by hand (not in CI), in the venv make_tiny_set.py makes:
    python3 tools/liveportrait/export_full_random.py OUT_DIR
It reuses make_tiny_set.py's vendored-module loading and export (with its onnxruntime-vs-PyTorch
check). About 520 MB of ONNX files; a few minutes on 2 cores.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tiny_set as mts  # noqa: E402  (re-executes in its venv, imports the vendored code)

import torch  # noqa: E402
import yaml  # noqa: E402


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "liveportrait_full_random")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(mts.VENDOR, "src", "config", "models.yaml")) as f:
        mp = yaml.safe_load(f)["model_params"]
    torch.manual_seed(mts.SEED)
    gen = torch.Generator().manual_seed(mts.SEED + 1)
    # The same constructor calls as LivePortrait's helper.load_model, without a checkpoint.
    F = mts.AppearanceFeatureExtractor(**mp["appearance_feature_extractor_params"])
    M = mts.MotionExtractor(**mp["motion_extractor_params"])
    W = mts.WarpingNetwork(**mp["warping_module_params"])
    G = mts.SPADEDecoder(**mp["spade_generator_params"])
    sr = mp["stitching_retargeting_module_params"]
    S = {k: mts.StitchingRetargetingNetwork(**sr[k]) for k in ("stitching", "lip", "eye")}
    for m in [F, M, W, G] + list(S.values()):
        mts.randomize_(m, gen)
    mts.converge_spectral_norm_(G)
    for m in [F, M, W, G] + list(S.values()):
        m.eval()
    img = torch.rand(1, 3, 256, 256, generator=gen)
    with torch.no_grad():
        f_s = F(img)
        kp = M(img)["kp"].reshape(1, 21, 3)
    mts.export(F, (img,), f"{out}/appearance_feature_extractor.onnx", ["img"], ["output"], 16)
    mts.export(mts.MotionTuple(M), (img,), f"{out}/motion_extractor.onnx", ["img"],
               mts.MotionTuple.KEYS, 16)
    mts.export(mts.WarpingSpade(W, G), (f_s, kp + 0.01, kp), f"{out}/warping_spade.onnx",
               ["feature_3d", "kp_driving", "kp_source"], ["out"], 20)
    for name, k, n in (("stitching", "stitching", 126), ("stitching_eye", "eye", 66),
                       ("stitching_lip", "lip", 65)):
        mts.export(S[k], (torch.rand(1, n, generator=gen),), f"{out}/{name}.onnx", ["input"],
                   ["output"], 16)
    print("wrote", out)


if __name__ == "__main__":
    main()
