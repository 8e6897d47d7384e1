"""The managed environment lmms-eval runs in, built by tv-eval on first use (`tv-eval lmms-env`).

lmms-eval 0.7.3 requires torchvision and pulls a CUDA torch in a plain install, and needs `decord` and
`filelock<4` at run time, so it gets a virtual environment of its own under tv-eval's cache
(tv_eval/core/managed_env.py): torch first, pinned to the release tv-eval runs, then lmms-eval under
tv_eval/data/lmms-constraints.txt plus the transformers and datasets versions of tv-eval's own
environment. Where torchvision's compiled operators do not load beside the CPU torch, a start-up shim
(tv_eval/bridges/torchvision_ops.py) is installed and the import is checked again.

A benchmark script reuses the same environment, e.g. to time `python -m lmms_eval` itself:

    from tv_eval.bridges.lmms_env import ensure_lmms_env
    python = ensure_lmms_env().python
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from tv_eval.core.cache_root import cache_root
from tv_eval.core.managed_env import (
    EnvRecipe,
    ManagedEnv,
    ManagedEnvError,
    ensure_env,
    torch_requirement,
    worker_versions,
)

LMMS_EVAL_VERSION = "0.7.3"
TORCH_ENV_VAR = "TV_EVAL_LMMS_TORCH"
HERE = Path(__file__).parent
STATIC_CONSTRAINTS = HERE.parent / "data" / "lmms-constraints.txt"
WORKER = HERE / "lmms_worker.py"
SHIM = HERE / "torchvision_ops.py"
# Libraries whose version on tv-eval's side is pinned on the lmms-eval side too.
SHARED_PINS = ("transformers", "datasets", "tokenizers", "huggingface-hub", "safetensors")


def constraints_file() -> Path:
    """The static pins plus tv-eval's own versions of the shared libraries, written beside the env."""
    lines = [STATIC_CONSTRAINTS.read_text(encoding="utf-8")]
    for name in SHARED_PINS:
        try:
            lines.append(f"{name}=={version(name)}\n")
        except PackageNotFoundError:
            continue
    torch = torch_requirement(TORCH_ENV_VAR)
    lines = [line for line in "".join(lines).splitlines(keepends=True) if not line.startswith("torch==")]
    path = cache_root() / "envs" / "lmms-constraints.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join([*lines, f"{torch}\n"]), encoding="utf-8")
    return path


def _imports(python: Path, module: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-I", "-c", f"import {module}"], capture_output=True, text=True, check=False
    )


def install_torchvision_shim(python: Path, log: Path) -> None:
    """Install the operator shim where torchvision's own operators fail to load, then check again."""
    probe = _imports(python, "torchvision")
    if probe.returncode == 0:
        return
    if "torchvision::nms does not exist" not in probe.stderr:
        raise ManagedEnvError(f"torchvision does not import: {probe.stderr.strip().splitlines()[-1:]}")
    site = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copyfile(SHIM, Path(site) / "tv_eval_torchvision_ops.py")
    (Path(site) / "tv_eval_torchvision_ops.pth").write_text(
        "import tv_eval_torchvision_ops\n", encoding="utf-8"
    )
    with log.open("a", encoding="utf-8") as handle:
        handle.write("installed the torchvision operator shim\n")
    again = _imports(python, "torchvision")
    if again.returncode != 0:
        raise ManagedEnvError(
            f"torchvision does not import even with the shim: {again.stderr.strip()[-300:]}"
        )


def probe_versions(python: Path) -> dict[str, str]:
    return worker_versions(python, WORKER, "lmms-eval")


def lmms_recipe() -> EnvRecipe:
    return EnvRecipe(
        name=f"lmms-eval-{LMMS_EVAL_VERSION}",
        steps=((torch_requirement(TORCH_ENV_VAR),), (f"lmms-eval=={LMMS_EVAL_VERSION}", "decord")),
        constraints=constraints_file(),
        probe=probe_versions,
        finish=install_torchvision_shim,
    )


def ensure_lmms_env(notify: Callable[[str], None] | None = None) -> ManagedEnv:
    """The lmms-eval environment, built now if needed; ManagedEnvError says why it cannot be."""
    return ensure_env(lmms_recipe(), notify)


def notify_stderr(message: str) -> None:
    sys.stderr.write(f"tv-eval: {message}\n")
    sys.stderr.flush()
