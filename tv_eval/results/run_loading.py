"""Reading finished run directories back: run.json, results.json and samples.jsonl.

Leaderboards, the transfer view and the regression gate all start from what `tv-eval run`
persisted, never from a live model, so any of them can be recomputed later from the files alone.
Files are read as last committed (core/staged_files.py), so a writer killed mid-commit never shows
a reader results.json of one version beside samples.jsonl of another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tv_eval.core.io import read_json
from tv_eval.core.staged_files import committed_path
from tv_eval.core.types import ScoredSample
from tv_eval.results.document import ResultsDocument, ResultsSchemaError, validate_results
from tv_eval.results.run_document import RESULTS_FILE, RUN_FILE, RunRecord, validation_summary
from tv_eval.results.samples_file import SAMPLES_FILE, SampleRecordError, read_samples

RUN_FILES = (RUN_FILE, RESULTS_FILE, SAMPLES_FILE)


class RunLoadError(ValueError):
    """A path that is not a usable finished run directory; the CLI turns it into exit code 2."""


class RunNotFinished(RunLoadError):
    """A leftover run directory: its run crashed or still runs."""


@dataclass(frozen=True)
class RunData:
    """One finished run: its records grouped by task, plus the two documents it wrote (typed, and
    results.json also as written, for readers that walk its groups generically)."""

    path: Path
    run: RunRecord
    document: ResultsDocument
    records: Mapping[str, list[ScoredSample]] = field(default_factory=dict)

    @property
    def results(self) -> Mapping[str, Any]:
        return self.document.to_json()

    @property
    def run_id(self) -> str:
        return self.document.run_id

    @property
    def model_name(self) -> str:
        return self.document.model.name

    @property
    def task_names(self) -> list[str]:
        return list(self.document.tasks)

    @property
    def smoke_run(self) -> bool:
        return self.document.smoke_run

    def task(self, name: str) -> Mapping[str, Any]:
        return self.document.tasks[name].model_dump(mode="json", exclude_unset=True)


def _read_json_file(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path)
    except OSError as error:
        raise RunLoadError(f"cannot read {path}: {error.strerror or error}") from error
    except ValueError as error:
        raise RunLoadError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise RunLoadError(f"{path} does not hold a JSON object")
    return data


def _read_records(path: Path, tasks: Iterable[str]) -> dict[str, list[ScoredSample]]:
    known = set(tasks)
    records: dict[str, list[ScoredSample]] = defaultdict(list)
    try:
        for record in read_samples(path):
            if record.task in known:
                records[record.task].append(record)
    except SampleRecordError as error:
        raise RunLoadError(str(error)) from error
    except OSError as error:
        raise RunLoadError(f"cannot read {path}: {error.strerror or error}") from error
    return {task: records.get(task, []) for task in tasks}


def _not_finished(path: Path, status: object) -> RunNotFinished:
    return RunNotFinished(
        f"{path} did not finish (status {status}: still running, or stopped by a crash; "
        f"`tv-eval run --resume {path}` finishes it)"
    )


def _check_files(path: Path) -> None:
    """All three files present, or a leftover (run.json saying the run never finished), or an error."""
    if not path.is_dir():
        raise RunLoadError(f"{path} is not a directory")
    missing = [name for name in RUN_FILES if not committed_path(path, name).is_file()]
    if not missing:
        return
    if RUN_FILE not in missing:
        try:
            status = read_json(committed_path(path, RUN_FILE)).get("status")
        except (OSError, ValueError, AttributeError):
            status = None
        if status in ("running", "interrupted"):
            raise _not_finished(path, status)
    raise RunLoadError(
        f"{path} is not a finished run directory (missing {', '.join(missing)}; "
        "point at a folder that `tv-eval run` wrote)"
    )


def load_run(path: Path) -> RunData:
    """Load one run directory; every problem is a one-line RunLoadError naming the file, and a run
    that never finished (crashed, or still running) a RunNotFinished."""
    _check_files(path)
    try:
        run = RunRecord.model_validate(_read_json_file(committed_path(path, RUN_FILE)))
    except ValidationError as error:
        raise RunLoadError(
            f"{path / RUN_FILE} is not a tv-eval run record: {validation_summary(error)}"
        ) from error
    if run.status != "complete":
        raise _not_finished(path, run.status)
    try:
        document = validate_results(_read_json_file(committed_path(path, RESULTS_FILE)))
    except ResultsSchemaError as error:
        raise RunLoadError(f"{path / RESULTS_FILE} is not a tv-eval results file: {error}") from error
    records = _read_records(committed_path(path, SAMPLES_FILE), document.tasks)
    return RunData(path=path, run=run, document=document, records=records)


def expand_run_paths(paths: Sequence[Path]) -> list[Path]:
    """Run directories named directly, or every run directory directly inside a named folder.

    So `tv-eval leaderboard results/` works as well as `tv-eval leaderboard results/*`.
    """
    expanded: list[Path] = []
    for path in paths:
        if (path / RUN_FILE).is_file() or not path.is_dir():
            expanded.append(path)
            continue
        children = sorted(child for child in path.iterdir() if (child / RUN_FILE).is_file())
        if not children:
            raise RunLoadError(f"{path} is neither a run directory nor a folder of run directories")
        expanded.extend(children)
    return expanded


@dataclass(frozen=True)
class LoadedRuns:
    """The finished runs among the paths, and one note per leftover run directory skipped."""

    runs: list[RunData]
    skipped: list[str]


def load_runs(paths: Sequence[Path]) -> LoadedRuns:
    """Every finished run among `paths`; leftovers (runs that crashed or still run) are skipped with
    a note, anything else unreadable raises RunLoadError."""
    runs: list[RunData] = []
    skipped: list[str] = []
    for path in expand_run_paths(paths):
        try:
            runs.append(load_run(path))
        except RunNotFinished as leftover:
            skipped.append(f"skipped {leftover}")
    return LoadedRuns(runs=runs, skipped=skipped)


def model_labels(runs: Sequence[RunData]) -> list[str]:
    """A display label per run: the model name, unless two runs of one model share a task.

    Runs of one model on different tasks merge into one leaderboard row; runs that would collide
    on a task keep apart as `model@run_id`.
    """
    tasks_by_model: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        tasks_by_model[run.model_name].extend(run.task_names)
    labels = []
    for run in runs:
        tasks = tasks_by_model[run.model_name]
        labels.append(run.model_name if len(tasks) == len(set(tasks)) else f"{run.model_name}@{run.run_id}")
    return labels
