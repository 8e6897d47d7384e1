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
    """How a run's model calls are spread: `data_parallel` workers (a count or 'auto'; None or 1 is one
    process), on this machine or, with `ray_address`, as actors on a Ray cluster."""

    data_parallel: int | str | None = None
    ray_address: str | None = None

    @property
    def parallel(self) -> bool:
        return self.ray_address is not None or self.data_parallel not in (None, 1)


def check_execution(settings: AdapterSettings, execution: Execution) -> None:
    """Worker count and device pinning checked before any data or weights load (PlacementError)."""
    if execution.parallel and execution.ray_address is None:
        local_placements(resolve_worker_count(execution.data_parallel or 1, settings), settings)


class BackendLoader:
    """Loads the model a run talks to when the pipeline first needs it, and remembers how long that took
    (one process importing its backend and loading the weights, or every worker doing so)."""

    def __init__(self, adapter_class: type[ModelAdapter], settings: AdapterSettings, execution: Execution):
        self.adapter_class = adapter_class
        self.settings = settings
        self.execution = execution
        self.ready_s: float | None = None

    def __call__(self) -> ModelAdapter:
        started = time.perf_counter()
        adapter = self._load()
        self.ready_s = round(time.perf_counter() - started, 3)
        return adapter

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
        else:
            workers = resolve_worker_count(execution.data_parallel or 1, settings)
            if workers == 1:
                return adapter_class(settings)
            specs = [
                WorkerSpec(adapter_class, at.settings, at.environment)
                for at in local_placements(workers, settings)
            ]
            pool = LocalProcessPool(specs)
        return PooledAdapter(settings, pool, adapter_class.streaming)

    def record(self, adapter: ModelAdapter) -> dict[str, Any]:
        """What run.json records of how the run was spread (the answers do not depend on it, the
        timings do): the workers that answered, where, and how long loading the model(s) took."""
        workers, placement = 1, "process"
        if isinstance(adapter, PooledAdapter):
            workers, placement = adapter.pool.size, "ray" if self.execution.ray_address else "processes"
        return {"workers": workers, "placement": placement, "model_ready_s": self.ready_s}
