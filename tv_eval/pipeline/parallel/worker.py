"""What every worker does, in a process of its own or as a Ray actor: load the adapter once, then
answer units. Kept free of any transport so the local pool and the Ray pool run the same code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tv_eval.core.adapter import AdapterSettings, ModelAdapter, ModelLoadError
from tv_eval.core.collector import resume_collection
from tv_eval.core.types import ModelIdentity, Response
from tv_eval.pipeline.parallel.units import UnitKind, WorkUnit

UnitResult = list[Response] | list[float]


class WorkerPoolError(RuntimeError):
    """Every worker died, or a unit failed past its retries: what finished is cached, the run resumable."""


@dataclass(frozen=True)
class WorkerSpec:
    """How to build one worker's adapter: the class, its settings (device already pinned) and the
    environment variables that pin it to its devices (set before the adapter imports torch)."""

    adapter_class: type[ModelAdapter]
    settings: AdapterSettings
    environment: Mapping[str, str]


class UnitWorker:
    """One worker's adapter and the units it answers."""

    def __init__(self, spec: WorkerSpec) -> None:
        os.environ.update(spec.environment)
        try:
            self.adapter = spec.adapter_class(spec.settings)
        except Exception as error:
            if isinstance(error, ModelLoadError):
                raise
            reason = f"{type(error).__name__}: {error}"
            raise ModelLoadError(f"the worker could not load the model: {reason}") from error
        resume_collection()  # a forked worker starts paused, as its driver was (core/collector.py)

    def identity(self) -> ModelIdentity:
        return self.adapter.identity

    def run(self, unit: WorkUnit) -> tuple[int, UnitResult]:
        """The unit's id with its answers, in the unit's order."""
        if unit.kind is UnitKind.GENERATE:
            return unit.unit_id, self.adapter.generate(list(unit.requests))
        return unit.unit_id, self.adapter.loglikelihood(list(unit.requests))

    def close(self) -> None:
        self.adapter.close()
