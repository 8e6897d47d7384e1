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

from tv_eval.core.io import read_json, read_jsonl
from tv_eval.core.types import ScoredSample

RUN_FILES = ("run.json", "results.json", "samples.jsonl")


class RunLoadError(ValueError):
    """A path that is not a usable finished run directory; the CLI turns it into exit code 2."""


@dataclass(frozen=True)
class RunData:
    """One finished run: its records grouped by task, plus the two JSON documents it wrote."""

    path: Path
    run: Mapping[str, Any]
    results: Mapping[str, Any]
    records: Mapping[str, list[ScoredSample]] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.results.get("run_id") or self.path.name)

    @property
    def model_name(self) -> str:
        return str(self.results["model"]["name"])

    @property
    def task_names(self) -> list[str]:
        return list(self.results["tasks"])

    @property
    def smoke_run(self) -> bool:
        return bool(self.results.get("smoke_run"))

    def task(self, name: str) -> Mapping[str, Any]:
        return self.results["tasks"][name]


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
        for line_number, raw in enumerate(read_jsonl(path), start=1):
            try:
                record = ScoredSample.from_json(raw)
            except (KeyError, TypeError, ValueError) as error:
                raise RunLoadError(f"{path} line {line_number} is not a sample record: {error}") from error
            if record.task in known:
                records[record.task].append(record)
    except RunLoadError:
        raise
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
    run = _read_json_file(path / "run.json")
    results = _read_json_file(path / "results.json")
    if run.get("status", "complete") != "complete":
        raise RunLoadError(f"run {path} did not finish (status {run.get('status')!r})")
    tasks = results.get("tasks")
    if not isinstance(tasks, dict) or not tasks or not isinstance(results.get("model"), dict):
        raise RunLoadError(f"{path / 'results.json'} has no tasks or no model (not a tv-eval results file?)")
    records = _read_records(path / "samples.jsonl", tasks)
    return RunData(path=path, run=run, results=results, records=records)


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
