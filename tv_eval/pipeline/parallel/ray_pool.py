"""Workers as Ray actors on a cluster (`--ray-address auto|HOST:PORT`), one adapter each.

Ray does the placing and the recovering: a placement group reserves one bundle per worker (its GPUs and
a CPU), spread over the nodes; `ActorPool` hands each idle actor the next unit, most expensive first; and
an actor whose process or node dies is restarted by Ray, which runs the unit it was answering again
(`max_restarts`, `max_task_retries`). The driver sees each unit's answers exactly once and keeps the one
cache. A model that needs several GPUs inside one worker (vLLM tensor parallel) gets them in its bundle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tv_eval.core.adapter import AdapterSettings, ModelAdapter, ModelLoadError
from tv_eval.core.types import ModelIdentity
from tv_eval.pipeline.parallel.placement import PlacementError, gpus_per_worker
from tv_eval.pipeline.parallel.units import WorkUnit
from tv_eval.pipeline.parallel.worker import UnitResult, UnitWorker, WorkerPoolError, WorkerSpec

if TYPE_CHECKING:
    from ray.util.placement_group import PlacementGroup

# How often Ray restarts a dead worker, and runs a unit again, before the run gives up on it.
MAX_RESTARTS = 3
PLACEMENT_TIMEOUT_S = 120.0


def _connect(address: str) -> None:
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(address=address, log_to_driver=False, logging_level="WARNING", configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise PlacementError(
            f"cannot connect to the Ray cluster at {address}: {_first_line(error)}"
        ) from error


def ray_worker_count(requested: int | str, settings: AdapterSettings, address: str) -> int:
    """`auto`: one worker (group) per GPU (group) in the cluster; a single worker on a CPU-only one."""
    if requested != "auto":
        return int(requested)
    import ray

    _connect(address)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if settings.device == "cpu" or not gpus:
        return 1
    return max(1, gpus // gpus_per_worker(settings.options))


class RayPool:
    """N actors in one placement group; `run` streams each unit's answers back as it finishes."""

    def __init__(
        self, adapter_class: type[ModelAdapter], settings: AdapterSettings, workers: int, address: str
    ):
        import ray
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        _connect(address)
        cluster_gpus = int(ray.cluster_resources().get("GPU", 0))
        on_cpu = settings.device == "cpu" or (settings.device == "auto" and not cluster_gpus)
        gpus = 0 if on_cpu else gpus_per_worker(settings.options)
        if gpus * workers > cluster_gpus:
            raise PlacementError(
                f"{workers} workers x {gpus} GPUs each need {gpus * workers} GPUs; the Ray cluster has "
                f"{cluster_gpus} (use --device cpu for CPU workers)"
            )
        self._group = self._reserve(workers, gpus)
        spec = WorkerSpec(adapter_class, settings if gpus else _on_cpu(settings), environment={})
        actor = ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)(UnitWorker)
        self._actors = [
            actor.options(
                num_cpus=1,
                num_gpus=gpus,
                scheduling_strategy=PlacementGroupSchedulingStrategy(
                    self._group, placement_group_bundle_index=i
                ),
            ).remote(spec)
            for i in range(workers)
        ]
        self.identity = self._identities()

    @property
    def size(self) -> int:
        return len(self._actors)

    def _reserve(self, workers: int, gpus: int) -> PlacementGroup:
        import ray
        from ray.util.placement_group import placement_group, remove_placement_group

        bundle: dict[str, float] = {"CPU": 1, **({"GPU": gpus} if gpus else {})}
        group = placement_group([bundle] * workers, strategy="SPREAD")
        ready, _ = ray.wait([group.ready()], timeout=PLACEMENT_TIMEOUT_S)
        if not ready:
            remove_placement_group(group)
            raise PlacementError(
                f"the Ray cluster could not place {workers} workers of {bundle} within "
                f"{PLACEMENT_TIMEOUT_S:.0f} s; resources now: {ray.available_resources()}"
            )
        return group

    def _identities(self) -> ModelIdentity:
        import ray
        from ray.exceptions import RayError

        try:
            return ray.get([actor.identity.remote() for actor in self._actors])[0]
        except RayError as error:
            self.close()
            cause = error.cause if isinstance(getattr(error, "cause", None), ModelLoadError) else error
            raise ModelLoadError(f"a Ray worker could not load the model: {_first_line(cause)}") from error

    def run(self, units: Sequence[WorkUnit], on_done: Callable[[WorkUnit, UnitResult], None]) -> None:
        from ray.exceptions import RayError
        from ray.util import ActorPool

        by_id = {unit.unit_id: unit for unit in units}
        pool = ActorPool(self._actors)
        try:
            for unit_id, result in pool.map_unordered(lambda actor, unit: actor.run.remote(unit), units):
                on_done(by_id[unit_id], result)
        except RayError as error:
            raise WorkerPoolError(f"a unit failed on the Ray cluster: {_first_line(error)}") from error

    def close(self) -> None:
        import ray
        from ray.util.placement_group import remove_placement_group

        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        remove_placement_group(self._group)


def _on_cpu(settings: AdapterSettings) -> AdapterSettings:
    """A CPU worker holds one CPU of its bundle: one torch thread unless the model options say more."""
    return replace(settings, device="cpu", options={"threads": 1, **settings.options})


def _first_line(error: Any) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
