"""Workers as Ray actors on a local two-node cluster (`ray start --head` and a second `ray start
--address` on this machine; nothing leaves it): the same records as one process, and a worker killed
mid-run has its in-flight unit answered again by its restarted actor, with every request answered once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from tests.conftest import REPO_ROOT, records_of, run_cli
from tests.pool_adapters import LoggingAdapter, log_events
from tests.test_data_parallel_e2e import only_run, results_without_run_id
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import Message, Request, TextPart

RAY = str(Path(sys.executable).parent / "ray")
NODE_OPTIONS = ["--num-cpus", "2", "--object-store-memory", "100000000", "--disable-usage-stats"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A head node and a second node on this machine; the workers import tests/ from the repository."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    head = [RAY, "start", "--head", "--port", str(port), "--include-dashboard=false", *NODE_OPTIONS]
    second = [RAY, "start", "--address", f"127.0.0.1:{port}", *NODE_OPTIONS]
    try:
        for command in (head, second):
            subprocess.run(command, env=env, check=True, capture_output=True, timeout=180)
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=180, check=False)


@pytest.mark.slow
def test_a_ray_run_gives_the_records_and_results_of_one_process(
    cluster: str, tmp_path: Path, tv_eval_cache: Path
) -> None:
    command = ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--seed", "0"]
    command += ["--batch-size", "8", "--device", "cpu", "--no-cache"]
    single = run_cli([*command, "--output-dir", str(tmp_path / "one")], tv_eval_cache, timeout=600)
    assert single.returncode == 0, single.stderr
    on_ray = run_cli(
        [*command, "--output-dir", str(tmp_path / "ray"), "--data-parallel", "2", "--ray-address", cluster],
        tv_eval_cache,
        timeout=600,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    one, two = only_run(tmp_path / "one"), only_run(tmp_path / "ray")
    assert records_of(two) == records_of(one)
    assert results_without_run_id(two) == results_without_run_id(one)
    assert '"placement": "ray"' in (two / "run.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_unit_answered_again_and_nothing_twice(
    cluster: str, tmp_path: Path
) -> None:
    from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter
    from tv_eval.pipeline.parallel.ray_pool import RayPool

    log = tmp_path / "log"
    settings = AdapterSettings(
        model_id="m", device="cpu", batch_size=2, options={"log": str(log), "delay": 0.4}
    )
    requests = [Request(f"r{i:02d}", (Message("user", (TextPart(f"question {i}"),)),)) for i in range(16)]
    adapter = PooledAdapter(settings, RayPool(LoggingAdapter, settings, 2, cluster), inner_streaming=False)
    killed: list[tuple[int, list[str]]] = []

    def kill_the_first_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            starts = (
                [(pid, ids) for event, pid, ids in log_events(log) if event == "start"]
                if log.exists()
                else []
            )
            if starts:
                pid, ids = starts[0]
                os.kill(pid, signal.SIGKILL)
                killed.append((pid, ids))
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_first_busy_worker)
    killer.start()
    try:
        responses = adapter.generate(requests)
    finally:
        killer.join()
        adapter.close()
    assert killed, "no worker started a unit"
    killed_pid, killed_ids = killed[0]
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in requests]
    events = log_events(log)
    done = [(pid, ids) for event, pid, ids in events if event == "done"]
    assert sorted(i for _, ids in done for i in ids) == [r.request_id for r in requests]  # each once
    assert all(pid != killed_pid for pid, _ in done)  # the killed worker finished nothing
    rerun = [
        pid for event, pid, ids in events if event == "start" and ids == killed_ids and pid != killed_pid
    ]
    assert len(rerun) == 1  # its in-flight unit was asked again, once, of a restarted actor
