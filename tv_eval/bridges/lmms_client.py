"""tv-eval's side of the lmms-eval worker: one process per run, shared by the bridged tasks and model.

The worker (tv_eval/bridges/lmms_worker.py) starts in the managed environment the first time a task
or the adapter needs it and stays up until the run ends, so lmms-eval is imported, its tasks loaded
and its model built once. Requests and replies are JSON lines; a failed command is one line naming
lmms-eval's error, and the worker's log (lmms-eval's own output) is kept under the cache's `logs/`.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from tv_eval.bridges.lmms_env import WORKER, ensure_lmms_env, notify_stderr
from tv_eval.core.cache_root import cache_root
from tv_eval.core.managed_env import ManagedEnv, ManagedEnvError


class LmmsBridgeError(RuntimeError):
    """The lmms-eval environment is missing or broken, or the worker failed a command."""


class LmmsWorker:
    """A running worker; `call` sends one command and returns its result."""

    def __init__(self, environment: ManagedEnv) -> None:
        self.environment = environment
        self.scratch = Path(tempfile.mkdtemp(prefix="tv-eval-lmms-"))
        self.log_path = cache_root() / "logs" / f"lmms-worker-{os.getpid()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(environment.python), "-I", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"},
        )

    def call(self, command: str, **payload: Any) -> Any:
        process = self._process
        if process.stdin is None or process.stdout is None:
            raise LmmsBridgeError("the lmms-eval worker has no pipes")
        with self._lock:
            try:
                process.stdin.write(json.dumps({"command": command, **payload}, ensure_ascii=False) + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except OSError as error:
                line = ""
                reason = str(error)
            else:
                reason = "it exited"
        if not line:
            raise LmmsBridgeError(f"the lmms-eval worker stopped during {command} ({reason}); {self._tail()}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise LmmsBridgeError(f"lmms-eval {command} failed: {reply['error']}")
        return reply["result"]

    def _tail(self) -> str:
        self._log.flush()
        lines = [
            line for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line
        ]
        return f"last log line: {lines[-1]}" if lines else f"log {self.log_path} is empty"

    def close(self) -> None:
        if self._process.poll() is None and self._process.stdin is not None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


_WORKERS: list[LmmsWorker] = []


def shared_worker() -> LmmsWorker:
    """The run's worker, started (and its environment built) on first use."""
    if _WORKERS:
        return _WORKERS[0]
    try:
        environment = ensure_lmms_env(notify=notify_stderr)
    except ManagedEnvError as error:
        raise LmmsBridgeError(
            f"the lmms-eval environment cannot be built: {error} (see `tv-eval lmms-env`)"
        ) from error
    worker = LmmsWorker(environment)
    _WORKERS.append(worker)
    atexit.register(worker.close)
    return worker
