"""The managed environment COMET runs in, created by tv-eval on first use.

unbabel-comet 2.2.7 pins transformers<5, numpy<2 and huggingface-hub<1, which would downgrade
tv-eval's own environment, so COMET gets a virtual environment of its own under tv-eval's cache
(`$TV_EVAL_CACHE_DIR/envs/` or the platform's user cache): torch first, pinned to the version tv-eval
itself runs (2.13.0 where torch is absent; `TV_EVAL_COMET_TORCH` overrides the requirement), then
unbabel-comet and a setuptools that still ships `pkg_resources` (COMET's torchmetrics imports it), with
the versions of COMET's stack pinned (tv_eval/data/comet-constraints.txt) so the set-up never backtracks.
It is built by tv-eval's managed-environment builder (tv_eval/core/managed_env.py: locked, marked
when finished, rebuilt when half-built), as lmms-eval's is. The worker script
(tv_eval/scoring/comet_worker.py) is the only code that runs there.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from tv_eval.core.cache_root import cache_root
from tv_eval.core.managed_env import (
    MARKER,
    EnvRecipe,
    ManagedEnv,
    ManagedEnvError,
    ensure_env,
    torch_requirement,
)

COMET_VERSION = "2.2.7"
COMET_REQUIREMENTS = (f"unbabel-comet=={COMET_VERSION}", "setuptools<81")
CONSTRAINTS = Path(__file__).parent.parent / "data" / "comet-constraints.txt"
TORCH_ENV_VAR = "TV_EVAL_COMET_TORCH"
WORKER = Path(__file__).with_name("comet_worker.py")
# The environment as the rest of tv-eval sees it (path, versions, set-up time, python).
CometEnvironment = ManagedEnv
__all__ = [
    "MARKER",
    "CometEnvError",
    "CometEnvironment",
    "cache_root",
    "ensure_comet_env",
    "run_worker_command",
]


class CometEnvError(RuntimeError):
    """The COMET environment could not be created or its worker failed."""


def comet_recipe() -> EnvRecipe:
    return EnvRecipe(
        name=f"comet-{COMET_VERSION}",
        steps=((torch_requirement(TORCH_ENV_VAR),), COMET_REQUIREMENTS),
        constraints=CONSTRAINTS,
        probe=lambda python: json.loads(run_worker_command(python, ["versions"])),
    )


def env_path() -> Path:
    return comet_recipe().path()


def ensure_comet_env(notify: Callable[[str], None] | None = None) -> CometEnvironment:
    """The COMET environment, created now if it does not exist yet (minutes, once per cache)."""
    try:
        return ensure_env(comet_recipe(), notify)
    except ManagedEnvError as error:
        raise CometEnvError(str(error)) from error


def run_worker_command(python: Path, arguments: Sequence[str], timeout: float | None = None) -> str:
    """Run the worker with `arguments`; its last stdout line (JSON). Errors name stderr's last lines."""
    environment = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"}
    try:
        completed = subprocess.run(
            [str(python), "-I", str(WORKER), *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CometEnvError(f"COMET worker {arguments[0]} could not run: {error}") from error
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        raise CometEnvError(f"COMET worker {arguments[0]} failed: {lines[-1] if lines else 'no message'}")
    lines = completed.stdout.strip().splitlines()
    return lines[-1] if lines else "{}"
