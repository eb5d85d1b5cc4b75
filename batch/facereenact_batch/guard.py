"""The guard: runs a command in its own process group and takes that group down when the guard's
parent (the Ray worker running the row) dies, so that no orphaned gst-launch keeps writing.

    python -m facereenact_batch.guard --parent PID -- bash pipelines/lecture.sh IN OUT AVATAR

The guard asks the kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG; Linux); on
SIGTERM, SIGINT or SIGHUP it sends SIGTERM to the command's process group, then SIGKILL after
GRACE_S seconds if any of it is still there. Its exit status is the command's (128 + N for a
command killed by signal N). --parent PID closes the race of a parent that died before the prctl:
the guard then stops at once. (PR_SET_PDEATHSIG fires when the thread that started the guard
ends; Ray runs a task on its worker's main thread, which ends only with the worker.)
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
GRACE_S = 5.0  # seconds between SIGTERM and SIGKILL for the command's process group


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """Asks Linux to send sig to this process when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facereenact_batch.guard")
    parser.add_argument("--parent", type=int, help="the pid the guard's parent must have")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    set_parent_death_signal(signal.SIGTERM)
    if args.parent is not None and os.getppid() != args.parent:
        return 143  # the parent died before the prctl: run nothing
    child = subprocess.Popen(command, start_new_session=True)
    stopping = []

    def stop(signum, _frame):
        if not stopping:
            stopping.append(time.monotonic())
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    while True:
        try:
            status = child.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if stopping and time.monotonic() - stopping[0] > GRACE_S:
                os.killpg(child.pid, signal.SIGKILL)
    # The group may outlive its leader (gst-launch under bash): make sure it is gone when stopping.
    if stopping:
        deadline = stopping[0] + GRACE_S
        while _group_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(child.pid):
            os.killpg(child.pid, signal.SIGKILL)
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main())
