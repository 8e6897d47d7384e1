"""A bridge worker (tv_eval/bridges/worker_loop.py) whose driver is killed mid-command ends within
seconds, instead of finishing a command nobody will read while holding its model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.process_states import HAS_PROC, ends_within, running

BRIDGES = REPO_ROOT / "tv_eval" / "bridges"

# A worker whose one command takes five minutes, as a long generation does; started as the bridges start
# theirs (`python -I`), with worker_loop.py found in its folder.
WORKER = f"""
import sys, time
sys.path.insert(0, {str(BRIDGES)!r})
from worker_loop import serve
serve(lambda message, send: time.sleep(300))
"""

# The driver: tv-eval's side of a bridge starts the worker and sends it the long command; the worker's
# pid is printed at once (the driver is killed while the worker may still be starting), then it waits.
DRIVER = """
import sys, threading, time
from pathlib import Path
from tv_eval.bridges.jsonl_worker import JsonLinesWorker

worker = JsonLinesWorker(Path(sys.executable), Path(sys.argv[1]), "sleepy", RuntimeError)
print(worker._process.pid, flush=True)
threading.Thread(target=worker.call, args=("generate",), daemon=True).start()
time.sleep(300)
"""


@pytest.mark.skipif(not HAS_PROC, reason="reads process states from /proc")
@pytest.mark.parametrize("started_s", [0.0, 2.0], ids=["killed-while-worker-starts", "killed-mid-command"])
def test_a_worker_ends_when_its_driver_is_killed(tmp_path: Path, started_s: float) -> None:
    script = tmp_path / "sleepy_worker.py"
    script.write_text(WORKER, encoding="utf-8")
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TV_EVAL_CACHE_DIR": str(tmp_path / "cache")},
    )
    try:
        assert driver.stdout is not None
        worker_pid = int(driver.stdout.readline())
        time.sleep(started_s)
        assert running(worker_pid)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    assert ends_within(worker_pid, 15), "the worker outlived its killed driver"
