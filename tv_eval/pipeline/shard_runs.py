"""The shard runs `tv-eval merge` is given, read and checked against each other before anything is
written: each must be a complete shard run with an intact samples.jsonl, all must have asked the same
questions of the same model on the same data (everything in run.json but the shard number, the output
folder and what each run did on its own machine: timings, counts, resumes), and their numbers must be
1..N, each once, for one N. Each failure is one line naming the run directory and the first difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tv_eval.pipeline.saved_run import SavedRun, SavedRunError, open_saved_run
from tv_eval.pipeline.shards import Shard, ShardSpecError, parse_shard
from tv_eval.results.run_document import RUN_FILE, RunRecord, read_run_record

# Judge fields that count what one shard's judging did (summed by the merge), not what was asked.
JUDGE_COUNTS = ("usage", "cache", "judged", "judge_failed", "cache_hits")


class MergeError(SavedRunError):
    """Shard runs that cannot be merged as given; exit code 2."""


@dataclass(frozen=True)
class ShardRun:
    """One complete shard run: its directory, its number and its records."""

    run_dir: Path
    shard: Shard
    saved: SavedRun

    @property
    def record(self) -> RunRecord:
        return self.saved.record


def _shard_record(run_dir: Path) -> tuple[RunRecord, Shard]:
    """run.json of a finished shard run, and its shard; anything else is a MergeError."""
    if not (run_dir / RUN_FILE).is_file():
        raise MergeError(f"{run_dir} is not a run directory (no run.json)")
    try:
        record = read_run_record(run_dir)
    except (OSError, ValueError, ValidationError) as error:
        raise MergeError(f"{run_dir / RUN_FILE} is not a run record: {error}") from error
    if record.config is None or record.config.shard is None or record.task_sample_ids is None:
        raise MergeError(f"{run_dir} is not a shard run (it was not run with --shard i/N)")
    if record.status != "complete":
        raise MergeError(
            f"shard run {run_dir} is {record.status}; finish it first: tv-eval run --resume {run_dir}"
        )
    try:
        return record, parse_shard(record.config.shard)
    except ShardSpecError as error:
        raise MergeError(f"{run_dir / RUN_FILE}: {error}") from error


def read_shard_run(run_dir: Path) -> ShardRun:
    """A complete shard run with every record run.json counts (a damaged samples.jsonl is refused)."""
    _, shard = _shard_record(run_dir)
    with open_saved_run(run_dir) as saved:
        return ShardRun(run_dir=run_dir, shard=shard, saved=saved)


def _without_counts(judge: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The judge's identity and each task's protocol, without what one shard's judging counted."""
    if judge is None:
        return None
    tasks = {
        name: {key: value for key, value in block.items() if key not in JUDGE_COUNTS}
        for name, block in judge.get("tasks", {}).items()
    }
    return {**{key: value for key, value in judge.items() if key not in JUDGE_COUNTS}, "tasks": tasks}


def run_question(record: RunRecord) -> dict[str, Any]:
    """What a run asked and of what: the parts of run.json every shard of one run shares."""
    assert record.config is not None
    return {
        # The device is where a shard ran (and unknown where the cache answered everything).
        "model": record.model.model_dump(mode="json", exclude={"device"}),
        "config": record.config.model_dump(mode="json", exclude={"shard", "output_dir"}),
        "tasks": {
            name: run.model_dump(mode="json", exclude={"num_samples"}) for name, run in record.tasks.items()
        },
        "task_options": record.task_options,
        "seed": record.seed,
        "tier_map": record.tier_map,
        "smoke_run": record.smoke_run,
        "judge": _without_counts(record.judge),
        "task_sample_ids": record.task_sample_ids,
    }


def first_difference(first: Any, second: Any, path: str = "") -> str | None:
    """The dotted path of the first place two JSON values differ (None when they are equal); a
    value's path ends where one side stops being an object."""
    if isinstance(first, dict) and isinstance(second, dict):
        for key in [*first, *(key for key in second if key not in first)]:
            where = f"{path}{key}"
            if key not in first or key not in second:
                return where
            found = first_difference(first[key], second[key], f"{where}.")
            if found is not None:
                return found
        return None
    return None if first == second else path.rstrip(".")


def _value_at(document: Mapping[str, Any], path: str) -> str:
    """A short rendering of the value at `path` for an error line (long lists are only named)."""
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    text = repr(value)
    return text if len(text) <= 80 else f"{type(value).__name__} of {len(value)}"


def check_same_run(shards: Sequence[ShardRun]) -> None:
    """Every shard asked the same questions as the first; else a MergeError naming the first difference."""
    reference = run_question(shards[0].record)
    for other in shards[1:]:
        question = run_question(other.record)
        where = first_difference(reference, question)
        if where is not None:
            raise MergeError(
                f"{other.run_dir} is not a shard of the same run as {shards[0].run_dir}: {where} is "
                f"{_value_at(question, where)} there, {_value_at(reference, where)} in the first"
            )


def check_shard_numbers(shards: Sequence[ShardRun]) -> int:
    """Shards 1..N each given once, for one N; returns N."""
    count = shards[0].shard.count
    by_index: dict[int, Path] = {}
    for item in shards:
        if item.shard.count != count:
            raise MergeError(
                f"{item.run_dir} is shard {item.shard} but {shards[0].run_dir} is shard {shards[0].shard}: "
                "all shards must split the run into the same number of parts"
            )
        if item.shard.index in by_index:
            raise MergeError(
                f"shard {item.shard} is given twice: {by_index[item.shard.index]} and {item.run_dir}"
            )
        by_index[item.shard.index] = item.run_dir
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        raise MergeError(f"missing shard {', '.join(missing)}: a merge needs all {count} shards")
    return count
