"""facereenact-batch with its own local Ray instance (no --address): conversion, re-runs, bad rows."""


import pytest

from facereenact_batch.media import duration_s
from facereenact_batch.state import read_attempts
from conftest import ASTRONAUT, NO_FACE, SHORT, partials, run_batch, write_jobs


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Three short clips (one in the pip layout) converted by one run."""
    folder = tmp_path_factory.mktemp("local")
    rows = [dict(input=str(clip), avatar=str(ASTRONAUT), output=f"out/{clip.stem}.mp4",
                 layout="pip" if i == 1 else "figure") for i, clip in enumerate(SHORT)]
    jobs = write_jobs(folder / "jobs.csv", rows)
    proc = run_batch(jobs, "--cpus-per-row", "1")
    return folder, jobs, proc


def test_rows_convert(converted):
    folder, _, proc = converted
    assert proc.returncode == 0, proc.stderr
    for clip in SHORT:
        out = folder / "out" / f"{clip.stem}.mp4"
        assert out.exists()
        assert duration_s(str(out)) == pytest.approx(duration_s(str(clip)), abs=0.3)
        assert f"done     line" in proc.stderr and str(out) in proc.stderr.split("line  outcome")[1]
    assert partials(folder) == []
    assert "3 done, 0 skipped, 0 failed" in proc.stderr
    attempts = read_attempts(str(folder / ".facereenact-batch"))
    assert sorted(a["row"] for a in attempts) == [0, 1, 2]
    assert all(a["outcome"] == "done" and a["node_id"] and a["end"] >= a["start"] for a in attempts)


def test_rerun_skips_then_redoes_a_deleted_output(converted):
    folder, jobs, _ = converted
    state = str(folder / ".facereenact-batch")
    before = read_attempts(state)
    proc = run_batch(jobs, "--cpus-per-row", "1")
    assert proc.returncode == 0, proc.stderr
    assert "0 done, 3 skipped, 0 failed" in proc.stderr
    assert read_attempts(state) == before  # nothing ran
    # One output gone, and a stale partial file of it from an interrupted run.
    redo = folder / "out" / f"{SHORT[0].stem}.mp4"
    redo.unlink()
    stale = redo.with_name(f".{redo.name}.partial-0123456789ab.mp4")
    stale.write_bytes(b"unfinished")
    proc = run_batch(jobs, "--cpus-per-row", "1")
    assert proc.returncode == 0, proc.stderr
    assert "1 done, 2 skipped, 0 failed" in proc.stderr
    new = [a for a in read_attempts(state) if a not in before]
    assert [(a["row"], a["outcome"]) for a in new] == [(0, "done")]
    assert redo.exists() and partials(folder) == []


def test_bad_rows_fail_alone(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    good = dict(input=str(SHORT[0]), avatar=str(ASTRONAUT), output="out/good.mp4")
    rows = [
        dict(input="missing.mp4", avatar=str(ASTRONAUT), output="out/missing.mp4"),
        good,
        dict(input=str(SHORT[0]), avatar=str(NO_FACE), output="out/noface.mp4"),
        dict(input=str(SHORT[0]), avatar=str(ASTRONAUT), output="a_file/out.mp4"),
        dict(input=str(SHORT[0]), avatar=str(ASTRONAUT), output="out/gpu.mp4",
             properties="engine=liveportrait execution-provider=cuda"),
    ]
    jobs = write_jobs(tmp_path / "jobs.csv", rows)
    # No GPU for Ray to find, even where the machine has one.
    proc = run_batch(jobs, "--cpus-per-row", "1", env={"CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "out" / "good.mp4").exists()
    assert "1 done, 0 skipped, 4 failed" in proc.stderr
    summary = proc.stderr.split("line  outcome")[1]
    assert f"failed: line 2 ({tmp_path}/out/missing.mp4): lecture: input {tmp_path}/missing.mp4 does not exist" in summary
    assert f"failed: line 4 ({tmp_path}/out/noface.mp4): no face found in avatar picture {NO_FACE}" in summary
    assert f"failed: line 5 ({tmp_path}/a_file/out.mp4): cannot make the output folder {tmp_path}/a_file" in summary
    assert "failed: line 6" in summary and "needs a GPU" in summary
    for name in ("missing", "noface", "gpu"):
        assert not (tmp_path / "out" / f"{name}.mp4").exists()
    assert partials(tmp_path) == []
    # Bad rows are not retried: one attempt each (the GPU row never ran).
    attempts = read_attempts(str(tmp_path / ".facereenact-batch"))
    assert sorted(a["row"] for a in attempts) == [0, 1, 2, 3]
