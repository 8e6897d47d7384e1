"""Worker processes on one machine: every request answered once, by whichever worker is free, a dead
worker's unit answered by another, a model that does not load named at once, and no worker left
behind by a driver that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.pool_adapters import LoggingAdapter, log_events
from tests.process_states import HAS_PROC, ends_within, running
from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.types import Message, Request, TextPart
from tv_eval.pipeline.parallel import local_pool
from tv_eval.pipeline.parallel.local_pool import LocalProcessPool
from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter
from tv_eval.pipeline.parallel.worker import WorkerPoolError, WorkerSpec

REQUESTS = [
    Request(f"r{i:02d}", (Message("user", (TextPart(f"question {i}" + "?" * i),)),)) for i in range(12)
]


def pooled(tmp_path: Path, workers: int = 2, **options: object) -> PooledAdapter:
    settings = AdapterSettings(
        model_id="m", device="cpu", batch_size=2, options={"log": str(tmp_path / "log"), **options}
    )
    specs = [WorkerSpec(LoggingAdapter, settings, {}) for _ in range(workers)]
    return PooledAdapter(settings, LocalProcessPool(specs), inner_streaming=False)


def test_every_request_is_answered_once_in_order_and_both_workers_work(tmp_path: Path) -> None:
    adapter = pooled(tmp_path, delay=0.05)
    reported: list[tuple[int, str]] = []
    try:
        responses = adapter.generate(
            REQUESTS, on_batch=lambda ps, rs: reported.extend(zip(ps, [r.text for r in rs], strict=True))
        )
    finally:
        adapter.close()
    assert [r.request_id for r in responses] == [r.request_id for r in REQUESTS]
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in REQUESTS]
    assert sorted(reported) == [(p, r.text) for p, r in enumerate(responses)]
    done = [event for event in log_events(tmp_path / "log") if event[0] == "done"]
    assert sorted(i for _, _, ids in done for i in ids) == [r.request_id for r in REQUESTS]
    assert len({pid for _, pid, _ in done}) == 2
    assert adapter.identity.model_id == "logging"


def test_loglikelihoods_come_back_in_order(tmp_path: Path) -> None:
    requests = [Request(f"c{i}", REQUESTS[0].messages, continuation="x" * i) for i in range(7)]
    adapter = pooled(tmp_path)
    try:
        assert adapter.loglikelihood(requests) == [-float(i) for i in range(7)]
    finally:
        adapter.close()


def test_a_dead_workers_unit_is_answered_by_another(tmp_path: Path) -> None:
    marker = tmp_path / "died"
    adapter = pooled(tmp_path, delay=0.02, die_on="r05", die_marker=str(marker))
    try:
        responses = adapter.generate(REQUESTS)
        deaths = adapter.pool.deaths  # type: ignore[attr-defined]
    finally:
        adapter.close()
    assert marker.exists()
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in REQUESTS]
    events = log_events(tmp_path / "log")
    started_r05 = [pid for event, pid, ids in events if event == "start" and "r05" in ids]
    done = [i for event, _, ids in events if event == "done" for i in ids]
    assert len(started_r05) == 2 and started_r05[0] != started_r05[1]  # asked again, of the other worker
    assert sorted(done) == sorted(r.request_id for r in REQUESTS)  # each answered exactly once
    assert deaths == 1


def test_when_every_worker_dies_the_run_stops_with_a_resumable_error(tmp_path: Path) -> None:
    adapter = pooled(tmp_path, workers=1, die_on="r00", die_marker=str(tmp_path / "died"))
    try:
        with pytest.raises(WorkerPoolError, match="every worker process exited"):
            adapter.generate(REQUESTS)
    finally:
        adapter.close()


def test_a_model_that_does_not_load_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no weights here"):
        pooled(tmp_path, fail_load="1")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_end_quickly_after_their_last_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """A worker with torch loaded closes its model and ends without the interpreter's teardown (which
    took a second per run); its last answers still reach the driver. A spawned worker runs its exit
    functions; a forked one, as every forked multiprocessing child, runs none (they were the driver's)."""
    monkeypatch.setattr(local_pool, "start_method", lambda: method)
    exits = tmp_path / "exits"
    exits.mkdir()
    adapter = pooled(tmp_path, exits=str(exits))
    pool = adapter.pool
    assert isinstance(pool, LocalProcessPool) and pool.start_method == method
    try:
        responses = adapter.generate(REQUESTS)
    finally:
        adapter.close()
    assert [r.text for r in responses] == [r.messages[0].text[::-1] for r in REQUESTS]
    pids = [worker.process.pid for worker in pool._workers]
    assert [worker.process.exitcode for worker in pool._workers] == [0, 0]
    marks = ("atexit", "closed") if method == "spawn" else ("closed",)
    assert sorted(path.name for path in exits.iterdir()) == sorted(
        f"{mark}-{pid}" for pid in pids for mark in marks
    )


def test_workers_are_forked_only_from_a_driver_without_threads_or_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Other tests may have left threads in this process: the count is the driver's, set here.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert local_pool.start_method() == ("fork" if sys.platform == "linux" else "spawn")
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert local_pool.start_method() == "spawn"
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert local_pool.start_method() == "spawn"


# A driver that starts one worker, prints its pid once the model is loaded, then waits to be killed.
KILLED_DRIVER = """
import sys, time
from tests.pool_adapters import LoggingAdapter
from tv_eval.core.adapter import AdapterSettings
from tv_eval.pipeline.parallel.local_pool import LocalProcessPool
from tv_eval.pipeline.parallel.worker import WorkerSpec

settings = AdapterSettings(model_id="m", device="cpu", batch_size=2, options={"log": sys.argv[1]})
pool = LocalProcessPool([WorkerSpec(LoggingAdapter, settings, {})])
print(pool._workers[0].process.pid, flush=True)
time.sleep(300)
"""


@pytest.mark.skipif(not HAS_PROC, reason="reads process states from /proc")
def test_a_killed_driver_leaves_no_worker_behind(tmp_path: Path) -> None:
    """A worker idle on its inbox once kept running (and holding its model) forever after its driver
    was killed with SIGKILL; it now ends within seconds."""
    driver = subprocess.Popen(
        [sys.executable, "-c", KILLED_DRIVER, str(tmp_path / "log")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert driver.stdout is not None
        worker_pid = int(driver.stdout.readline())
        assert running(worker_pid)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    assert ends_within(worker_pid, 20), "the worker outlived its killed driver"
