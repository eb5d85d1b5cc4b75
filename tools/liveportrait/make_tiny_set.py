#!/usr/bin/env python3
"""Build a TINY LivePortrait ONNX set (random weights, fixed seed) plus stage-by-stage
reference outputs of LivePortrait's own pipeline code, for faithfulness tests of the
Rust neural engine without the real weights.

Run by hand (not in CI):   python3 tools/liveportrait/make_tiny_set.py
It creates/uses the venv ~/.cache/facereenact/lp-venv (PyPI only, see requirements.txt),
re-executes itself inside it, and writes tests/data/liveportrait/tiny/.
See tools/liveportrait/README.md and tests/data/liveportrait/tiny/README.md.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep vendor/ free of __pycache__

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.expanduser("~/.cache/facereenact/lp-venv")
VENV_PY = os.path.join(VENV, "bin", "python")
OUT_DIR = os.path.join(REPO, "tests", "data", "liveportrait", "tiny")
SOURCE_IMG = os.path.join(REPO, "tests", "media", "avatar", "astronaut_512.png")
DRIVING_VIDEO = os.path.join(REPO, "tests", "media", "driving", "talk_wink_480.mp4")
DRIVING_FRAMES = [0, 240, 480]  # frame indices decoded from DRIVING_VIDEO
SEED = 20260
VENDOR = os.path.join(HERE, "vendor", "liveportrait")


def ensure_venv():
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PY):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    req = os.path.join(HERE, "requirements.txt")
    stamp = os.path.join(VENV, ".requirements-installed")
    want = open(req).read()
    if not os.path.exists(stamp) or open(stamp).read() != want:
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "--upgrade", "pip", "setuptools>=77.0.3"])
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "-r", req])
        with open(stamp, "w") as f:
            f.write(want)
    # The script that was run (this one, or one importing it: export_full_random.py, ...).
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(sys.argv[0])] + sys.argv[1:])


ensure_venv()

# ----------------------------------------------------------------------------- inside the venv
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import types  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(max(1, os.cpu_count() or 1))

# --- import the vendored LivePortrait code unmodified (package "src" under vendor/liveportrait)
sys.path.insert(0, VENDOR)


def _stub(name, **attrs):
    m = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules[name] = m


# live_portrait_wrapper.py imports these modules; they are not needed for the maths we call,
# so they are not vendored and are replaced by stubs.
_stub("src.utils.timer", Timer=object)
_stub("src.utils.rprint", rlog=lambda *a, **k: None)
_stub("src.utils.retargeting_utils", calc_eye_close_ratio=None, calc_lip_close_ratio=None)
_stub("src.config.inference_config", InferenceConfig=object)

from src.modules import motion_extractor as lp_motion_extractor  # noqa: E402
from src.modules import util as lp_util  # noqa: E402
from src.modules.convnextv2 import ConvNeXtV2  # noqa: E402
from src.modules.stitching_retargeting_network import StitchingRetargetingNetwork  # noqa: E402
from src.utils.camera import get_rotation_matrix  # noqa: E402
from src.utils.helper import concat_feat  # noqa: E402
from src.modules.appearance_feature_extractor import AppearanceFeatureExtractor  # noqa: E402
from src.modules.motion_extractor import MotionExtractor  # noqa: E402
from src.modules.warping_network import WarpingNetwork  # noqa: E402
from src.modules.spade_generator import SPADEDecoder  # noqa: E402
from src.live_portrait_wrapper import LivePortraitWrapper  # noqa: E402

# ----------------------------------------------------------------------------- tiny configuration
# Same structure as vendor/liveportrait/src/config/models.yaml, smaller numbers.
TINY_BACKBONE = "convnextv2_tinytest"
TINY_CONVNEXT = dict(depths=[1, 1, 1, 1], dims=[8, 16, 32, 64])
SPADE_NHIDDEN = 16
POSE_LOGIT_MAX = 12.0
TINY_MODEL_PARAMS = {
    "appearance_feature_extractor_params": dict(
        image_channel=3, block_expansion=8, num_down_blocks=2, max_features=512,
        reshape_channel=32, reshape_depth=16, num_resblocks=1),
    "motion_extractor_params": dict(num_kp=21, backbone=TINY_BACKBONE),
    "warping_module_params": dict(
        num_kp=21, block_expansion=4, max_features=512, num_down_blocks=2, reshape_channel=32,
        estimate_occlusion_map=True,
        dense_motion_params=dict(block_expansion=4, max_features=16, num_blocks=2, reshape_depth=16, compress=1)),
    "spade_generator_params": dict(upscale=2, block_expansion=4, max_features=512, num_down_blocks=2, out_channels=8),
    "stitching_retargeting_module_params": {
        "stitching": dict(input_size=126, hidden_sizes=[128, 128, 64], output_size=65),  # real size
        "lip": dict(input_size=65, hidden_sizes=[32, 16], output_size=63),
        "eye": dict(input_size=66, hidden_sizes=[32, 16], output_size=63),
    },
}

# Runtime registration of the tiny ConvNeXtV2 backbone (motion_extractor.py only knows convnextv2_tiny).
lp_motion_extractor.model_dict[TINY_BACKBONE] = lambda **kw: ConvNeXtV2(**TINY_CONVNEXT, **kw)


def randomize_(model, gen):
    """Give every parameter/buffer that default init leaves trivial a random value (fixed seed)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                m.weight.copy_(1.0 + 0.2 * (torch.rand(m.weight.shape, generator=gen) - 0.5))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.75 + 0.5 * torch.rand(m.running_var.shape, generator=gen))
            elif isinstance(m, lp_util.GRN):
                m.gamma.copy_(0.1 * torch.randn(m.gamma.shape, generator=gen))
                m.beta.copy_(0.1 * torch.randn(m.beta.shape, generator=gen))
            elif isinstance(m, lp_util.LayerNorm) or isinstance(m, nn.LayerNorm):
                m.weight.copy_(1.0 + 0.2 * (torch.rand(m.weight.shape, generator=gen) - 0.5))
                m.bias.copy_(0.05 * torch.randn(m.bias.shape, generator=gen))


def converge_spectral_norm_(model, iters=30):
    """torch.nn.utils.spectral_norm keeps random u/v until trained; run power iterations so
    the eval-mode weight is W/sigma_max as in a trained checkpoint."""
    from torch.nn.utils.spectral_norm import SpectralNorm
    with torch.no_grad():
        for m in model.modules():
            for hook in list(m._forward_pre_hooks.values()):
                if isinstance(hook, SpectralNorm):
                    for _ in range(iters):
                        w = hook.compute_weight(m, do_power_iteration=True)
                    setattr(m, hook.name, w)


def shrink_spade_hidden_(decoder, nhidden):
    for m in decoder.modules():
        if isinstance(m, lp_util.SPADE):
            label_nc = m.mlp_shared[0].in_channels
            norm_nc = m.mlp_gamma.out_channels
            m.mlp_shared[0] = nn.Conv2d(label_nc, nhidden, kernel_size=3, padding=1)
            m.mlp_gamma = nn.Conv2d(nhidden, norm_nc, kernel_size=3, padding=1)
            m.mlp_beta = nn.Conv2d(nhidden, norm_nc, kernel_size=3, padding=1)


class WarpingSpade(nn.Module):
    """warping_spade.onnx = WarpingNetwork.forward followed by SPADEDecoder.forward, one graph,
    inputs (feature_3d, kp_driving, kp_source) -> out (as FasterLivePortrait's export)."""

    def __init__(self, warping_module, spade_generator):
        super().__init__()
        self.warping_module = warping_module
        self.spade_generator = spade_generator

    def forward(self, feature_3d, kp_driving, kp_source):
        ret = self.warping_module(feature_3d, kp_driving=kp_driving, kp_source=kp_source)
        return self.spade_generator(feature=ret["out"])


class MotionTuple(nn.Module):
    """motion_extractor.onnx outputs, in FasterLivePortrait's order."""
    KEYS = ["pitch", "yaw", "roll", "t", "exp", "scale", "kp"]

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, img):
        d = self.m(img)
        return tuple(d[k] for k in self.KEYS)


def build_models(calib):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)
    mp = TINY_MODEL_PARAMS
    # the same constructor calls as helper.load_model, without loading a checkpoint
    F = AppearanceFeatureExtractor(**mp["appearance_feature_extractor_params"])
    M = MotionExtractor(**mp["motion_extractor_params"])
    W = WarpingNetwork(**mp["warping_module_params"])
    G = SPADEDecoder(**mp["spade_generator_params"])
    shrink_spade_hidden_(G, SPADE_NHIDDEN)
    sr = TINY_MODEL_PARAMS["stitching_retargeting_module_params"]
    S = {k: StitchingRetargetingNetwork(**sr[k]) for k in ("stitching", "lip", "eye")}
    for mod in [F, M, W, G] + list(S.values()):
        randomize_(mod, gen)
    converge_spectral_norm_(G)
    with torch.no_grad():
        det = M.detector
        # plausible ranges for the pipeline maths: a few tens of degrees of pose spread,
        # canonical keypoints within about +-0.7, small exp and t, scale near 1.
        # pose heads: centred on the committed inputs so that source and driving poses differ by
        # tens of degrees (a random tiny backbone gives nearly the same features for every frame)
        feats = det.forward_features(calib)  # N x C
        fmean = feats.mean(0)
        for fc in (det.fc_pitch, det.fc_yaw, det.fc_roll):
            logits = (feats - fmean) @ fc.weight.T
            fc.weight.mul_(POSE_LOGIT_MAX / logits.abs().max())
            fc.bias.copy_(-(fc.weight @ fmean))
        det.fc_kp.weight.mul_(1.0)
        det.fc_exp.weight.mul_(0.1)
        det.fc_exp.bias.mul_(0.1)
        det.fc_t.weight.mul_(0.1)
        det.fc_t.bias.mul_(0.1)
        det.fc_scale.weight.mul_(0.1)
        det.fc_scale.bias.fill_(1.0)
        for s in S.values():
            last = s.mlp[-1]
            last.weight.mul_(0.1)
            last.bias.mul_(0.1)
    for mod in [F, M, W, G] + list(S.values()):
        mod.eval()
    return F, M, W, G, S


# ----------------------------------------------------------------------------- ONNX export
def export(model, args, path, input_names, output_names, opset):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          opset_version=opset, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {n: a.numpy() for n, a in zip(input_names, args)}
    got = sess.run(output_names, feeds)
    with torch.no_grad():
        want = model(*args)
    if isinstance(want, torch.Tensor):
        want = (want,)
    diffs = {}
    for n, g, w in zip(output_names, got, want):
        w = w.numpy()
        assert g.shape == w.shape, (n, g.shape, w.shape)
        diffs[n] = float(np.max(np.abs(g - w)))
    io = {
        "inputs": {i.name: i.shape for i in sess.get_inputs()},
        "outputs": {o.name: o.shape for o in sess.get_outputs()},
    }
    print(f"{os.path.basename(path)}: opset {opset}, {os.path.getsize(path)} bytes, "
          f"max |onnxruntime - pytorch| = {diffs}")
    return {"opset": opset, "bytes": os.path.getsize(path), "max_abs_diff_vs_pytorch": diffs, **io}


# ----------------------------------------------------------------------------- inputs
def load_source_256():
    img = np.array(Image.open(SOURCE_IMG).convert("RGB"))
    return cv2.resize(img, (256, 256))  # cv2.INTER_LINEAR, as LivePortrait resizes crops


def load_driving_256():
    tmp = tempfile.mkdtemp(prefix="lp-frames-")
    try:
        n = max(DRIVING_FRAMES) + 1
        cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={DRIVING_VIDEO}", "!", "decodebin", "!",
               "videoconvert", "!", "video/x-raw,format=RGB", "!", "identity", f"eos-after={n}", "!",
               "multifilesink", f"location={tmp}/f%05d.rgb"]
        subprocess.check_call(cmd)
        frames = []
        for i in DRIVING_FRAMES:
            raw = np.fromfile(os.path.join(tmp, f"f{i:05d}.rgb"), dtype=np.uint8)
            side = int(round((raw.size / 3) ** 0.5))
            assert side * side * 3 == raw.size, "driving video frames are expected square (480x480)"
            frames.append(cv2.resize(raw.reshape(side, side, 3), (256, 256)))  # pipeline: cv2.resize(_, (256, 256))
        return frames
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- reference writer
class Refs:
    def __init__(self):
        self.tensors = {}

    def put(self, name, t, meaning):
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = a.astype(np.float32)
        self.tensors[name] = {"shape": list(a.shape), "meaning": meaning,
                              "data": [float(x) for x in a.reshape(-1)]}


def stats(a):
    a = a.astype(np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max()),
            "sum": float(a.sum())}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith((".onnx", ".png", ".json")):
            os.remove(os.path.join(OUT_DIR, f))

    src_rgb = load_source_256()
    drv_rgb = load_driving_256()
    calib = torch.from_numpy(np.stack([src_rgb] + drv_rgb).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    F, M, W, G, S = build_models(calib)
    WS = WarpingSpade(W, G).eval()
    MT = MotionTuple(M).eval()

    # ---- export
    g = torch.Generator().manual_seed(SEED + 2)
    img = torch.rand(1, 3, 256, 256, generator=g)
    f3d = torch.randn(1, 32, 16, 64, 64, generator=g)
    kp_s = 0.5 * torch.randn(1, 21, 3, generator=g)
    kp_d = kp_s + 0.05 * torch.randn(1, 21, 3, generator=g)
    onnx_info = {}
    p = lambda n: os.path.join(OUT_DIR, n)  # noqa: E731
    onnx_info["appearance_feature_extractor.onnx"] = export(F, (img,), p("appearance_feature_extractor.onnx"), ["img"], ["output"], 16)
    onnx_info["motion_extractor.onnx"] = export(MT, (img,), p("motion_extractor.onnx"), ["img"], MotionTuple.KEYS, 16)
    onnx_info["warping_spade.onnx"] = export(WS, (f3d, kp_d, kp_s), p("warping_spade.onnx"), ["feature_3d", "kp_driving", "kp_source"], ["out"], 20)
    onnx_info["stitching.onnx"] = export(S["stitching"], (torch.randn(1, 126, generator=g),), p("stitching.onnx"), ["input"], ["output"], 16)
    onnx_info["stitching_eye.onnx"] = export(S["eye"], (torch.randn(1, 66, generator=g),), p("stitching_eye.onnx"), ["input"], ["output"], 16)
    onnx_info["stitching_lip.onnx"] = export(S["lip"], (torch.randn(1, 65, generator=g),), p("stitching_lip.onnx"), ["input"], ["output"], 16)
    for n in onnx_info:
        onnx_info[n]["sha256"] = hashlib.sha256(open(p(n), "rb").read()).hexdigest()

    write_references(F, M, W, G, S, src_rgb, drv_rgb, OUT_DIR, onnx_info, {
        "generator": "tools/liveportrait/make_tiny_set.py",
        "seed": SEED,
        "tiny_model_params": TINY_MODEL_PARAMS,
        "tiny_convnextv2": TINY_CONVNEXT,
        "spade_nhidden": SPADE_NHIDDEN,
    })


def write_references(F, M, W, G, S, src_rgb, drv_rgb, out_dir, onnx_info, about):
    """Runs LivePortrait's own pipeline code (the wrapper with the modules F, M, W, G, S, and the
    loop of live_portrait_pipeline.py) on the source crop `src_rgb` and the driving crops
    `drv_rgb` (RGB8 256x256), writes the PNG inputs, the output frames and reference.json to
    `out_dir`, and checks the set's ONNX files there (onnxruntime CPU) against the PyTorch
    references. `onnx_info`: per ONNX file, what export() returned; `about`: extra top-level keys
    of reference.json (generator, seed, configuration)."""
    p = lambda n: os.path.join(out_dir, n)  # noqa: E731
    # ---- LivePortrait's own wrapper, with the tiny modules (constructor bypassed: it loads checkpoints)
    lpw = LivePortraitWrapper.__new__(LivePortraitWrapper)
    lpw.inference_cfg = types.SimpleNamespace(flag_use_half_precision=False, input_shape=(256, 256))
    lpw.device, lpw.device_id, lpw.compile = "cpu", 0, False
    lpw.appearance_feature_extractor, lpw.motion_extractor = F, M
    lpw.warping_module, lpw.spade_generator = W, G
    lpw.stitching_retargeting_module = S

    Image.fromarray(src_rgb).save(p("source_256.png"))
    for k, fr in enumerate(drv_rgb):
        Image.fromarray(fr).save(p(f"driving_{k}_256.png"))

    R = Refs()
    frames = {}

    def kp_info_refs(prefix, x_tensor, what):
        with torch.no_grad():
            raw = M(x_tensor)
        for key in MotionTuple.KEYS:
            R.put(f"{prefix}.raw.{key}", raw[key], f"motion_extractor output '{key}' for {what}, as the ONNX gives it")
        info = lpw.get_kp_info(x_tensor)  # degrees, kp/exp reshaped to 1x21x3
        for key in ("pitch", "yaw", "roll"):
            R.put(f"{prefix}.{key}_deg", info[key], f"{key} in degrees (softmax over 66 bins, sum(p_i*i)*3-97.5), {what}")
        rot = get_rotation_matrix(info["pitch"], info["yaw"], info["roll"])
        R.put(f"{prefix}.R", rot, f"rotation matrix of {what} as camera.get_rotation_matrix returns it (row-vector convention: x_row @ R)")
        x = lpw.transform_keypoint(info)
        R.put(f"{prefix}.x", x, f"transformed keypoints of {what}: scale*(kp @ R + exp), then tx,ty added (tz not added)")
        return info, rot, x

    x_src = lpw.prepare_source(src_rgb)
    R.put("source.input_mean", x_src.mean(dim=(2, 3)), "per-channel mean of the 1x3x256x256 0..1 RGB input tensor (sanity check of preprocessing)")
    x_s_info, R_s, x_s = kp_info_refs("source", x_src, "the source")
    x_c_s = x_s_info["kp"]
    f_s = lpw.extract_feature_3d(x_src)
    fs = f_s.numpy()
    R.put("source.feature_3d_sample", f_s[0, :, ::4, ::16, ::16], "appearance_feature_extractor output f_s[0, :, ::4, ::16, ::16] (32x4x4x4 sample of 1x32x16x64x64)")
    feature_stats = stats(fs)

    I_d = lpw.prepare_videos(drv_rgb)  # T x 1 x 3 x 256 x 256
    R_d_0, x_d_0_info = None, None
    outs = []
    for i in range(len(drv_rgb)):
        pre = f"driving{i}"
        x_d_i_info, R_d_i, x_d_i = kp_info_refs(pre, I_d[i], f"driving frame {i}")
        if i == 0:
            R_d_0 = R_d_i
            x_d_0_info = x_d_i_info.copy()
        # ---- verbatim from live_portrait_pipeline.py (image source, driving video, flag_relative_motion=True,
        #      animation_region="all", driving_option="pose-friendly", flag_stitching=True, no retargeting)
        delta_new = x_s_info["exp"].clone()
        R_new = (R_d_i @ R_d_0.permute(0, 2, 1)) @ R_s
        delta_new = x_s_info["exp"] + (x_d_i_info["exp"] - x_d_0_info["exp"])
        scale_new = x_s_info["scale"] * (x_d_i_info["scale"] / x_d_0_info["scale"])
        t_new = x_s_info["t"] + (x_d_i_info["t"] - x_d_0_info["t"])
        t_new[..., 2].fill_(0)  # zero tz
        x_d_i_new = scale_new * (x_c_s @ R_new + delta_new) + t_new
        R.put(f"{pre}.R_new", R_new, "R_d_i @ R_d_0^T @ R_s (row-vector matrices)")
        R.put(f"{pre}.exp_new", delta_new, "exp_s + (exp_d_i - exp_d_0), 1x21x3")
        R.put(f"{pre}.scale_new", scale_new, "scale_s * (scale_d_i / scale_d_0), 1x1")
        R.put(f"{pre}.t_new", t_new, "t_s + (t_d_i - t_d_0), then t_new[2] = 0, 1x3")
        R.put(f"{pre}.x_d_new", x_d_i_new, "scale_new * (kp_s @ R_new + exp_new) + t_new (before stitching), 1x21x3")
        feat = concat_feat(x_s, x_d_i_new)
        R.put(f"{pre}.stitching_input", feat, "stitching.onnx input: [x_s flat (63), x_d_new flat (63)], 1x126")
        with torch.no_grad():
            delta = lpw.stitch(x_s, x_d_i_new)
        R.put(f"{pre}.stitching_output", delta, "stitching.onnx output: [delta for 21x3 keypoints (63), delta tx, ty (2)], 1x65")
        x_d_i_new = lpw.stitching(x_s, x_d_i_new)
        # driving_multiplier = 1.0 (default): x_d_i_new = x_s + (x_d_i_new - x_s) * 1.0
        x_d_i_new = x_s + (x_d_i_new - x_s) * 1.0
        R.put(f"{pre}.x_d_stitched", x_d_i_new, "keypoints after stitching: x_d_new + delta[:63] (all xyz) and [:, :, :2] += delta[63:65]; kp_driving of warping_spade")
        out = lpw.warp_decode(f_s, x_s, x_d_i_new)["out"]
        outs.append((pre, out, x_d_i_new))

    # moved keypoints: frame 0's final driving keypoints with every keypoint shifted by +0.15 in x
    x_moved = outs[0][2].clone()
    x_moved[..., 0] += 0.15
    R.put("moved.kp_driving", x_moved, "driving0.x_d_stitched with +0.15 added to every keypoint's x")
    outs.append(("moved", lpw.warp_decode(f_s, x_s, x_moved)["out"], x_moved))

    frame_info = {}
    for pre, out, _ in outs:
        o = out.numpy()
        R.put(f"{pre}.out_sample", out[0, :, ::32, ::32], f"warping_spade output out[0, :, ::32, ::32] (3x16x16 sample of 1x3x512x512) for {pre}")
        png = f"{pre}_out_512.png" if pre != "moved" else "moved_out_512.png"
        Image.fromarray(lpw.parse_output(out)[0]).save(p(png))
        frame_info[pre] = {"png": png, "stats": stats(o)}
    o0, om = outs[0][1].numpy(), outs[-1][1].numpy()
    moved_diff = float(np.abs(o0 - om).mean())

    # optional retargeting models on example ratios (not used by the default pipeline path)
    eye_ratio = torch.tensor([[0.30, 0.32, 0.25]])
    lip_ratio = torch.tensor([[0.05, 0.20]])
    R.put("retarget.eye_ratio", eye_ratio, "example combined eye ratio [c_s_eye_l, c_s_eye_r, c_d_eye] (1x3)")
    R.put("retarget.eye_input", concat_feat(x_s, eye_ratio), "stitching_eye.onnx input [x_s flat (63), eye ratio (3)], 1x66")
    R.put("retarget.eye_delta", lpw.retarget_eye(x_s, eye_ratio), "retarget_eye output reshaped 1x21x3")
    R.put("retarget.lip_ratio", lip_ratio, "example combined lip ratio [c_s_lip, c_d_lip] (1x2)")
    R.put("retarget.lip_input", concat_feat(x_s, lip_ratio), "stitching_lip.onnx input [x_s flat (63), lip ratio (2)], 1x65")
    R.put("retarget.lip_delta", lpw.retarget_lip(x_s, lip_ratio), "retarget_lip output reshaped 1x21x3")

    # ---- self-check: the committed ONNX files + committed PNG inputs reproduce the references
    sess = {n: ort.InferenceSession(p(n), providers=["CPUExecutionProvider"]) for n in onnx_info}
    ref = lambda k: np.array(R.tensors[k]["data"], np.float32).reshape(R.tensors[k]["shape"])  # noqa: E731
    to_in = lambda png: (np.asarray(Image.open(p(png)).convert("RGB"), np.float32) / 255.0).transpose(2, 0, 1)[None].copy()  # noqa: E731
    check = {}
    src_in = to_in("source_256.png")
    mo = dict(zip(MotionTuple.KEYS, sess["motion_extractor.onnx"].run(MotionTuple.KEYS, {"img": src_in})))
    check["motion_extractor(source) vs source.raw.*"] = max(float(np.abs(mo[k] - ref(f"source.raw.{k}")).max()) for k in mo)
    f_ort = sess["appearance_feature_extractor.onnx"].run(["output"], {"img": src_in})[0]
    check["appearance_feature_extractor(source) vs f_s (full tensor)"] = float(np.abs(f_ort - fs).max())
    worst = 0.0
    for pre, out, kd in outs:
        o = sess["warping_spade.onnx"].run(["out"], {"feature_3d": fs, "kp_driving": kd.numpy(), "kp_source": x_s.numpy()})[0]
        worst = max(worst, float(np.abs(o - out.numpy()).max()))
    check["warping_spade(f_s, x_d_stitched, x_s) vs pytorch out (all 4 frames)"] = worst
    st = sess["stitching.onnx"].run(["output"], {"input": ref("driving1.stitching_input")})[0]
    check["stitching(driving1.stitching_input) vs driving1.stitching_output"] = float(np.abs(st - ref("driving1.stitching_output")).max())
    for k, v in check.items():
        print(f"ORT check: {k}: max |diff| = {v:.3g}")

    doc = {
        "format": "facereenact-liveportrait-reference-1: tensors[name] = {shape, meaning, data: flat float32 values in C (row-major) order}",
        **about,
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                     "numpy": np.__version__, "opencv": cv2.__version__},
        "inputs": {"source": {"file": SOURCE_IMG, "png": "source_256.png", "resize": "cv2.resize INTER_LINEAR 512->256"},
                   "driving": {"file": DRIVING_VIDEO, "frame_indices": DRIVING_FRAMES,
                               "pngs": [f"driving_{k}_256.png" for k in range(len(DRIVING_FRAMES))],
                               "decode": "gst-launch-1.0 decodebin ! videoconvert ! RGB, then cv2.resize INTER_LINEAR 480->256"}},
        "onnx": onnx_info,
        "feature_3d_stats": feature_stats,
        "frames": frame_info,
        "moved_vs_driving0_mean_abs_diff": moved_diff,
        "onnxruntime_pipeline_check_max_abs_diff": check,
        "tensors": R.tensors,
    }
    with open(p("reference.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(f"feature_3d stats {feature_stats}")
    for pre, info in frame_info.items():
        print(pre, info["stats"])
    print(f"moved vs driving0 mean |diff| = {moved_diff:.5f}")
    for k in ("source", "driving0", "driving1", "driving2"):
        print(k, [round(R.tensors[f"{k}.{a}_deg"]["data"][0], 3) for a in ("pitch", "yaw", "roll")],
              "scale", R.tensors[f"{k}.raw.scale"]["data"])
    total = 0
    for f in sorted(os.listdir(out_dir)):
        sz = os.path.getsize(p(f))
        total += sz
        print(f"{sz:>10}  {f}")
    print(f"{total:>10}  total")


if __name__ == "__main__":
    main()
