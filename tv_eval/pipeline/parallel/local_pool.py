"""Workers as processes on this machine (`--data-parallel N`), one adapter each.

Each worker imports its backend afresh, with its own devices pinned. Where it is safe (on Linux, from
a driver that runs no other thread and has not imported torch, so no lock is held mid-fork and no CUDA
context is copied) the workers are forked: each then starts at once from the driver's imports instead
of a new interpreter importing tv-eval again (about 0.35 s a worker on a 2-core machine, and no
resource-tracker process); elsewhere they are spawned. Each worker has its own inbox and the driver
hands it the next unit when it reports the last one done: the most expensive units go first and nobody
waits on a fixed share. A worker that dies (a segfault, the OOM killer) has its unit handed to another;
when none is left the run stops, with every answer so far already in the cache. A driver that dies
(killed, crashed) takes its workers with it: nobody would read their answers, and each would hold its
model (and its GPU memory) until killed by hand.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from tv_eval.bridges.worker_loop import end_with_driver
from tv_eval.core.adapter import ModelLoadError
from tv_eval.core.quick_exit import leave
from tv_eval.core.types import ModelIdentity
from tv_eval.pipeline.parallel.units import WorkUnit
from tv_eval.pipeline.parallel.worker import UnitResult, UnitWorker, WorkerPoolError, WorkerSpec

POLL_S = 0.2
START_TIMEOUT_S = 1800.0
CLOSE_TIMEOUT_S = 5.0


def start_method() -> str:
    """`fork` where forking the driver is safe (see the module's docstring), else `spawn`."""
    if sys.platform == "linux" and "torch" not in sys.modules and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _worker_main(index: int, spec: WorkerSpec, inbox: Queue[Any], outbox: Queue[Any], forked: bool) -> None:
    # Ctrl-C reaches the whole process group: the driver alone handles it, and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    driver = multiprocessing.parent_process()
    end_with_driver(driver.pid if driver is not None else None)
    _serve(index, spec, inbox, outbox)
    # The driver waits for this process to end. A forked worker returns to multiprocessing, which
    # flushes its queues and ends it with `os._exit`, without the exit functions copied from the
    # driver; a spawned one runs its own exit functions and skips the interpreter's teardown of torch
    # (a second on a CPU machine).
    if not forked:
        leave(0)


def _serve(index: int, spec: WorkerSpec, inbox: Queue[Any], outbox: Queue[Any]) -> None:
    """Loads the model, then answers units until the driver sends None."""
    try:
        worker = UnitWorker(spec)
    except ModelLoadError as error:
        outbox.put(("load_failed", index, str(error)))
        return
    outbox.put(("ready", index, worker.identity()))
    try:
        while (unit := inbox.get()) is not None:
            try:
                unit_id, result = worker.run(unit)
            except Exception as error:
                outbox.put(("failed", index, f"{type(error).__name__}: {error}"))
                return
            outbox.put(("done", index, (unit_id, result)))
    finally:
        worker.close()


@dataclass
class _Process:
    process: BaseProcess
    inbox: Queue[Any]


class LocalProcessPool:
    """N worker processes; `run` streams each unit's answers back as it finishes."""

    def __init__(self, specs: Sequence[WorkerSpec], *, wait: bool = True) -> None:
        """Starts the workers; with `wait`, returns once every model is loaded (else call `wait_ready`)."""
        self.start_method = start_method()
        context = multiprocessing.get_context(self.start_method)
        self._outbox: Queue[Any] = context.Queue()
        self._workers: list[_Process] = []
        self.deaths = 0
        try:
            for index, spec in enumerate(specs):
                inbox: Queue[Any] = context.Queue()
                # Daemonic: a driver that dies or exits never waits on, nor leaves behind, a worker.
                process = context.Process(
                    target=_worker_main,
                    args=(index, spec, inbox, self._outbox, self.start_method == "fork"),
                    name=f"tv-eval-worker-{index}",
                    daemon=True,
                )
                process.start()
                self._workers.append(_Process(process, inbox))
        except BaseException:  # Ctrl-C while the workers start included: no worker is left running
            self.close()
            raise
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Blocks until every worker's model is loaded; a load error (or Ctrl-C) stops the workers."""
        try:
            self.identity = self._wait_until_ready()
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        return len(self._workers)

    def _wait_until_ready(self) -> ModelIdentity:
        """Every worker's model loaded (the first's identity), or the first load error raised (the
        caller stops the workers)."""
        identities: dict[int, ModelIdentity] = {}
        waited = 0.0
        while len(identities) < len(self._workers):
            try:
                kind, index, payload = self._outbox.get(timeout=POLL_S)
            except queue.Empty:
                waited += POLL_S
                dead = [i for i, w in enumerate(self._workers) if not w.process.is_alive()]
                if dead or waited > START_TIMEOUT_S:
                    reason = f"worker {dead[0]} exited" if dead else f"not ready after {waited:.0f} s"
                    raise ModelLoadError(f"{reason} while loading the model") from None
                continue
            if kind == "load_failed":
                raise ModelLoadError(payload)
            identities[index] = payload
        return identities[0]

    def run(self, units: Sequence[WorkUnit], on_done: Callable[[WorkUnit, UnitResult], None]) -> None:
        pending = deque(units)
        by_id = {unit.unit_id: unit for unit in units}
        busy: dict[int, WorkUnit] = {}
        delivered: set[int] = set()
        idle = deque(index for index, worker in enumerate(self._workers) if worker.process.is_alive())
        while pending or busy:
            while pending and idle:
                index = idle.popleft()
                busy[index] = pending.popleft()
                self._workers[index].inbox.put(busy[index])
            try:
                kind, index, payload = self._outbox.get(timeout=POLL_S)
            except queue.Empty:
                self._requeue_dead(busy, idle, pending)
                continue
            if kind == "failed":
                raise WorkerPoolError(f"worker {index} failed: {payload}")
            unit_id, result = payload
            if busy.pop(index, None) is not None:  # else: the answer of a worker since found dead
                idle.append(index)
            if unit_id not in delivered:  # a unit re-queued after its worker's answer was already sent
                delivered.add(unit_id)
                on_done(by_id[unit_id], result)

    def _requeue_dead(self, busy: dict[int, WorkUnit], idle: deque[int], pending: deque[WorkUnit]) -> None:
        """Units of workers that died go back to the front of the queue; no worker left is an error."""
        for index, worker in enumerate(self._workers):
            if worker.process.is_alive() or worker.process.exitcode is None:
                continue
            if index in busy:
                pending.appendleft(busy.pop(index))
                self.deaths += 1
            if index in idle:
                idle.remove(index)
        if not any(worker.process.is_alive() for worker in self._workers):
            raise WorkerPoolError("every worker process exited; what finished is cached, rerun to go on")

    def close(self) -> None:
        """Idle workers exit at once; one still answering a unit (after Ctrl-C or an error) is stopped,
        since nobody waits for its answer any more."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.inbox.put(None)
        for worker in self._workers:
            worker.process.join(timeout=CLOSE_TIMEOUT_S)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=CLOSE_TIMEOUT_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
