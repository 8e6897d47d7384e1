"""The model a run talks to: one adapter in this process, or a pool of workers behind one adapter."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tv_eval.core.adapter import AdapterSettings, ModelAdapter
from tv_eval.pipeline.parallel.local_pool import LocalProcessPool
from tv_eval.pipeline.parallel.placement import local_placements, resolve_worker_count
from tv_eval.pipeline.parallel.pooled_adapter import PooledAdapter, WorkerPool
from tv_eval.pipeline.parallel.worker import WorkerSpec


@dataclass(frozen=True)
class Execution:
    """How a run's model calls are spread: `data_parallel` worker processes (a count or 'auto'; None
    keeps the model in this process), on this machine or, with `ray_address`, as actors on a Ray cluster."""

    data_parallel: int | str | None = None
    ray_address: str | None = None

    @property
    def parallel(self) -> bool:
        return self.ray_address is not None or self.data_parallel is not None


def check_execution(settings: AdapterSettings, execution: Execution) -> None:
    """Worker count and device pinning checked before any data or weights load (PlacementError)."""
    if execution.parallel and execution.ray_address is None:
        local_placements(resolve_worker_count(execution.data_parallel or 1, settings), settings)


class BackendLoader:
    """Loads the model a run talks to when the pipeline first needs it, and remembers how long that took
    (one process importing its backend and loading the weights, or every worker doing so).

    Local worker processes may be started earlier (`start`), while the run reads its data: importing
    torch and loading the weights in the workers then overlaps the driver's own start."""

    def __init__(self, adapter_class: type[ModelAdapter], settings: AdapterSettings, execution: Execution):
        self.adapter_class = adapter_class
        self.settings = settings
        self.execution = execution
        self.ready_s: float | None = None
        self._started: LocalProcessPool | None = None
        self._started_at: float | None = None
        self._handed_out = False

    @property
    def can_start_early(self) -> bool:
        """Whether the model runs in local worker processes, which `start` can launch."""
        return self.execution.parallel and self.execution.ray_address is None

    def start(self) -> None:
        """Local workers begin loading now; nothing for a model in this process or on Ray."""
        if self.can_start_early and self._started is None:
            self._started_at = time.perf_counter()
            self._started = LocalProcessPool(self._local_specs(), wait=False)

    def close_unused(self) -> None:
        """Stops workers started early that the run never asked (its data failed, or the cache answered)."""
        if self._started is not None and not self._handed_out:
            self._started.close()

    def __call__(self) -> ModelAdapter:
        started = self._started_at or time.perf_counter()
        adapter = self._load()
        self._handed_out = True
        self.ready_s = round(time.perf_counter() - started, 3)
        return adapter

    def _local_specs(self) -> list[WorkerSpec]:
        workers = resolve_worker_count(self.execution.data_parallel or 1, self.settings)
        return [
            WorkerSpec(self.adapter_class, at.settings, at.environment)
            for at in local_placements(workers, self.settings)
        ]

    def _load(self) -> ModelAdapter:
        """The adapter itself for a one-process run; else a pooled adapter over local processes or Ray
        actors, each worker with its own copy of the model (a load error is raised here)."""
        execution, settings, adapter_class = self.execution, self.settings, self.adapter_class
        if not execution.parallel:
            return adapter_class(settings)
        pool: WorkerPool
        if execution.ray_address is not None:
            from tv_eval.pipeline.parallel.ray_pool import RayPool, ray_worker_count

            workers = ray_worker_count(execution.data_parallel or "auto", settings, execution.ray_address)
            pool = RayPool(adapter_class, settings, workers, execution.ray_address)
        elif self._started is not None:
            self._started.wait_ready()
            pool = self._started
        else:
            pool = LocalProcessPool(self._local_specs())
        return PooledAdapter(settings, pool, adapter_class.streaming)

    def record(self, adapter: ModelAdapter) -> dict[str, Any]:
        """What run.json records of how the run was spread (the answers do not depend on it, the
        timings do): the workers that answered, where, and how long loading the model(s) took."""
        workers, placement = 1, "process"
        if isinstance(adapter, PooledAdapter):
            workers, placement = adapter.pool.size, "ray" if self.execution.ray_address else "processes"
        return {"workers": workers, "placement": placement, "model_ready_s": self.ready_s}
