"""One attempt at one row, as a Ray task body (run_row) or directly.

The conversion writes to a temporary name in the output's folder,
.<output name>.partial-<attempt>.mp4, which is renamed to the output (os.replace) only when
lecture.sh exits 0: no unfinished file ever carries the final name. A failed row's partial file
is removed; a finished row also removes its other attempts' partial files (attempts on nodes that
were lost). A row that fails because lecture.sh exits non-zero is a bad row: the failure is
returned as a value (a RowResult), never raised, so that Ray does not retry it; Ray retries only
attempts whose worker or node died.
"""

from __future__ import annotations

import collections
import glob
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .jobs import Job
from .state import write_attempt

TAIL_LINES = 40  # lines of lecture.sh's stderr kept in an attempt's record
PROGRESS_LINE = re.compile(r"^frame \d+")
# "done: 1008 frames (0:34 of video) in 0:10, speed 3.46x: OUT"
DONE_LINE = re.compile(r"^done: (\d+) frames \(((?:\d+:)?\d+:\d+) of video\)")
# "lecture: IN (512x480, 25/1 fps, 0:19) -> OUT (...)"
RATE = re.compile(r"^lecture: .*\(\d+x\d+, (\d+)/(\d+) fps, ")


@dataclass
class RowResult:
    """What became of a row.

    index: the row's index (CSV line = index + 2). outcome: "done", "skipped" or "failed".
    output: the output path. attempt, node_id, hostname: the attempt that decided it (empty for
    skipped rows and rows that failed before running). wall_s: the attempt's wall time, seconds.
    video_s: seconds of video converted (done rows). reason: why the row failed.
    """

    index: int
    outcome: str
    output: str
    attempt: str = ""
    node_id: str = ""
    hostname: str = ""
    wall_s: float = 0.0
    video_s: float = 0.0
    reason: str = ""

    @property
    def speed(self) -> float:
        """Seconds of video per second of wall time (0 when unknown)."""
        return self.video_s / self.wall_s if self.wall_s > 0 else 0.0


@dataclass
class Settings:
    """How rows run, the same for all of them.

    checkout: the project checkout (its pipelines/lecture.sh runs), the same path on every node.
    plugin_path: GST_PLUGIN_PATH for lecture.sh, or None for the checkout's target/release, else
    target/debug (looked up on the node running the row). state_dir: the attempt records' folder.
    """

    checkout: str
    plugin_path: str | None
    state_dir: str


def partial_path(output: str, attempt: str) -> str:
    """The temporary name an attempt writes to, in the output's folder."""
    folder, name = os.path.split(output)
    return os.path.join(folder, f".{name}.partial-{attempt}.mp4")


def partial_files(output: str) -> list[str]:
    """Every attempt's partial file of this output that exists now."""
    folder, name = os.path.split(output)
    return glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.partial-*.mp4"))


def remove_partials(output: str) -> None:
    """Removes every attempt's partial file of this output (unfinished attempts: lost, failed or
    of an earlier run); one that cannot be removed is left (its name is never the output's)."""
    for partial in partial_files(output):
        try:
            os.remove(partial)
        except OSError:
            pass


def plugin_path(settings: Settings) -> str:
    """GST_PLUGIN_PATH for lecture.sh: the caller's, else target/release, else target/debug."""
    if settings.plugin_path:
        return settings.plugin_path
    for profile in ("release", "debug"):
        folder = os.path.join(settings.checkout, "target", profile)
        if os.path.exists(os.path.join(folder, "libgstfacereenact.so")):
            return folder
    return os.path.join(settings.checkout, "target", "release")


def failure_reason(lines: list[str], count: int = 3) -> str:
    """The last meaningful stderr lines: not progress lines, not notes, not the header line."""
    meaningful = [line for line in lines if line.strip() and not PROGRESS_LINE.match(line)
                  and not line.startswith("lecture: note") and " -> " not in line]
    return " / ".join(meaningful[-count:]) or "no message"


def video_seconds(lines: list[str]) -> float:
    """Seconds of video converted, from lecture.sh's header and "done:" lines: frames / frame
    rate, or the "done:" line's clock (whole seconds) for a variable frame rate."""
    rate = None
    for line in lines:
        m = RATE.match(line)
        if m and int(m[1]) > 0:
            rate = int(m[1]) / int(m[2])
        m = DONE_LINE.match(line)
        if m:
            if rate:
                return int(m[1]) / rate
            parts = [int(p) for p in m[2].split(":")]
            return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return 0.0


def _node() -> tuple[str, str]:
    node_id = ""
    try:
        import ray

        if ray.is_initialized():
            node_id = ray.get_runtime_context().get_node_id()
    except Exception:  # not in Ray (direct call)
        pass
    return node_id, socket.gethostname()


def run_row(job: Job, settings: Settings) -> RowResult:
    """One attempt at one row: converts job.input to job.output with lecture.sh under the guard.
    Returns the outcome (never raises for a bad row)."""
    attempt = uuid.uuid4().hex[:12]
    node_id, hostname = _node()
    partial = partial_path(job.output, attempt)
    record = dict(row=job.index, attempt=attempt, node_id=node_id, hostname=hostname,
                  pid=os.getpid(), input=job.input, output=job.output, partial=partial,
                  start=time.time(), end=None, outcome="running", exit_status=None,
                  video_s=None, reason=None, stderr_tail=[])
    write_attempt(settings.state_dir, record)
    result = RowResult(job.index, "failed", job.output, attempt, node_id, hostname)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    try:
        try:
            os.makedirs(os.path.dirname(job.output), exist_ok=True)
        except OSError as e:
            raise RowFailed(f"cannot make the output folder {os.path.dirname(job.output)}: "
                            f"{e.strerror or e}") from None
        env = dict(os.environ)
        env["GST_PLUGIN_PATH"] = plugin_path(settings)
        env["LECTURE_ELEMENT_PROPS"] = " ".join(job.properties)
        lecture = os.path.join(settings.checkout, "pipelines", "lecture.sh")
        command = [sys.executable, "-m", "facereenact_batch.guard", "--parent", str(os.getpid()),
                   "--", "bash", lecture, job.input, partial, job.avatar, job.layout]
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                errors="replace", start_new_session=True)
        lines = []  # the header and done lines, for the duration
        try:
            for line in proc.stderr:
                line = line.rstrip("\n")
                tail.append(line)
                if line.startswith(("lecture: ", "done: ")) and len(lines) < 100:
                    lines.append(line)
            status = proc.wait()
        except BaseException:  # cancelled (ray.cancel) or interrupted: stop the conversion too
            proc.terminate()  # the guard passes it on to lecture.sh's process group
            proc.wait()
            raise
        record["exit_status"] = status
        if status != 0:
            raise RowFailed(failure_reason(list(tail)) + f" (lecture.sh exit status {status})")
        if not os.path.exists(partial):
            raise RowFailed(f"lecture.sh exited 0 but wrote no {partial}")
        os.replace(partial, job.output)
        remove_partials(job.output)  # lost attempts' unfinished files
        result.outcome = "done"
        result.video_s = video_seconds(lines)
    except RowFailed as e:
        result.reason = str(e)
    except Exception as e:  # anything else about this row is the row's failure, not Ray's
        result.reason = f"{type(e).__name__}: {e}"
    finally:
        if result.outcome != "done" and os.path.exists(partial):
            try:
                os.remove(partial)
            except OSError:
                pass
        result.wall_s = time.time() - record["start"]
        record.update(end=time.time(), outcome=result.outcome, video_s=result.video_s or None,
                      reason=result.reason or None, stderr_tail=list(tail))
        write_attempt(settings.state_dir, record)
    return result


class RowFailed(Exception):
    """A bad row: the message is the reason."""
