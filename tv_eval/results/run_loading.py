"""Reading finished run directories back: run.json, results.json and samples.jsonl.

Leaderboards, the transfer view and the regression gate all start from what `tv-eval run`
persisted, never from a live model, so any of them can be recomputed later from the files alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tv_eval.core.io import read_json
from tv_eval.core.types import ScoredSample
from tv_eval.results.document import ResultsDocument, ResultsSchemaError, validate_results
from tv_eval.results.run_document import RunRecord
from tv_eval.results.samples_file import SampleRecordError, read_samples

RUN_FILES = ("run.json", "results.json", "samples.jsonl")


class RunLoadError(ValueError):
    """A path that is not a usable finished run directory; the CLI turns it into exit code 2."""


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
    except ValueError as error:
        raise RunLoadError(f"{path} is not valid JSON lines: {error}") from error
    return {task: records.get(task, []) for task in tasks}


def load_run(path: Path) -> RunData:
    """Load one run directory; every problem is a one-line RunLoadError naming the file."""
    if not path.is_dir():
        raise RunLoadError(f"{path} is not a directory")
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise RunLoadError(
            f"{path} is not a finished run directory (missing {', '.join(missing)}; "
            "point at a folder that `tv-eval run` wrote)"
        )
    try:
        run = RunRecord.model_validate(_read_json_file(path / "run.json"))
    except ValidationError as error:
        raise RunLoadError(f"{path / 'run.json'} is not a tv-eval run record: {error}") from error
    if run.status != "complete":
        raise RunLoadError(f"run {path} did not finish (status {run.status!r})")
    try:
        document = validate_results(_read_json_file(path / "results.json"))
    except ResultsSchemaError as error:
        raise RunLoadError(f"{path / 'results.json'} is not a tv-eval results file: {error}") from error
    records = _read_records(path / "samples.jsonl", document.tasks)
    return RunData(path=path, run=run, document=document, records=records)


def expand_run_paths(paths: Sequence[Path]) -> list[Path]:
    """Run directories named directly, or every run directory directly inside a named folder.

    So `tv-eval leaderboard results/` works as well as `tv-eval leaderboard results/*`.
    """
    expanded: list[Path] = []
    for path in paths:
        if (path / "run.json").is_file() or not path.is_dir():
            expanded.append(path)
            continue
        children = sorted(child for child in path.iterdir() if (child / "run.json").is_file())
        if not children:
            raise RunLoadError(f"{path} is neither a run directory nor a folder of run directories")
        expanded.extend(children)
    return expanded


def load_runs(paths: Sequence[Path]) -> list[RunData]:
    return [load_run(path) for path in expand_run_paths(paths)]


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
