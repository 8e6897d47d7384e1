"""The Ray pool's fault checks, run as a process of their own (`python -m tests.ray_pool_checks`).

A Ray driver whose cluster stops answering its heartbeats ends its own process; inside pytest that
took the whole session with it, once, with no summary. Here only this process is the driver: it runs
a pool of two LoggingAdapter actors on the cluster at ADDRESS, makes one fault happen, and prints what
the test needs as one JSON line after OUTCOME_MARK (Ray prints its own lines too; the log file holds
the rest).

    python -m tests.ray_pool_checks kill-worker ADDRESS LOG
    python -m tests.ray_pool_checks lose-node ADDRESS LOG NODE_PID
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil

from tests.pool_adapters import LoggingAdapter, log_events
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import Message, Request, TextPart
from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter
from tv_eval.pipeline.parallel.ray_pool import RayPool

OUTCOME_MARK = "outcome: "
REQUESTS = [Request(f"r{i:02d}", (Message("user", (TextPart(f"question {i}"),)),)) for i in range(16)]


def logging_pool(log: Path, address: str) -> PooledAdapter:
    options = {"log": str(log), "delay": 0.4}
    settings = AdapterSettings(model_id="m", device="cpu", batch_size=2, options=options)
    return PooledAdapter(settings, RayPool(LoggingAdapter, settings, 2, address), inner_streaming=False)


def kill_worker(address: str, log: Path) -> dict[str, object]:
    """SIGKILL the first worker that starts a unit; every request must still be answered."""
    adapter = logging_pool(log, address)
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
    return {"texts": [r.text for r in responses], "killed": killed[0] if killed else None}


def lose_node(address: str, log: Path, node_pid: int) -> dict[str, object]:
    """Kill the second node whole (its raylet, object store and workers) 1.5 s into the run."""

    def kill_node() -> None:
        node = psutil.Process(node_pid)
        for process in [*node.children(recursive=True), node]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()

    adapter = logging_pool(log, address)
    try:
        threading.Timer(1.5, kill_node).start()
        responses = adapter.generate(REQUESTS)
        requeued = adapter.pool.requeued  # type: ignore[attr-defined]
    finally:
        adapter.close()
    return {"texts": [r.text for r in responses], "requeued": requeued}


def main(arguments: list[str]) -> int:
    mode, address, log = arguments[0], arguments[1], Path(arguments[2])
    if mode == "kill-worker":
        outcome = kill_worker(address, log)
    else:
        outcome = lose_node(address, log, int(arguments[3]))
    print(OUTCOME_MARK + json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
