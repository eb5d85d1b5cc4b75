"""What the user sees on stderr: one overall bar (tqdm), a line per row as it finishes, and a
summary table at the end.

The bar counts rows (done, skipped or failed of all rows) and shows the hours of video converted
in this run, the speed (seconds of video converted per second of wall time, all nodes together,
since the first row was sent: "x real time") and tqdm's estimate of the time left (from the rate
of rows finished in this run; skipped rows do not count towards it).
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from .task import RowResult


def clock(seconds: float) -> str:
    """h:mm:ss or m:ss."""
    s = int(seconds + 0.5)
    h, m = divmod(s, 3600)
    return f"{h}:{m // 60:02d}:{m % 60:02d}" if h else f"{m // 60}:{m % 60:02d}"


def row_line(r: RowResult) -> str:
    """One line about a finished row, e.g.
    "done     line 3  /out/a.mp4  node 3f2a9c01 (host)  0:12  speed 2.70x"."""
    where = f"  node {r.node_id[:8]} ({r.hostname})" if r.node_id or r.hostname else ""
    text = f"{r.outcome:<8} line {r.index + 2}  {r.output}{where}"
    if r.outcome == "done":
        text += f"  {clock(r.wall_s)}  {clock(r.video_s)} of video  speed {r.speed:.2f}x"
    elif r.outcome == "failed":
        text += f"  {clock(r.wall_s)}: {r.reason}"
    return text


class Progress:
    """The bar and the per-row lines. total: rows in the jobs file."""

    def __init__(self, total: int, file=None):
        self.file = file or sys.stderr
        self.start = time.monotonic()
        self.video_s = 0.0  # seconds of video converted in this run
        self.bar = tqdm(total=total, unit="row", file=self.file, dynamic_ncols=True,
                        mininterval=1.0,
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} rows "
                                   "[{elapsed}<{remaining}{postfix}]")
        self._postfix()

    def skipped(self, r: RowResult) -> None:
        """A row whose output exists: a line, and the bar's count (not its rate)."""
        self.bar.write(row_line(r), file=self.file)
        self.bar.n += 1
        self.bar.initial += 1  # tqdm leaves initial rows out of its rate and time left
        self.bar.refresh()

    def started(self) -> None:
        """The first rows go out now: the speed counts from here."""
        self.start = time.monotonic()

    def finished(self, r: RowResult) -> None:
        self.bar.write(row_line(r), file=self.file)
        self.video_s += r.video_s
        self._postfix()
        self.bar.update(1)

    def tick(self) -> None:
        """Refreshes the elapsed time and speed (call about once a second)."""
        self._postfix()
        self.bar.refresh()

    def _postfix(self) -> None:
        wall = time.monotonic() - self.start
        speed = self.video_s / wall if wall > 0 else 0.0
        self.bar.set_postfix_str(f"{self.video_s / 3600:.2f} h ({clock(self.video_s)}) of video, "
                                f"{speed:.2f}x", refresh=False)

    def close(self) -> None:
        self.bar.close()


def summary(results: list[RowResult], wall_s: float) -> str:
    """The table of all rows, the totals, and each failure with its reason."""
    head = ("line", "outcome", "time", "video", "speed", "node", "output")
    rows = [(str(r.index + 2), r.outcome, clock(r.wall_s) if r.wall_s else "",
             clock(r.video_s) if r.video_s else "", f"{r.speed:.2f}x" if r.speed else "",
             r.node_id[:8], r.output) for r in sorted(results, key=lambda r: r.index)]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in [head, *rows]]
    count = {k: sum(r.outcome == k for r in results) for k in ("done", "skipped", "failed")}
    video = sum(r.video_s for r in results)
    lines.append(f"{count['done']} done, {count['skipped']} skipped, {count['failed']} failed; "
                 f"{video / 3600:.2f} h of video ({clock(video)}) in {clock(wall_s)}"
                 + (f", {video / wall_s:.2f}x real time" if wall_s > 0 and video else ""))
    for r in sorted(results, key=lambda r: r.index):
        if r.outcome == "failed":
            lines.append(f"failed: line {r.index + 2} ({r.output}): {r.reason}")
    return "\n".join(lines)
