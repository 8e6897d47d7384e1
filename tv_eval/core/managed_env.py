"""Virtual environments tv-eval builds under its cache for libraries that cannot share its own.

A library that pins another torch, transformers or numpy than tv-eval runs (lmms-eval, COMET) gets a
virtual environment of its own, built on first use from a recipe: pip steps run in order (torch first,
pinned, so nothing ever pulls a multi-GB CUDA build), each under a constraints file so the resolver
never backtracks, then a probe of the finished environment. Creation holds a file lock so parallel
runs build it once; a marker written last tells a finished environment from a half-built one, which
is removed and rebuilt. The marker records the versions the probe reported and the build time.

Benchmark scripts reuse the same environment: `ensure_env(recipe)` returns its interpreter.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tv_eval.core.cache_root import cache_root

MARKER = "tv-eval-env.json"
PIP = ("-m", "pip", "install", "--disable-pip-version-check", "--no-input")
# The CPU build these machines install from local disk; a bare `torch` would pull a CUDA build.
DEFAULT_TORCH = "2.13.0"


def torch_requirement(override_variable: str) -> str:
    """The torch release tv-eval itself runs (without its local build label), so one build serves both;
    `$override_variable` replaces the requirement (e.g. with a CUDA build)."""
    override = os.environ.get(override_variable)
    if override:
        return override
    try:
        return f"torch=={version('torch').split('+')[0]}"
    except PackageNotFoundError:
        return f"torch=={DEFAULT_TORCH}"


class ManagedEnvError(RuntimeError):
    """A managed environment that could not be built; the message ends with the log's last lines."""


@dataclass(frozen=True)
class EnvRecipe:
    """How one managed environment is built.

    `steps` are pip requirement lists installed in order under `constraints`; `finish` runs on the
    new interpreter before the probe (e.g. to install a start-up shim); `probe` runs on it and returns
    the versions to record (it raises ManagedEnvError when the environment does not work).
    """

    name: str
    steps: tuple[tuple[str, ...], ...]
    constraints: Path
    probe: Callable[[Path], dict[str, str]]
    finish: Callable[[Path, Path], None] | None = field(default=None, compare=False)

    def path(self) -> Path:
        return cache_root() / "envs" / f"{self.name}-py{sys.version_info[0]}{sys.version_info[1]}"


@dataclass(frozen=True)
class ManagedEnv:
    path: Path
    versions: dict[str, str]
    setup_s: float
    created_now: bool

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def describe(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "versions": self.versions,
            "setup_s": self.setup_s,
            "created_in_this_run": self.created_now,
        }


def run_logged(command: Sequence[str], log: Path) -> None:
    """Run `command` with its output appended to `log`; a failure names the log's last lines."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        completed = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        errors = [line for line in lines if line.startswith("ERROR:")]
        reason = errors[0] if errors else " | ".join(lines[-3:])
        raise ManagedEnvError(
            f"{' '.join(command[2:6])} failed (exit {completed.returncode}; log {log}): {reason}"
        )


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_env(recipe: EnvRecipe, notify: Callable[[str], None] | None = None) -> ManagedEnv:
    """The recipe's environment, built now if it does not exist yet (minutes, once per cache)."""
    path = recipe.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = read_marker(path)
        if marker is not None:
            return ManagedEnv(path, marker["versions"], marker["setup_s"], created_now=False)
        if notify is not None:
            notify(f"creating the {recipe.name} environment in {path} (first use; a few minutes)")
        shutil.rmtree(path, ignore_errors=True)
        started = time.perf_counter()
        log = path.parent / f"{path.name}.setup.log"
        log.write_text("", encoding="utf-8")
        run_logged([sys.executable, "-m", "venv", str(path)], log)
        python = path / "bin" / "python"
        for requirements in recipe.steps:
            run_logged([str(python), *PIP, "--constraint", str(recipe.constraints), *requirements], log)
        if recipe.finish is not None:
            recipe.finish(python, log)
        versions = recipe.probe(python)
        setup_s = round(time.perf_counter() - started, 1)
        (path / MARKER).write_text(json.dumps({"versions": versions, "setup_s": setup_s}), encoding="utf-8")
        return ManagedEnv(path, versions, setup_s, created_now=True)


def worker_versions(python: Path, script: Path, label: str) -> dict[str, str]:
    """The versions a bridge's worker script reports with `versions` on `python`: the probe of an
    environment whose library is imported by that worker (ManagedEnvError when it does not import)."""
    completed = subprocess.run(
        [str(python), "-I", str(script), "versions"], capture_output=True, text=True, check=False
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        errors = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        raise ManagedEnvError(f"{label} does not import: {errors[-1] if errors else 'no message'}")
    return json.loads(lines[-1])
