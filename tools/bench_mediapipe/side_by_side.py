#!/usr/bin/env python3
"""Side by side: MediaPipe's Python FaceMesh (plain and refine_landmarks=True) against the
facereenact element, on the same decoded frames, in one run (issue 23, first step).

mediapipe 0.10.14 needs numpy<2 and protobuf<5, which conflict with the project's .venv (numpy 2,
protobuf 7 for onnx/ray), so it lives in a separate venv, .venv-bench/:

    PY=$(FACEREENACT_VENV=$PWD/.venv-bench bash scripts/python_env.sh tools/bench_mediapipe/requirements.txt)
    $PY tools/bench_mediapipe/side_by_side.py            # all shared clips
    $PY tools/bench_mediapipe/side_by_side.py --clips tests/media/driving/grin_512.mp4

Each clip is decoded once (GStreamer, to raw RGB in a temporary folder); MediaPipe reads that
file memory-mapped and the element reads it through filesrc ! rawvideoparse. The three runs go
one after another, never in parallel. The first --warmup frames are left out of every mean.
See README.md beside this file for what the figures mean and their limits.
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import resource
import time
import warnings

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's absl/TFLite start-up chatter
warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def discover(path):
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True, check=True).stdout
    w = int(re.search(r"Width: (\d+)", out).group(1))
    h = int(re.search(r"Height: (\d+)", out).group(1))
    fr = re.search(r"Frame rate: (\d+)/(\d+)", out)
    return w, h, f"{fr.group(1)}/{fr.group(2)}"


def decode(clip, raw):
    subprocess.run(
        ["gst-launch-1.0", "-q", "filesrc", f"location={clip}", "!", "decodebin", "!", "videoconvert",
         "!", "video/x-raw,format=RGB", "!", "filesink", f"location={raw}"],
        check=True, stdout=subprocess.DEVNULL)


def mediapipe_ms(raw, w, h, refine, warmup):
    """Mean wall ms of FaceMesh.process() per frame after warm-up, its CPU ms (all the process's
    threads), and the frames with a face."""
    import mediapipe as mp
    import numpy as np

    frames = np.memmap(raw, dtype=np.uint8, mode="r").reshape(-1, h, w, 3)
    times, cpu, found = [], 0.0, 0
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1,
                                         refine_landmarks=refine) as mesh:
        for i in range(len(frames)):
            img = np.ascontiguousarray(frames[i])  # page it in outside the timed call
            c0, t0 = time.process_time(), time.perf_counter()
            res = mesh.process(img)
            t1, c1 = time.perf_counter(), time.process_time()
            if i >= warmup:
                times.append((t1 - t0) * 1e3)
                cpu += (c1 - c0) * 1e3
            found += res.multi_face_landmarks is not None
    return statistics.mean(times), cpu / len(times), found


UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}
TOOK = re.compile(r"actor frame (\d+) took ([0-9.]+)(ns|µs|us|ms|s)\b")


def gst_run(raw, w, h, fr, middle, env):
    blocksize = w * h * 3
    cmd = (["gst-launch-1.0", "-q", "filesrc", f"location={raw}", f"blocksize={blocksize}", "!",
            "rawvideoparse", "format=rgb", f"width={w}", f"height={h}", f"framerate={fr}", "!"]
           + middle + ["!", "fakesink"])
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    if p.returncode != 0:
        sys.exit(f"pipeline failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return wall, cpu, p.stderr


def element_ms(raw, w, h, fr, n, avatar, plugin_dir, warmup, runs, extra):
    env = dict(os.environ, GST_PLUGIN_PATH=plugin_dir, GST_DEBUG="facereenact:5", GST_DEBUG_NO_COLOR="1")
    best_el, best_id, per_frame, cpu_el, cpu_id = None, None, None, None, None
    for _ in range(runs):
        wall_id, c_id, _ = gst_run(raw, w, h, fr, ["identity"], env)
        wall_el, c_el, log = gst_run(raw, w, h, fr, ["facereenact", f"avatar={avatar}"] + extra, env)
        took = {int(m.group(1)): float(m.group(2)) * UNITS[m.group(3)] for m in TOOK.finditer(log)}
        mean = statistics.mean(v for k, v in took.items() if k >= warmup) if len(took) > warmup else float("nan")
        best_id = wall_id if best_id is None else min(best_id, wall_id)
        cpu_id = c_id if cpu_id is None else min(cpu_id, c_id)
        cpu_el = c_el if cpu_el is None else min(cpu_el, c_el)
        if best_el is None or wall_el < best_el:
            best_el, per_frame = wall_el, (mean, len(took))
    wall_ms = (best_el - best_id) / n * 1e3
    return per_frame[0], per_frame[1], wall_ms, (cpu_el - cpu_id) / n * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", nargs="*", help="driving clips (default: /work/shared/media/driving/*.mp4 "
                    "if any, else tests/media/driving/*.mp4)")
    ap.add_argument("--avatar", default=os.path.join(ROOT, "tests/media/avatar/astronaut_512.png"))
    release = os.path.join(ROOT, "target/release")
    ap.add_argument("--plugin-dir", default=release if os.path.exists(os.path.join(release, "libgstfacereenact.so"))
                    else os.path.join(ROOT, "target/debug"),
                    help="folder of libgstfacereenact.so (default target/release, what users run, else target/debug)")
    ap.add_argument("--warmup", type=int, default=10, help="frames left out of every mean")
    ap.add_argument("--runs", type=int, default=2, help="runs of each GStreamer pipeline; the lower wall time counts")
    ap.add_argument("--element-props", nargs="*", default=[], help="extra facereenact properties, e.g. inference-threads=2")
    args = ap.parse_args()

    clips = args.clips or sorted(glob.glob("/work/shared/media/driving/*.mp4")) \
        or sorted(glob.glob(os.path.join(ROOT, "tests/media/driving/*.mp4")))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import mediapipe
    print(f"# machine: {os.cpu_count()} cores, {cpu}; mediapipe {mediapipe.__version__}; "
          f"plugin {args.plugin_dir}/libgstfacereenact.so; warm-up {args.warmup} frames")
    print("# clips: " + ", ".join(clips))
    print("# element: mean of its 'actor frame N took' debug lines; el wall: (facereenact - identity) wall / frames")
    print("# ref cpu / el cpu: CPU ms per frame over all threads (MediaPipe refined process() calls; "
          "element: (facereenact - identity) process CPU / frames, start-up included)")
    hdr = (f"{'clip':<22} {'size':>9} {'frames':>6} {'mp plain':>9} {'mp refined':>10} {'element':>8} {'el/ref':>7}"
           f" {'el wall':>8} {'ref cpu':>8} {'el cpu':>7} {'faces p/r':>10}")
    print(hdr)
    print("-" * len(hdr))
    with tempfile.TemporaryDirectory(prefix="bench_mp_") as tmp:
        for clip in clips:
            w, h, fr = discover(clip)
            raw = os.path.join(tmp, os.path.basename(clip) + ".rgb")
            decode(clip, raw)
            n = os.path.getsize(raw) // (w * h * 3)
            plain, _, fp = mediapipe_ms(raw, w, h, False, args.warmup)
            refined, ref_cpu, fref = mediapipe_ms(raw, w, h, True, args.warmup)
            el, el_frames, el_wall, el_cpu = element_ms(raw, w, h, fr, n, args.avatar, args.plugin_dir,
                                                args.warmup, args.runs, args.element_props)
            if el_frames != n:
                print(f"# note: {os.path.basename(clip)}: {el_frames} 'took' lines for {n} frames", file=sys.stderr)
            print(f"{os.path.basename(clip):<22} {f'{w}x{h}':>9} {n:>6} {plain:>9.2f} {refined:>10.2f} "
                  f"{el:>8.2f} {el / refined:>7.2f} {el_wall:>8.2f} {ref_cpu:>8.2f} {el_cpu:>7.2f} {f'{fp}/{fref}':>10}", flush=True)
            os.remove(raw)
    print("# ms per frame; faces p/r: frames where MediaPipe plain/refined found a face")


if __name__ == "__main__":
    main()
