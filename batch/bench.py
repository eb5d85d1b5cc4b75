"""Converts the same 6 short lectures (the 5 driving clips in tests/media/driving plus the
longest again) with facereenact-batch on Ray clusters made on this machine, and prints for each
layout of the cluster: wall time (seconds, the facereenact-batch command from start to end,
including joining the cluster), seconds of video converted, and speed (video seconds per wall
second, "x real time").

    GST_PLUGIN_PATH=<checkout>/target/release .venv/bin/python batch/bench.py

Clusters (all on this machine, the rows as figure layout with the astronaut avatar):
  one node, 2 CPUs, --cpus-per-row 2   one row at a time
  one node, 2 CPUs, --cpus-per-row 1   two rows at a time in one node
  two nodes, 1 CPU each, --cpus-per-row 1   one row at a time on each node
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ray.cluster_utils import Cluster

from facereenact_batch.media import duration_s

ROOT = Path(__file__).resolve().parents[1]
DRIVING = sorted((ROOT / "tests" / "media" / "driving").glob("*.mp4"))
AVATAR = ROOT / "tests" / "media" / "avatar" / "astronaut_512.png"
STORE = 100 * 1024 * 1024  # object store bytes per node
LAYOUTS = [("one node, 2 CPUs, 2 per row", [2], 2), ("one node, 2 CPUs, 1 per row", [2], 1),
           ("two nodes, 1 CPU each, 1 per row", [1, 1], 1)]


def main() -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    lectures = DRIVING + [max(DRIVING, key=lambda p: duration_s(str(p)) or 0)]
    video_s = sum(duration_s(str(p)) for p in lectures)
    print(f"{len(lectures)} lectures, {video_s:.1f} s of video", flush=True)
    for name, cpus, per_row in LAYOUTS:
        cluster = Cluster(initialize_head=True, head_node_args=dict(
            num_cpus=cpus[0], num_gpus=0, object_store_memory=STORE, include_dashboard=False))
        for n in cpus[1:]:
            cluster.add_node(num_cpus=n, num_gpus=0, object_store_memory=STORE)
        cluster.wait_for_nodes()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                jobs = Path(tmp) / "jobs.csv"
                jobs.write_text("input,avatar,output\n" + "".join(
                    f"{p},{AVATAR},out/{i}-{p.stem}.mp4\n" for i, p in enumerate(lectures)))
                start = time.monotonic()
                proc = subprocess.run([sys.executable, "-m", "facereenact_batch.cli", str(jobs),
                                       "--address", cluster.address, "--cpus-per-row", str(per_row)],
                                      capture_output=True, text=True)
                wall = time.monotonic() - start
                if proc.returncode != 0:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    return 1
                print(f"{name:<34} wall {wall:6.1f} s  video {video_s:6.1f} s  speed {video_s / wall:.2f}x",
                      flush=True)
        finally:
            cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
