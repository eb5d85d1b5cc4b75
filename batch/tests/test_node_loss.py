"""A node lost in the middle of a row: Ray runs the row again on the other node, the lost
attempt's conversion dies with its worker, and nothing unfinished is left behind."""

import subprocess
import time

import pytest
from ray import cluster_utils as ray_cluster_utils

from facereenact_batch.media import duration_s
from facereenact_batch.state import read_attempts
from conftest import ASTRONAUT, LONGER, batch_command, partials, write_jobs

STORE = 100 * 1024 * 1024  # object store bytes per node: the results are tiny


@pytest.fixture
def cluster():
    """Two nodes on this machine, one CPU each."""
    c = ray_cluster_utils.Cluster(initialize_head=True, head_node_args=dict(
        num_cpus=1, num_gpus=0, object_store_memory=STORE, include_dashboard=False))
    worker = c.add_node(num_cpus=1, num_gpus=0, object_store_memory=STORE)
    c.wait_for_nodes()
    yield c, worker
    c.shutdown()


def test_lost_node_row_runs_again_elsewhere(tmp_path, cluster):
    c, worker = cluster
    state = tmp_path / "state"
    rows = [dict(input=str(LONGER), avatar=str(ASTRONAUT), output=f"out/lecture{i}.mp4") for i in range(3)]
    jobs = write_jobs(tmp_path / "jobs.csv", rows)
    proc = subprocess.Popen(batch_command(jobs, "--address", c.address, "--cpus-per-row", "1",
                                          "--state-dir", str(state)),
                            stderr=subprocess.PIPE, text=True)
    try:
        # An attempt on the second node, converting for a second already.
        deadline = time.monotonic() + 60
        lost = None
        while lost is None and time.monotonic() < deadline:
            lost = next((a for a in read_attempts(str(state)) if a["node_id"] == worker.node_id
                         and a["outcome"] == "running" and time.time() - a["start"] > 2), None)
            time.sleep(0.2)
        assert lost, "no attempt started on the second node"
        c.remove_node(worker)
        _, stderr = proc.communicate(timeout=150)
    finally:
        proc.kill()
    print(stderr)
    assert proc.returncode == 0, stderr
    want = duration_s(str(LONGER))
    for i in range(3):
        out = tmp_path / "out" / f"lecture{i}.mp4"
        assert duration_s(str(out)) == pytest.approx(want, abs=0.3)
    assert partials(tmp_path) == []
    attempts = read_attempts(str(state), lost["row"])
    assert len(attempts) == 2, attempts
    first, second = attempts
    assert (first["attempt"], first["node_id"], first["outcome"], first["end"]) == \
           (lost["attempt"], worker.node_id, "running", None)
    assert second["node_id"] == c.head_node.node_id and second["outcome"] == "done"
    assert second["start"] > first["start"]
    # The lost attempt's conversion died with its worker (the guard took its process group down).
    assert subprocess.run(["pgrep", "-f", lost["partial"]], capture_output=True).returncode == 1
