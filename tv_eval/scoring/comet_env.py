"""The managed environment COMET runs in, created by tv-eval on first use.

unbabel-comet 2.2.7 pins transformers<5, numpy<2 and huggingface-hub<1, which would downgrade
tv-eval's own environment, so COMET gets a virtual environment of its own under tv-eval's cache
(`$TV_EVAL_CACHE_DIR/envs/` or the platform's user cache): torch first, pinned to the version tv-eval
itself runs (2.13.0 where torch is absent; `TV_EVAL_COMET_TORCH` overrides the requirement), then
unbabel-comet and a setuptools that still ships `pkg_resources` (COMET's torchmetrics imports it), with
the versions of COMET's stack pinned (tv_eval/data/comet-constraints.txt) so the set-up never backtracks.
Creation is locked so parallel runs build it once; a marker file written last tells a finished
environment from a half-built one, which is removed and rebuilt. The worker script
(tv_eval/scoring/comet_worker.py) is the only code that runs there.
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
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tv_eval.core.cache_root import cache_root

COMET_VERSION = "2.2.7"
COMET_REQUIREMENTS = (f"unbabel-comet=={COMET_VERSION}", "setuptools<81")
CONSTRAINTS = Path(__file__).parent.parent / "data" / "comet-constraints.txt"
DEFAULT_TORCH = "2.13.0"
TORCH_ENV_VAR = "TV_EVAL_COMET_TORCH"
MARKER = "tv-eval-env.json"
WORKER = Path(__file__).with_name("comet_worker.py")


class CometEnvError(RuntimeError):
    """The COMET environment could not be created or its worker failed."""


@dataclass(frozen=True)
class CometEnvironment:
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


def env_path() -> Path:
    return cache_root() / "envs" / f"comet-{COMET_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"


def torch_requirement() -> str:
    """Same torch release as tv-eval's environment (without its local build label), so one build serves."""
    override = os.environ.get(TORCH_ENV_VAR)
    if override:
        return override
    try:
        return f"torch=={version('torch').split('+')[0]}"
    except PackageNotFoundError:
        return f"torch=={DEFAULT_TORCH}"


def _run_logged(command: Sequence[str], log: Path) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        completed = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise CometEnvError(
            f"{' '.join(command[2:5])} failed (exit {completed.returncode}): {' | '.join(tail)}"
        )


def _read_marker(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_comet_env(notify: Callable[[str], None] | None = None) -> CometEnvironment:
    """The COMET environment, created now if it does not exist yet (minutes, once per cache)."""
    path = env_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = _read_marker(path)
        if marker is not None:
            return CometEnvironment(path, marker["versions"], marker["setup_s"], created_now=False)
        if notify is not None:
            notify(f"creating the COMET environment in {path} (first use; a few minutes)")
        shutil.rmtree(path, ignore_errors=True)
        started = time.perf_counter()
        log = path.parent / f"{path.name}.setup.log"
        log.write_text("", encoding="utf-8")
        _run_logged([sys.executable, "-m", "venv", str(path)], log)
        pip = [
            str(path / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ]
        _run_logged([*pip, torch_requirement()], log)
        _run_logged([*pip, "--constraint", str(CONSTRAINTS), *COMET_REQUIREMENTS], log)
        versions = json.loads(run_worker_command(path / "bin" / "python", ["versions"]))
        setup_s = round(time.perf_counter() - started, 1)
        (path / MARKER).write_text(json.dumps({"versions": versions, "setup_s": setup_s}), encoding="utf-8")
        return CometEnvironment(path, versions, setup_s, created_now=True)


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
