"""Which adapter runs a model: the alias's preferred backend where it can run, else its default.

An alias may name a `backend` it prefers (`towervision-9b`: vLLM) over its `adapter` (transformers).
The preference holds only where it can work: for vLLM, the real `vllm` package installed beside tv-eval
and a CUDA device (vLLM's CPU build, run in a managed environment, is for tests and parity checks, not
for speed). `--backend NAME` overrides both, on any model, including `hf:<id>` and `<adapter>:<id>`.
"""

from __future__ import annotations

from dataclasses import replace

from tv_eval.core.adapter import module_importable
from tv_eval.core.registry import ADAPTER_PREFIXES, ModelSpec


def cuda_device(device: str) -> bool:
    """Whether `--device` means a GPU: `cuda[:N]`, or `auto` on a machine where torch sees one."""
    if device.startswith("cuda"):
        return True
    if device != "auto" or not module_importable("torch"):
        return False
    import torch

    return bool(torch.cuda.is_available())


def backend_usable(backend: str, device: str) -> bool:
    """Whether an alias's preferred backend can run here; unknown preferences never take over."""
    if backend == "vllm":
        return module_importable("vllm") and cuda_device(device)
    return False


def choose_backend(spec: ModelSpec, requested: str | None, device: str) -> ModelSpec:
    """The spec with the adapter that runs it: `requested` (--backend; `hf` means transformers), else
    the alias's preferred backend where usable, else the spec as it is."""
    if requested:
        return replace(spec, adapter=ADAPTER_PREFIXES.get(requested, requested))
    if spec.backend and backend_usable(spec.backend, device):
        return replace(spec, adapter=spec.backend)
    return spec
