"""The jobs file's checks and the GPU rule (no Ray, no conversion)."""

import pytest

from facereenact_batch.jobs import JobsError, needs_gpu, read_jobs
from conftest import batch_command, run_batch, write_jobs


def test_reads_rows_with_defaults_and_relative_paths(tmp_path):
    jobs = tmp_path / "lectures" / "jobs.csv"
    jobs.parent.mkdir()
    jobs.write_text("input,avatar,output,layout,properties\n"
                    "a.mp4,faces/x.png,out/a.mp4,,\n"
                    "/abs/b.mkv,x.png,out/b.mp4,pip,engine=liveportrait  execution-provider=cuda\n")
    a, b = read_jobs(jobs)
    assert (a.index, a.line, a.layout, a.properties) == (0, 2, "figure", ())
    assert a.input == str(jobs.parent / "a.mp4") and a.avatar == str(jobs.parent / "faces/x.png")
    assert a.output == str(jobs.parent / "out/a.mp4")
    assert b.input == "/abs/b.mkv" and b.layout == "pip"
    assert b.properties == ("engine=liveportrait", "execution-provider=cuda")
    assert b.needs_gpu and not a.needs_gpu


def test_columns_in_any_order_layout_and_properties_optional(tmp_path):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("output,input,avatar\no.mp4,i.mp4,a.png\n")
    (job,) = read_jobs(jobs)
    assert job.output.endswith("/o.mp4") and job.input.endswith("/i.mp4") and job.layout == "figure"


@pytest.mark.parametrize("text, message", [
    ("input,avatar,layout\na.mp4,x.png,figure\n", "missing column(s) output"),
    ("input,avatar,output,speed\na.mp4,x.png,o.mp4,2\n", "unknown column(s) speed"),
    ("input,avatar,output,layout\na.mp4,x.png,o.mp4,sideways\n", "line 2: unknown layout 'sideways'"),
    ("input,avatar,output\na.mp4,x.png,o.mp4\nb.mp4,x.png,./o.mp4\n", "line 3: output"),
    ("input,avatar,output\na.mp4,,o.mp4\n", "line 2: no avatar"),
    ("input,avatar,output,properties\na.mp4,x.png,o.mp4,engine\n", "property 'engine' is not name=value"),
    ("input,avatar,output\n", "no rows"),
    ("", "empty file"),
])
def test_bad_files_are_refused(tmp_path, text, message):
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(text)
    with pytest.raises(JobsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_jobs(jobs)


def test_gpu_rule():
    assert needs_gpu(["engine=liveportrait"])  # execution-provider auto takes a GPU
    assert needs_gpu(["engine=liveportrait", "execution-provider=cuda"])
    assert needs_gpu(["engine=liveportrait", "execution-provider=tensorrt"])
    assert not needs_gpu(["engine=liveportrait", "execution-provider=cpu"])
    assert not needs_gpu(["execution-provider=cuda"])  # the default engine runs on the CPU
    assert not needs_gpu([])
    assert needs_gpu(["execution-provider=cpu", "engine=liveportrait", "execution-provider=cuda"])
    # The deprecated form engine=<model set folder> is the LivePortrait engine too.
    assert needs_gpu(["engine=/models/liveportrait_onnx"])
    assert not needs_gpu(["engine=/models/liveportrait_onnx", "execution-provider=cpu"])
    assert not needs_gpu(["engine=mesh", "execution-provider=cuda"])


def test_bad_file_exits_2_before_anything_runs(tmp_path):
    jobs = write_jobs(tmp_path / "jobs.csv", [dict(input="a.mp4", avatar="x.png", output="o.mp4"),
                                              dict(input="b.mp4", avatar="x.png", output="o.mp4")])
    proc = run_batch(jobs, timeout=30)
    assert proc.returncode == 2
    assert "line 3: output" in proc.stderr and "also line 2" in proc.stderr
    assert not (tmp_path / ".facereenact-batch").exists()
