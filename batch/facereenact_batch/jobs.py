"""The jobs file: one row per lecture to convert.

CSV with a header line. Columns (any order):

  input       the recording (anything GStreamer can demux and decode)
  avatar      the avatar picture (PNG or JPEG with one face)
  output      the MP4 to write
  layout      figure (default when empty or absent) or pip, as for pipelines/lecture.sh
  properties  optional: more facereenact properties, space-separated name=value words, e.g.
              "engine=liveportrait engine-models-dir=/models/lp execution-provider=cuda"

Relative paths are relative to the CSV file's folder. The whole file is checked before anything
runs; a problem raises JobsError naming the line.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("input", "avatar", "output")
OPTIONAL = ("layout", "properties")
LAYOUTS = ("figure", "pip")
# As pipelines/lecture.sh checks LECTURE_ELEMENT_PROPS: a property name, "=", a value without spaces.
PROPERTY = re.compile(r"^[a-z][a-z0-9-]*=\S+$")


class JobsError(Exception):
    """The jobs file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Job:
    """One row of the jobs file.

    index: the row's number among the data rows, from 0 (the CSV line is index + 2).
    input, avatar, output: absolute paths.
    layout: "figure" or "pip".
    properties: facereenact properties as name=value words, in the row's order.
    """

    index: int
    input: str
    avatar: str
    output: str
    layout: str = "figure"
    properties: tuple[str, ...] = ()

    @property
    def line(self) -> int:
        """The row's line in the CSV file (the header is line 1)."""
        return self.index + 2

    @property
    def needs_gpu(self) -> bool:
        """Whether the row's task asks Ray for a GPU (see needs_gpu)."""
        return needs_gpu(self.properties)


def property_map(properties: tuple[str, ...] | list[str]) -> dict[str, str]:
    """name=value words as a dict (a later word wins, as with gst-launch)."""
    return dict(word.split("=", 1) for word in properties)


def needs_gpu(properties: tuple[str, ...] | list[str]) -> bool:
    """The GPU rule: a row needs one GPU when its properties pick the LivePortrait engine
    (engine=liveportrait, or the deprecated engine=<model set folder>, as the element reads them)
    and its execution-provider is not cpu (the element's default, auto, takes a GPU where there is
    one). The default engine (mesh, the landmark warp) runs on the CPU."""
    props = property_map(properties)
    return props.get("engine", "mesh") not in ("", "mesh") and props.get("execution-provider", "auto") != "cpu"


def _path(value: str, folder: Path) -> str:
    return os.path.normpath(os.path.join(folder, os.path.expanduser(value)))


def read_jobs(csv_path: str | os.PathLike) -> list[Job]:
    """Reads and checks the jobs file: the columns, every row's required fields, layout and
    properties, and that no two rows write the same output. Raises JobsError."""
    csv_path = Path(csv_path)
    folder = csv_path.resolve().parent
    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise JobsError(f"{csv_path}: {e}") from None
    if not rows:
        raise JobsError(f"{csv_path}: empty file (a header line is needed: input,avatar,output,layout,properties)")
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise JobsError(f"{csv_path} line 1: missing column(s) {', '.join(missing)} "
                        f"(the header has {', '.join(header) or 'nothing'})")
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if unknown:
        raise JobsError(f"{csv_path} line 1: unknown column(s) {', '.join(unknown)} "
                        f"(known: {', '.join(REQUIRED + OPTIONAL)})")
    jobs: list[Job] = []
    outputs: dict[str, int] = {}
    for index, row in enumerate(rows[1:]):
        line = index + 2
        if not any(cell.strip() for cell in row):
            raise JobsError(f"{csv_path} line {line}: empty row")
        if len(row) > len(header):
            raise JobsError(f"{csv_path} line {line}: {len(row)} fields, the header has {len(header)}")
        fields = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        for name in REQUIRED:
            if not fields[name]:
                raise JobsError(f"{csv_path} line {line}: no {name}")
        layout = fields.get("layout") or "figure"
        if layout not in LAYOUTS:
            raise JobsError(f"{csv_path} line {line}: unknown layout '{layout}' (figure or pip)")
        properties = tuple(fields.get("properties", "").split())
        for word in properties:
            if not PROPERTY.match(word):
                raise JobsError(f"{csv_path} line {line}: property '{word}' is not name=value")
        output = _path(fields["output"], folder)
        if output in outputs:
            raise JobsError(f"{csv_path} line {line}: output {output} is also line {outputs[output]}'s")
        outputs[output] = line
        jobs.append(Job(index, _path(fields["input"], folder), _path(fields["avatar"], folder),
                        output, layout, properties))
    if not jobs:
        raise JobsError(f"{csv_path}: no rows after the header")
    return jobs
