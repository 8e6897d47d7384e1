"""Workers as Ray actors on a cluster (`--ray-address auto|HOST:PORT`), one adapter each.

Ray does the placing and the recovering: a placement group reserves one bundle per worker (its GPUs and
a CPU), spread over the nodes, and an actor whose process dies is restarted by Ray, which runs the unit
it was answering again (`max_restarts`, `max_task_retries`). A unit whose actor Ray reports unavailable
(its node lost: Ray does not retry those by itself) goes back to the queue for the next free actor, while
the placement group moves the lost bundle to a live node. The driver hands each free actor the next
unit, most expensive first, sees each unit's answers exactly once and keeps the one cache. A model that
needs several GPUs inside one worker (vLLM tensor parallel) gets them in its bundle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tv_eval.core.adapter import AdapterSettings, ModelAdapter, ModelLoadError
from tv_eval.core.io import first_line
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
            f"cannot connect to the Ray cluster at {address}: {first_line(error)}"
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
        self.requeued = 0

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
            raise ModelLoadError(f"a Ray worker could not load the model: {first_line(cause)}") from error

    def run(self, units: Sequence[WorkUnit], on_done: Callable[[WorkUnit, UnitResult], None]) -> None:
        """Each free actor gets the next unit. A unit whose actor died or became unreachable (its node
        lost) goes back to the front of the queue, for whichever actor is free next: Ray restarts the dead
        one; an actor Ray gave up on is dropped. A unit is answered, and passed on, once."""
        import ray
        from ray.exceptions import ActorDiedError, RayActorError, RayError

        pending = deque(units)
        idle = deque(self._actors)
        in_flight: dict[Any, tuple[Any, WorkUnit]] = {}
        attempts: dict[int, int] = {}
        while pending or in_flight:
            while pending and idle:
                actor, unit = idle.popleft(), pending.popleft()
                in_flight[actor.run.remote(unit)] = (actor, unit)
            if not in_flight:
                raise WorkerPoolError("every Ray worker died; what finished is cached, rerun to go on")
            (ready,), _ = ray.wait(list(in_flight), num_returns=1)
            actor, unit = in_flight.pop(ready)
            try:
                _, result = ray.get(ready)
            except RayActorError as error:
                attempts[unit.unit_id] = attempts.get(unit.unit_id, 0) + 1
                if attempts[unit.unit_id] > MAX_RESTARTS:
                    raise WorkerPoolError(
                        f"a unit failed {MAX_RESTARTS + 1} times: {first_line(error)}"
                    ) from error
                pending.appendleft(unit)
                if not isinstance(error, ActorDiedError):
                    idle.append(actor)
                self.requeued += 1
                continue
            except RayError as error:
                raise WorkerPoolError(f"a unit failed on the Ray cluster: {first_line(error)}") from error
            idle.append(actor)
            on_done(unit, result)

    def close(self) -> None:
        import ray
        from ray.util.placement_group import remove_placement_group

        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        remove_placement_group(self._group)


def _on_cpu(settings: AdapterSettings) -> AdapterSettings:
    """A CPU worker holds one CPU of its bundle: one torch thread unless the model options say more."""
    return replace(settings, device="cpu", options={"threads": 1, **settings.options})
