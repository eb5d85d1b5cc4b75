"""Shared helpers: the project's test media, writing jobs files, running facereenact-batch as the
user does (a subprocess; its own Ray instance or --address), reading durations."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT / "tests" / "media"
DRIVING = MEDIA / "driving"
ASTRONAUT = MEDIA / "avatar" / "astronaut_512.png"
NO_FACE = MEDIA / "avatar" / "no_face_coffee.png"
# Short talking-face clips as they are: 3.1 s (no sound), 6.3 s, 7.3 s; 19.6 s for node loss.
SHORT = [DRIVING / "grin_512.mp4", DRIVING / "turned_start_512.mp4", DRIVING / "turns_laugh_512.mp4"]
LONGER = DRIVING / "glasses_512x480.mp4"


def write_jobs(path: Path, rows: list[dict], header=("input", "avatar", "output", "layout", "properties")) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(name, "") for name in header])
    return path


def batch_command(jobs: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "facereenact_batch.cli", str(jobs), *args]


def run_batch(jobs: Path, *args: str, timeout: float = 150, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs facereenact-batch; its stderr (bar, row lines, summary) is printed for pytest -rA."""
    proc = subprocess.run(batch_command(jobs, *args), capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, **(env or {})))
    print(proc.stderr)
    return proc


def partials(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.partial-*"))


@pytest.fixture(autouse=True)
def _quiet_ray(monkeypatch):
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
