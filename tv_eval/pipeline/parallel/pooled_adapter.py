"""A pool of workers behind the ordinary adapter contract, so the rest of the pipeline is unchanged.

The pooled adapter is a streaming adapter: the pipeline hands it every request of a task that the cache
could not answer, it cuts them into cost-ordered units (units.py), the pool's workers answer them, and
each unit's responses reach the pipeline's callback as soon as they arrive; the driver then caches and
writes them exactly as in a single-process run. Which worker answered a request changes nothing in the
answer, so the results are those of a single process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Protocol

from tv_eval.core.adapter import AdapterSettings, BatchCallback, ModelAdapter
from tv_eval.core.types import ModelIdentity, Request, Response
from tv_eval.pipeline.parallel.units import UnitKind, WorkUnit, plan_units, unit_size_for
from tv_eval.pipeline.parallel.worker import UnitResult


class WorkerPool(Protocol):
    identity: ModelIdentity

    @property
    def size(self) -> int: ...

    def run(self, units: Sequence[WorkUnit], on_done: Callable[[WorkUnit, UnitResult], None]) -> None: ...

    def close(self) -> None: ...


class PooledAdapter(ModelAdapter):
    name = "pooled"
    version = "1"
    streaming: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, pool: WorkerPool, inner_streaming: bool) -> None:
        """`inner_streaming`: whether the workers' adapter batches by itself (unit sizes follow)."""
        super().__init__(settings)
        self.pool = pool
        self._inner_streaming = inner_streaming

    @property
    def identity(self) -> ModelIdentity:
        return self.pool.identity

    def _units(self, requests: Sequence[Request], kind: UnitKind) -> list[WorkUnit]:
        size = unit_size_for(len(requests), self.pool.size, self.settings.batch_size, self._inner_streaming)
        return plan_units(requests, size, kind)

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        responses: dict[int, Response] = {}

        def done(unit: WorkUnit, result: UnitResult) -> None:
            answers = [answer for answer in result if isinstance(answer, Response)]
            responses.update(zip(unit.positions, answers, strict=True))
            if on_batch is not None:
                on_batch(unit.positions, answers)

        self.pool.run(self._units(requests, UnitKind.GENERATE), done)
        return [responses[position] for position in range(len(requests))]

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        values: dict[int, float] = {}

        def done(unit: WorkUnit, result: UnitResult) -> None:
            values.update(zip(unit.positions, [float(value) for value in result], strict=True))

        self.pool.run(self._units(requests, UnitKind.LOGLIKELIHOOD), done)
        return [values[position] for position in range(len(requests))]

    def close(self) -> None:
        self.pool.close()
