"""The guard takes its command's whole process group down when its parent dies."""

import signal
import subprocess
import sys
import time

PARENT = """
import os, subprocess, sys, time
guard = subprocess.Popen([sys.executable, "-m", "facereenact_batch.guard", "--parent", str(os.getpid()),
                          "--", "bash", "-c", "sleep 301.5 & sleep 301.5; wait"], start_new_session=True)
print(guard.pid, flush=True)
time.sleep(300)
"""


def _running(pattern):
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode == 0


def _wait(condition, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_parent_death_stops_the_group():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        guard_pid = int(parent.stdout.readline())
        assert _wait(lambda: _running("sleep 301.5"), 10)
        parent.send_signal(signal.SIGKILL)  # as a Ray worker dies with its node
        parent.wait()
        assert _wait(lambda: not _running("sleep 301.5"), 10), "the guard's command outlived its parent"
        assert _wait(lambda: subprocess.run(["kill", "-0", str(guard_pid)], capture_output=True).returncode != 0, 10)
    finally:
        parent.kill()
        subprocess.run(["pkill", "-f", "sleep 301.5"])


def test_exit_status_passes_through():
    guard = [sys.executable, "-m", "facereenact_batch.guard", "--"]
    assert subprocess.run(guard + ["bash", "-c", "exit 2"]).returncode == 2
    assert subprocess.run(guard + ["bash", "-c", "kill -TERM $$"]).returncode == 128 + 15
