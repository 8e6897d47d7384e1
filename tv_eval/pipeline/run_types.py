"""What the runner and the stages after its checks share: the outcome, the interruption and the
configuration error, progress reporting, the checked model and the output folder's check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tv_eval.core import registry
from tv_eval.core.adapter import AdapterSettings, ModelAdapter
from tv_eval.core.cache_root import cache_root
from tv_eval.pipeline.cache import CACHE_FILE
from tv_eval.pipeline.parallel.backend import Execution

if TYPE_CHECKING:
    from tv_eval.results.document import ResultsDocument
    from tv_eval.results.run_document import RunConfig


class RunConfigError(ValueError):
    """A run that cannot start as configured; the CLI turns it into exit code 2."""


class RunInterrupted(Exception):
    """Ctrl-C during a run, or its workers lost: what was finished is on disk; the run can be resumed.
    `exit_code` is what the CLI exits with (130 for Ctrl-C)."""

    def __init__(self, run_dir: Path, reason: str = "interrupted", exit_code: int = 130) -> None:
        super().__init__(f"{reason}; resume with: tv-eval run --resume {run_dir}")
        self.run_dir = run_dir
        self.exit_code = exit_code


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    results: ResultsDocument
    generated: int
    from_cache: int
    retried: int = 0


class ProgressHandle:
    """What the runner reports progress to; the CLI supplies a rich progress bar."""

    def advance(self, count: int) -> None:
        """Called after each finished chunk; the default reports nowhere."""

    def close(self) -> None:
        """Called once when the task's generation is done."""


ProgressFactory = Callable[[str, int], ProgressHandle]


def silent_progress(_description: str, _total: int) -> ProgressHandle:
    return ProgressHandle()


@dataclass(frozen=True)
class CheckedModel:
    """The evaluated model, resolved and checked, not yet loaded."""

    spec: registry.ModelSpec
    adapter_class: type[ModelAdapter]
    settings: AdapterSettings
    execution: Execution


def response_cache_path(config: RunConfig) -> Path:
    return (config.cache_dir or cache_root()) / CACHE_FILE


def check_output_dir(output_dir: Path) -> None:
    """Fail before any data or model loads when results could not be written."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / ".tv-eval-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise RunConfigError(
            f"cannot write to output directory {output_dir}: {error.strerror or error}"
        ) from error
