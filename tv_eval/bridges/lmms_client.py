"""tv-eval's side of the lmms-eval worker: one process per run, shared by the bridged tasks and model.

The worker (tv_eval/bridges/lmms_worker.py) starts in the managed environment the first time a task
or the adapter needs it and stays up until the run ends, so lmms-eval is imported, its tasks loaded
and its model built once. Requests and replies are JSON lines; a failed command is one line naming
lmms-eval's error, and the worker's log (lmms-eval's own output) is kept under the cache's `logs/`.
"""

from __future__ import annotations

import atexit

from tv_eval.bridges.jsonl_worker import JsonLinesWorker
from tv_eval.bridges.lmms_env import WORKER, ensure_lmms_env, notify_stderr
from tv_eval.core.managed_env import ManagedEnv, ManagedEnvError


class LmmsBridgeError(RuntimeError):
    """The lmms-eval environment is missing or broken, or the worker failed a command."""


class LmmsWorker(JsonLinesWorker):
    """A running lmms-eval worker; `call` sends one command and returns its result."""

    def __init__(self, environment: ManagedEnv) -> None:
        super().__init__(environment.python, WORKER, "lmms-eval", LmmsBridgeError)
        self.environment = environment


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
