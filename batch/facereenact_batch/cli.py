"""facereenact-batch JOBS.csv: converts every row of the jobs file (see jobs.py) with
pipelines/lecture.sh, one Ray task per row.

Without --address it starts a local Ray instance for the run; with --address HOST:PORT it joins a
running cluster (every node needs this checkout at the same path, this package installed in the
Python that runs Ray, GStreamer, and the inputs, avatars and output folders at the same paths:
shared storage). Rows whose output exists are skipped. Exit status: 0 every row done or skipped,
1 some row failed (each named, with lecture.sh's message), 2 bad jobs file or options (nothing
ran), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from .jobs import Job, JobsError, read_jobs
from .progress import Progress, summary
from .task import RowResult, Settings, remove_partials, run_row

CHECKOUT = str(Path(__file__).resolve().parents[2])  # batch/facereenact_batch/cli.py
OBJECT_STORE_BYTES = 100 * 1024 * 1024  # a local instance's object store: results are tiny


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="facereenact-batch", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("jobs", help="CSV file: input,avatar,output[,layout][,properties]")
    p.add_argument("--address", help="HOST:PORT of a Ray cluster to join (default: start a local instance)")
    p.add_argument("--cpus-per-row", type=float, default=2,
                   help="CPUs each row's task asks Ray for (default 2)")
    p.add_argument("--retries", type=int, default=3,
                   help="times Ray runs a row again whose worker or node died (default 3); "
                        "a row that lecture.sh fails is never retried")
    p.add_argument("--state-dir", help="attempt records' folder (default <CSV folder>/.facereenact-batch)")
    p.add_argument("--checkout", default=CHECKOUT,
                   help=f"project checkout holding pipelines/lecture.sh, the same path on every node (default {CHECKOUT})")
    args = p.parse_args(argv)
    if args.cpus_per_row <= 0:
        p.error("--cpus-per-row must be more than 0")
    if args.retries < 0:
        p.error("--retries must be 0 or more")
    return args


class ClusterError(Exception):
    """The cluster cannot run the rows as asked (nothing ran)."""


def _fail(job: Job, reason: str) -> RowResult:
    return RowResult(job.index, "failed", job.output, reason=reason)


def _ray_reason(e: Exception) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return "Ray: " + (" / ".join(lines[:2]) if lines else type(e).__name__)


def _start_ray(address: str | None):
    import ray

    common = dict(log_to_driver=False, logging_level=logging.WARNING)
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(include_dashboard=False, object_store_memory=OBJECT_STORE_BYTES, **common)
    return ray


def run(jobs: list[Job], args, settings: Settings, progress: Progress) -> list[RowResult]:
    """Sends the rows to Ray and collects their results as they finish."""
    ray = _start_ray(args.address)
    try:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        most_cpus = max((n["Resources"].get("CPU", 0) for n in nodes), default=0)
        if most_cpus < args.cpus_per_row:
            raise ClusterError(f"no Ray node has {args.cpus_per_row:g} CPUs "
                             f"(the most is {most_cpus:g}): use --cpus-per-row {most_cpus:g}")
        gpus = ray.cluster_resources().get("GPU", 0)
        convert = ray.remote(run_row)
        results, pending = [], {}
        progress.started()
        for job in jobs:
            if job.needs_gpu and gpus < 1:
                result = _fail(job, "needs a GPU (engine=liveportrait, execution-provider not cpu) "
                                    "but the Ray cluster has none")
                results.append(result)
                progress.finished(result)
                continue
            ref = convert.options(num_cpus=args.cpus_per_row, num_gpus=1 if job.needs_gpu else 0,
                                  max_retries=args.retries, retry_exceptions=False,
                                  name=f"facereenact-batch line {job.line}").remote(job, settings)
            pending[ref] = job
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    job = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as e:  # retries used up, or cancelled
                        result = _fail(job, _ray_reason(e))
                    if result.outcome != "done":
                        remove_partials(job.output)  # lost attempts' files
                    results.append(result)
                    progress.finished(result)
                progress.tick()
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)  # the worker dies; its guard stops the conversion
            raise
        return results
    finally:
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        jobs = read_jobs(args.jobs)
    except JobsError as e:
        print(f"facereenact-batch: {e}", file=sys.stderr)
        return 2
    checkout = os.path.abspath(args.checkout)
    if not os.path.isfile(os.path.join(checkout, "pipelines", "lecture.sh")):
        print(f"facereenact-batch: {checkout} has no pipelines/lecture.sh (--checkout)", file=sys.stderr)
        return 2
    state_dir = args.state_dir or os.path.join(os.path.dirname(os.path.abspath(args.jobs)),
                                               ".facereenact-batch")
    os.makedirs(state_dir, exist_ok=True)
    settings = Settings(checkout, os.environ.get("GST_PLUGIN_PATH") or None, os.path.abspath(state_dir))
    start = time.monotonic()
    progress = Progress(len(jobs))
    results, todo = [], []
    for job in jobs:
        if os.path.exists(job.output):
            result = RowResult(job.index, "skipped", job.output)
            results.append(result)
            progress.skipped(result)
            continue
        remove_partials(job.output)  # an earlier run's unfinished attempts
        todo.append(job)
    try:
        if todo:
            results += run(todo, args, settings, progress)
    except ClusterError as e:
        progress.close()
        print(f"facereenact-batch: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress.close()
        print("facereenact-batch: interrupted", file=sys.stderr)
        return 130
    progress.close()
    print(summary(results, time.monotonic() - start), file=sys.stderr)
    return 0 if all(r.outcome in ("done", "skipped") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
