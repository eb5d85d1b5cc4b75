#!/usr/bin/env python3
"""Write the tiny set's warping_spade.onnx as FasterLivePortrait's release was written: the same
random-weight modules as make_tiny_set.py (same seed), exported at opset 16 with torch's
GridSample symbolic patched to accept 5-D input (torch refuses 5-D GridSample before opset 20:
"GridSample with 5D volumetric input"; the release's exporter did not). The result declares
opset 16 around 5-D GridSample nodes with the opset-16 mode name `bilinear`: ONNX Runtime's CPU
provider runs it, its CUDA provider does not. Test data for tools/liveportrait/convert_set.py and
for the element's refusal at start (tests/neural_engine.rs, tests/liveportrait_reference.rs).

Run by hand (not in CI); it runs itself in make_tiny_set.py's venv:
    python3 tools/liveportrait/make_old_opset_variant.py [--checkpoints CKPT_DIR OUT_DIR]
Writes tests/data/liveportrait/tiny_opset16/warping_spade.onnx. With --checkpoints, instead
exports the full-size warping network and decoder of LivePortrait checkpoints (see
export_checkpoints.py) at opset 16 to OUT_DIR/warping_spade.onnx: a full-size stand-in for the
release's file, to try the converter on a graph of the real size. First checks that the modules it
builds are the committed tiny set's (its opset-20 export computes what the committed file computes,
within 2e-5: the bytes differ across CPUs by float rounding).
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tiny_set as mts  # noqa: E402  (re-executes in its venv, imports the vendored code)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.onnx import register_custom_op_symbolic, symbolic_helper  # noqa: E402

OUT = os.path.join(mts.REPO, "tests", "data", "liveportrait", "tiny_opset16")
MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
PADDING = {0: "zeros", 1: "border", 2: "reflection"}


@symbolic_helper.parse_args("v", "v", "i", "i", "b")
def grid_sampler_any_rank(g, input, grid, mode_enum, padding_mode_enum, align_corners):
    """torch's opset-16 GridSample symbolic without its 5-D refusal (opset-16 mode names)."""
    return g.op("GridSample", input, grid, align_corners_i=int(align_corners),
                mode_s=MODES[mode_enum], padding_mode_s=PADDING[padding_mode_enum])


def full_size(ckpt_dir, out_dir):
    import export_checkpoints as ec  # noqa: PLC0415
    F, M, W, G, _ = ec.load_all(ec.find_checkpoints(os.path.abspath(ckpt_dir)))
    g = torch.Generator().manual_seed(mts.SEED + 2)
    img = torch.rand(1, 3, 256, 256, generator=g)
    with torch.no_grad():
        f_s, kp = F(img), M(img)["kp"].reshape(1, 21, 3)
    register_custom_op_symbolic("aten::grid_sampler", grid_sampler_any_rank, 16)
    os.makedirs(out_dir, exist_ok=True)
    mts.export(mts.WarpingSpade(W, G), (f_s, kp + 0.01 * torch.randn(kp.shape, generator=g), kp),
               os.path.join(out_dir, "warping_spade.onnx"), ["feature_3d", "kp_driving", "kp_source"],
               ["out"], 16)


def main():
    if "--checkpoints" in sys.argv:
        i = sys.argv.index("--checkpoints")
        return full_size(sys.argv[i + 1], sys.argv[i + 2])
    load = lambda n: np.asarray(Image.open(os.path.join(mts.OUT_DIR, n)).convert("RGB"))  # noqa: E731
    frames = [load("source_256.png")] + [load(f"driving_{k}_256.png") for k in range(3)]
    calib = torch.from_numpy(np.stack(frames).astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    F, M, W, G, S = mts.build_models(calib)
    ws = mts.WarpingSpade(W, G).eval()
    g = torch.Generator().manual_seed(mts.SEED + 2)
    torch.rand(1, 3, 256, 256, generator=g)  # the same draws as make_tiny_set.main, in order
    f3d = torch.randn(1, 32, 16, 64, 64, generator=g)
    kp_s = 0.5 * torch.randn(1, 21, 3, generator=g)
    kp_d = kp_s + 0.05 * torch.randn(1, 21, 3, generator=g)
    args, names = (f3d, kp_d, kp_s), ["feature_3d", "kp_driving", "kp_source"]
    with tempfile.TemporaryDirectory() as tmp:
        p20 = os.path.join(tmp, "warping_spade.onnx")
        mts.export(ws, args, p20, names, ["out"], 20)
        committed = os.path.join(mts.OUT_DIR, "warping_spade.onnx")
        feeds = {n: a.numpy() for n, a in zip(names, args)}
        run = lambda p: mts.ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(["out"], feeds)[0]  # noqa: E731
        diff = float(np.abs(run(p20) - run(committed)).max())
        print(f"opset-20 export vs the committed tiny warping_spade.onnx: max |diff| {diff:.3g}")
        # Rebuilt on another CPU the weights differ in float rounding (up to 7e-7 seen: the
        # spectral-norm power iterations), the output by about 5e-6: well inside the reference
        # tests' 5e-5 for this model. A different network would differ by orders more.
        if diff > 2e-5:
            sys.exit("the modules differ from the committed tiny set: regenerate it first (make_tiny_set.py)")
    register_custom_op_symbolic("aten::grid_sampler", grid_sampler_any_rank, 16)
    os.makedirs(OUT, exist_ok=True)
    mts.export(ws, args, os.path.join(OUT, "warping_spade.onnx"), names, ["out"], 16)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
