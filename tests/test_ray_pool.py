"""Workers as Ray actors on a local two-node cluster (`ray start --head` and a second `ray start
--address` on this machine; nothing leaves it): the same records as one process, and a worker killed
mid-run has its in-flight unit answered again by its restarted actor, with every request answered once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, records_of, run_cli
from tests.pool_adapters import log_events
from tests.ray_pool_checks import OUTCOME_MARK, REQUESTS
from tests.test_data_parallel_e2e import only_run, results_without_run_id

RAY = str(Path(sys.executable).parent / "ray")
NODE_OPTIONS = ["--num-cpus", "2", "--object-store-memory", "100000000", "--disable-usage-stats"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    address: str
    second_node: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head node and a second node on this machine (the second kept in the foreground, in a process
    group of its own, so a test can kill it whole); the workers import tests/ from the repository."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    head = [RAY, "start", "--head", "--port", str(port), "--include-dashboard=false", *NODE_OPTIONS]
    second = [RAY, "start", "--address", f"127.0.0.1:{port}", "--block", *NODE_OPTIONS]
    node: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(head, env=env, check=True, capture_output=True, timeout=180)
        node = subprocess.Popen(second, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        _wait_for_nodes(f"127.0.0.1:{port}", 2)
        yield Cluster(f"127.0.0.1:{port}", node)
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=180, check=False)
        if node is not None and node.poll() is None:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()


# Asked in a process of its own: this one never becomes a Ray driver (see tests/ray_pool_checks.py).
WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False, configure_logging=False)
deadline = time.monotonic() + 120
while sum(node["Alive"] for node in ray.nodes()) < int(sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit("the cluster has fewer live nodes than expected")
    time.sleep(0.5)
"""


def _wait_for_nodes(address: str, count: int) -> None:
    waited = subprocess.run(
        [sys.executable, "-c", WAIT_FOR_NODES, address, str(count)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert waited.returncode == 0, waited.stderr[-2000:]


@pytest.mark.slow
def test_a_ray_run_gives_the_records_and_results_of_one_process(
    cluster: Cluster, tmp_path: Path, tv_eval_cache: Path
) -> None:
    command = ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--seed", "0"]
    command += ["--batch-size", "8", "--device", "cpu", "--no-cache"]
    single = run_cli([*command, "--output-dir", str(tmp_path / "one")], tv_eval_cache, timeout=600)
    assert single.returncode == 0, single.stderr
    on_ray = run_cli(
        [
            *command,
            "--output-dir",
            str(tmp_path / "ray"),
            "--data-parallel",
            "2",
            "--ray-address",
            cluster.address,
        ],
        tv_eval_cache,
        timeout=600,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    one, two = only_run(tmp_path / "one"), only_run(tmp_path / "ray")
    assert records_of(two) == records_of(one)
    assert results_without_run_id(two) == results_without_run_id(one)
    assert '"placement": "ray"' in (two / "run.json").read_text(encoding="utf-8")


def run_check(*arguments: str) -> dict:
    """One fault check of tests/ray_pool_checks.py in a driver process of its own; its JSON outcome."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.ray_pool_checks", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    (outcome,) = [line for line in finished.stdout.splitlines() if line.startswith(OUTCOME_MARK)]
    return json.loads(outcome.removeprefix(OUTCOME_MARK))


def answered_each_once(log: Path) -> bool:
    done = [i for event, _, ids in log_events(log) if event == "done" for i in ids]
    return sorted(done) == [r.request_id for r in REQUESTS]


@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_unit_answered_again_and_nothing_twice(
    cluster: Cluster, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    outcome = run_check("kill-worker", cluster.address, str(log))
    assert outcome["killed"], "no worker started a unit"
    killed_pid, killed_ids = outcome["killed"]
    assert outcome["texts"] == [r.messages[0].text[::-1] for r in REQUESTS]
    assert answered_each_once(log)
    events = log_events(log)
    assert all(pid != killed_pid for event, pid, _ in events if event == "done")  # it finished nothing
    rerun = [
        pid for event, pid, ids in events if event == "start" and ids == killed_ids and pid != killed_pid
    ]
    assert len(rerun) == 1  # its in-flight unit was asked again, once, of a restarted actor


@pytest.mark.slow
def test_a_node_lost_mid_run_has_its_units_answered_on_the_other_node(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Last in the module: the cluster has one node left afterwards."""
    log = tmp_path / "log"
    outcome = run_check("lose-node", cluster.address, str(log), str(cluster.second_node.pid))
    requeued = outcome["requeued"]
    assert outcome["texts"] == [r.messages[0].text[::-1] for r in REQUESTS]
    assert answered_each_once(log)
    events = log_events(log)
    finished = {(pid, tuple(ids)) for event, pid, ids in events if event == "done"}
    cut_short = [
        (pid, ids) for event, pid, ids in events if event == "start" and (pid, tuple(ids)) not in finished
    ]
    assert cut_short, "the lost node was answering nothing"
    assert requeued >= len(cut_short)
    for pid, ids in cut_short:  # each unit the lost node was answering was answered by the other one
        assert any(tuple(ids) == done_ids and done_pid != pid for done_pid, done_ids in finished)
