"""Workers as Ray actors on a local two-node cluster (`ray start --head` and a second `ray start
--address` on this machine; nothing leaves it): the same records as one process, and a worker killed
mid-run has its in-flight unit answered again by its restarted actor, with every request answered once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import ray

from tests.conftest import REPO_ROOT, records_of, run_cli
from tests.pool_adapters import LoggingAdapter, log_events
from tests.test_data_parallel_e2e import only_run, results_without_run_id
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import Message, Request, TextPart
from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter
from tv_eval.pipeline.parallel.ray_pool import RayPool

RAY = str(Path(sys.executable).parent / "ray")
REQUESTS = [Request(f"r{i:02d}", (Message("user", (TextPart(f"question {i}"),)),)) for i in range(16)]
NODE_OPTIONS = ["--num-cpus", "2", "--object-store-memory", "100000000", "--disable-usage-stats"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    address: str
    second_node: subprocess.Popen[bytes]

    def kill_second_node(self) -> None:
        """The second node's raylet, object store and workers, all at once, as a lost machine."""
        node = psutil.Process(self.second_node.pid)
        for process in [*node.children(recursive=True), node]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


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
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=180, check=False)
        if node is not None and node.poll() is None:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()


def _wait_for_nodes(address: str, count: int) -> None:
    ray.init(address=address, log_to_driver=False, configure_logging=False)
    deadline = time.monotonic() + 120
    while sum(node["Alive"] for node in ray.nodes()) < count:
        assert time.monotonic() < deadline, f"the cluster has fewer than {count} live nodes"
        time.sleep(0.5)


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


def logging_pool(log: Path, address: str) -> PooledAdapter:
    options = {"log": str(log), "delay": 0.4}
    settings = AdapterSettings(model_id="m", device="cpu", batch_size=2, options=options)
    return PooledAdapter(settings, RayPool(LoggingAdapter, settings, 2, address), inner_streaming=False)


def answered_each_once(log: Path) -> bool:
    done = [i for event, _, ids in log_events(log) if event == "done" for i in ids]
    return sorted(done) == [r.request_id for r in REQUESTS]


@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_unit_answered_again_and_nothing_twice(
    cluster: Cluster, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    adapter = logging_pool(log, cluster.address)
    killed: list[tuple[int, list[str]]] = []

    def kill_the_first_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            try:
                starts = [(pid, ids) for event, pid, ids in log_events(log) if event == "start"]
            except (OSError, ValueError):  # no log yet, or a line still being written
                starts = []
            if starts:
                pid, ids = starts[0]
                os.kill(pid, signal.SIGKILL)
                killed.append((pid, ids))
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_first_busy_worker)
    killer.start()
    try:
        responses = adapter.generate(REQUESTS)
    finally:
        killer.join()
        adapter.close()
    assert killed, "no worker started a unit"
    killed_pid, killed_ids = killed[0]
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in REQUESTS]
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
    adapter = logging_pool(log, cluster.address)
    try:
        threading.Timer(1.5, cluster.kill_second_node).start()
        responses = adapter.generate(REQUESTS)
        requeued = adapter.pool.requeued  # type: ignore[attr-defined]
    finally:
        adapter.close()
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in REQUESTS]
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
