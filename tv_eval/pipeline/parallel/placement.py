"""Which devices each worker gets: how many workers `auto` means, and the pinning of each one.

A worker that needs several GPUs (tensor parallel) gets a contiguous group of the visible ones through
CUDA_VISIBLE_DEVICES, set before its backend imports torch, so inside the worker its GPUs are simply
`cuda:0..k-1`. On CPU every worker gets an equal share of the cores as torch threads, unless the
model's options already fix them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.devices import gpu_possible

CUDA_VISIBLE = "CUDA_VISIBLE_DEVICES"
# Model options that say how many GPUs one model instance spans (vLLM's tensor parallel size).
GPUS_PER_MODEL_OPTIONS = ("tensor_parallel_size",)


class PlacementError(ModelLoadError):
    """Workers that cannot be placed as asked (more GPU groups than GPUs, a Ray cluster out of reach): the
    model cannot be loaded where the run wants it."""


@dataclass(frozen=True)
class Placement:
    """One worker's settings and the environment that pins it."""

    settings: AdapterSettings
    environment: Mapping[str, str]


def gpus_per_worker(options: Mapping[str, Any]) -> int:
    """The GPUs one model instance needs (1 unless an option such as tensor_parallel_size says more)."""
    for name in GPUS_PER_MODEL_OPTIONS:
        if name in options:
            value = str(options[name])
            if not value.isdigit() or int(value) < 1:
                raise PlacementError(f"{name} must be a positive integer, got {value!r}")
            return int(value)
    return 1


def visible_gpus() -> list[str]:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES when set, else what torch counts (asked
    only where torch is installed and a GPU is possible at all; none otherwise: importing torch here
    cost the driver seconds that its workers were waiting to start)."""
    given = os.environ.get(CUDA_VISIBLE)
    if given is not None:
        return [device.strip() for device in given.split(",") if device.strip()]
    if not gpu_possible() or importlib.util.find_spec("torch") is None:
        return []
    import torch

    return [str(index) for index in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def gpus_for(device: str) -> list[str]:
    """The visible GPUs where `device` may put the model on one (`auto`, `cuda`, `cuda:N`); none are
    looked for when it names another device (`cpu`)."""
    return visible_gpus() if device == "auto" or device.startswith("cuda") else []


def uses_gpu(device: str, gpus: list[str]) -> bool:
    return device.startswith("cuda") or (device == "auto" and bool(gpus))


def resolve_worker_count(requested: int | str, settings: AdapterSettings) -> int:
    """`auto`: one worker (group) per visible GPU (group), and a single worker without GPUs."""
    if requested != "auto":
        return int(requested)
    gpus = gpus_for(settings.device)
    if not uses_gpu(settings.device, gpus):
        return 1
    return max(1, len(gpus) // gpus_per_worker(settings.options))


def local_placements(workers: int, settings: AdapterSettings) -> list[Placement]:
    """Each local worker's pinned settings: its own GPU group, or its share of the CPU cores."""
    gpus = gpus_for(settings.device)
    if uses_gpu(settings.device, gpus):
        return _gpu_placements(workers, settings, gpus)
    threads = settings.options.get("threads") or max(1, (os.cpu_count() or 1) // workers)
    pinned = replace(settings, device="cpu", options={**settings.options, "threads": threads})
    return [Placement(settings=pinned, environment={CUDA_VISIBLE: ""}) for _ in range(workers)]


def _gpu_placements(workers: int, settings: AdapterSettings, gpus: list[str]) -> list[Placement]:
    if settings.device not in ("auto", "cuda"):
        raise PlacementError(
            f"--device {settings.device} names one GPU; with several workers use --device cuda (or auto) "
            "and CUDA_VISIBLE_DEVICES to choose the GPUs"
        )
    group = gpus_per_worker(settings.options)
    if workers * group > len(gpus):
        raise PlacementError(
            f"{workers} workers x {group} GPUs each need {workers * group} GPUs; {len(gpus)} are visible"
        )
    pinned = replace(settings, device="cuda")
    return [
        Placement(settings=pinned, environment={CUDA_VISIBLE: ",".join(gpus[i * group : (i + 1) * group])})
        for i in range(workers)
    ]
