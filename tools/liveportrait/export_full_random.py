#!/usr/bin/env python3
"""Export a FULL-SIZE LivePortrait ONNX set with random weights (fixed seed), for speed
measurements only: the networks have LivePortrait's own sizes (vendor/liveportrait/src/config/
models.yaml: ConvNeXtV2-tiny motion extractor, 6-resblock appearance extractor, warping network
and SPADE decoder with their hidden widths), so they cost what the real ones cost, but the
pictures they make are noise. The tensor names and shapes are those of the tiny set and of
FasterLivePortrait's release (see tests/data/liveportrait/tiny/README.md).

Run by hand (not in CI); it runs itself in the venv make_tiny_set.py makes:
    python3 tools/liveportrait/export_full_random.py OUT_DIR [--checkpoints CKPT_DIR]
It reuses make_tiny_set.py's vendored-module loading and export (with its onnxruntime-vs-PyTorch
check). About 520 MB of ONNX files; a few minutes on 2 cores.

--checkpoints CKPT_DIR also saves the random modules as LivePortrait's release lays out its
weights (CKPT_DIR/base_models/{appearance_feature_extractor,motion_extractor,warping_module,
spade_generator}.pth: each module's state_dict; CKPT_DIR/retargeting_models/
stitching_retargeting_module.pth: {"retarget_shoulder", "retarget_mouth", "retarget_eye"} state
dicts with DDP's "module." key prefix, which LivePortrait's helper.load_model strips), to test
export_checkpoints.py without the real weights.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tiny_set as mts  # noqa: E402  (re-executes in its venv, imports the vendored code)

import torch  # noqa: E402
import yaml  # noqa: E402


def save_checkpoints(ckpt_dir, F, M, W, G, S):
    """The modules as LivePortrait's released .pth files (see the module doc)."""
    base = os.path.join(ckpt_dir, "base_models")
    retarget = os.path.join(ckpt_dir, "retargeting_models")
    os.makedirs(base, exist_ok=True)
    os.makedirs(retarget, exist_ok=True)
    for name, m in (("appearance_feature_extractor", F), ("motion_extractor", M),
                    ("warping_module", W), ("spade_generator", G)):
        torch.save(m.state_dict(), os.path.join(base, f"{name}.pth"))
    ddp = lambda m: {"module." + k: v for k, v in m.state_dict().items()}  # noqa: E731
    torch.save({"retarget_shoulder": ddp(S["stitching"]), "retarget_mouth": ddp(S["lip"]),
                "retarget_eye": ddp(S["eye"])},
               os.path.join(retarget, "stitching_retargeting_module.pth"))
    print("saved checkpoints in", ckpt_dir)


def main():
    args = sys.argv[1:]
    ckpt_dir = None
    if "--checkpoints" in args:
        i = args.index("--checkpoints")
        ckpt_dir = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    out = os.path.abspath(args[0] if args else "liveportrait_full_random")
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
    if ckpt_dir:
        save_checkpoints(ckpt_dir, F, M, W, G, S)
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
