"""Worker processes started before the run reads its data: they load while the driver works, the run
gets them once it asks, and workers the run never asks for are stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from tests.pool_adapters import LoggingAdapter
from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.types import Message, Request, TextPart
from tv_eval.pipeline.parallel.backend import BackendLoader, Execution
from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter

REQUESTS = [Request(f"r{i}", (Message("user", (TextPart(f"question {i}"),)),)) for i in range(4)]


def _loader(tmp_path: Path, workers: int | None, **options: object) -> BackendLoader:
    settings = AdapterSettings(
        model_id="m",
        device="cpu",
        batch_size=2,
        options={"loaded": str(tmp_path / "loaded"), "log": str(tmp_path / "log"), **options},
    )
    return BackendLoader(LoggingAdapter, settings, Execution(data_parallel=workers))


def _worker_processes() -> list[psutil.Process]:
    return [child for child in psutil.Process(os.getpid()).children() if child.is_running()]


def test_a_started_worker_loads_while_the_caller_works_and_is_handed_over(tmp_path: Path) -> None:
    loader = _loader(tmp_path, 1, load_delay="1")
    assert loader.can_start_early
    loader.start()
    deadline = time.monotonic() + 60  # the driver reading its data: the worker loads meanwhile
    while not (tmp_path / "loaded").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "loaded").exists(), "the worker did not load before it was asked"
    asked = time.perf_counter()
    adapter = loader()
    try:
        assert isinstance(adapter, PooledAdapter)
        assert time.perf_counter() - asked < 1.0, "the worker was loaded again when asked"
        pid = int((tmp_path / "loaded").read_text().split()[0])
        assert pid != os.getpid()
        assert [response.text for response in adapter.generate(REQUESTS)] == [
            request.messages[0].text[::-1] for request in REQUESTS
        ]
        assert loader.record(adapter) == {
            "workers": 1,
            "placement": "processes",
            "model_ready_s": loader.ready_s,
        }
        assert loader.ready_s is not None and loader.ready_s >= 1.0  # counted from the start, not the ask
        loader.close_unused()
        assert psutil.pid_exists(pid), "a worker the run holds was stopped"
    finally:
        adapter.close()


def test_workers_the_run_never_asks_for_are_stopped(tmp_path: Path) -> None:
    loader = _loader(tmp_path, 2)
    before = {child.pid for child in _worker_processes()}
    loader.start()
    workers = [child for child in _worker_processes() if child.pid not in before]
    assert len(workers) >= 2
    loader.close_unused()
    left = [worker for worker in workers if worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE]
    assert not left


def test_a_load_error_of_a_started_worker_is_raised_when_asked(tmp_path: Path) -> None:
    loader = _loader(tmp_path, 1, fail_load="1")
    loader.start()
    with pytest.raises(ModelLoadError, match="no weights here"):
        loader()
    loader.close_unused()


def test_a_model_in_this_process_is_not_started_early(tmp_path: Path) -> None:
    loader = _loader(tmp_path, None)
    assert not loader.can_start_early
    loader.start()
    assert not (tmp_path / "loaded").exists()
    adapter = loader()
    assert isinstance(adapter, LoggingAdapter)
    assert loader.record(adapter)["placement"] == "process"
