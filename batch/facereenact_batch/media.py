"""Durations of media files, read with gst-discoverer-1.0."""

from __future__ import annotations

import re
import subprocess

_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", re.M)


def duration_s(path: str, timeout_s: float = 120) -> float | None:
    """The file's duration in seconds as gst-discoverer-1.0 reports it, or None when it cannot
    read the file (an incomplete MP4 without its index, say)."""
    try:
        report = subprocess.run(["gst-discoverer-1.0", "-t", str(int(timeout_s)), path],
                                capture_output=True, text=True, timeout=timeout_s + 10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = _DURATION.search(report)
    if not m or "video #" not in report:
        return None
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
