"""Attempt records: one JSON file per attempt at a row, in the state folder
(default <CSV folder>/.facereenact-batch/), named row-<index>-<attempt>.json.

A record's fields:
  row         the row's index (from 0; CSV line = row + 2)
  attempt     the attempt's id (unique: a fresh one each time Ray runs the row's task)
  node_id     the Ray node that ran the attempt (hex, ray.get_runtime_context().get_node_id())
  hostname    that node's host name
  pid         the Ray worker's process id
  input, output, partial   the row's input, final output and this attempt's temporary output
  start, end  wall-clock times, seconds since the epoch (end is null while running, and stays
              null for an attempt whose node or worker was lost)
  outcome     "running", "done" or "failed"
  exit_status lecture.sh's exit status (null if it did not run to the end)
  video_s     seconds of video converted (done only)
  reason      why it failed: lecture.sh's last meaningful stderr lines (failed only)
  stderr_tail the last lines of lecture.sh's stderr
A record is written when the attempt starts and rewritten when it ends (atomically: a temporary
file renamed over it), so the folder shows attempts in flight and attempts that were cut off.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def record_path(state_dir: str, row: int, attempt: str) -> Path:
    return Path(state_dir) / f"row-{row:05d}-{attempt}.json"


def write_attempt(state_dir: str, record: dict) -> None:
    """Writes (or rewrites) an attempt's record atomically."""
    path = record_path(state_dir, record["row"], record["attempt"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


def read_attempts(state_dir: str, row: int | None = None) -> list[dict]:
    """All attempt records (of one row if row is given), oldest start first."""
    pattern = "row-*.json" if row is None else f"row-{row:05d}-*.json"
    records = []
    for path in Path(state_dir).glob(pattern):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # being replaced or damaged: skip
    return sorted(records, key=lambda r: (r.get("start") or 0, r["row"]))
