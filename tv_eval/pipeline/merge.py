"""`tv-eval merge RUN_DIR...`: the shards of one run (`--shard i/N`) combined into the run directory an
unsharded run of the same command writes.

Nothing is re-run and nothing re-scored: each shard's records are final. The merge checks the shards
fit together (shard_runs.py), puts their records in the order an unsharded run writes them (each
shard recorded the whole selection's ids in that order), and hands them to the same `write_results`
that `run` and `score` end with. So every aggregate is recomputed from the merged records, never
averaged from shard aggregates: corpus metrics (BLEU, chrF, CIDEr) are scored on all segments at
once, and bootstrap intervals redraw the same clusters in the same order as an unsharded run's.

Policies: a sample in two shards is an error (under the shard rule no sample can be, so it means
the shards were not made by one split, and picking one record would hide it); a sample of the
selection in no shard is an error; a batch scorer's (COMET) description comes from the first shard
(one that reports an error wins, so a failed metric stays failed); judge counts and costs are summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.types import ScoredSample
from tv_eval.pipeline.judge_stage import configured_task, recorded_tier_map
from tv_eval.pipeline.records import write_results
from tv_eval.pipeline.rescoring import batch_metric_info
from tv_eval.pipeline.run_directory import locked_run_dir, new_run_id, now
from tv_eval.pipeline.shard_runs import (
    JUDGE_COUNTS,
    MergeError,
    ShardRun,
    check_same_run,
    check_shard_numbers,
    read_shard_run,
)
from tv_eval.results.document import ResultsDocument
from tv_eval.results.run_document import RUN_FILE, RunRecord

# run.json keys that describe one shard's own process, left out of the merged run's record.
_SHARD_ONLY = ("task_sample_ids", "resumed", "rescored", "repaired", "history", "timings")


@dataclass(frozen=True)
class MergeOutcome:
    run_dir: Path
    results: ResultsDocument
    shards: int


def merged_records(task: str, shards: Sequence[ShardRun]) -> list[ScoredSample]:
    """The task's records from every shard, in the order an unsharded run writes them; a sample in
    two shards, outside the selection, or in none is a MergeError naming it."""
    order = shards[0].record.task_sample_ids or {}
    selection = order.get(task, [])
    wanted = set(selection)
    found: dict[str, tuple[ScoredSample, ShardRun]] = {}
    for item in shards:
        for record in item.saved.records:
            if record.task != task:
                continue
            if record.sample_id not in wanted:
                raise MergeError(
                    f"sample {task}/{record.sample_id} of {item.run_dir} is not in the selection the "
                    "shards record"
                )
            if record.sample_id in found:
                earlier = found[record.sample_id][1].run_dir
                raise MergeError(
                    f"sample {task}/{record.sample_id} is in two shards: {earlier} and {item.run_dir}"
                )
            found[record.sample_id] = (record, item)
    missing = [sample_id for sample_id in selection if sample_id not in found]
    if missing:
        raise MergeError(
            f"{len(missing)} of task {task}'s {len(selection)} samples are in no shard "
            f"(first: {', '.join(missing[:3])})"
        )
    return [found[sample_id][0] for sample_id in selection]


def _summed(blocks: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """The first block with each of `keys` summed over all blocks (None if any block lacks a value)."""
    listed = list(blocks)
    total = dict(listed[0])
    for key in keys:
        values = [block.get(key) for block in listed]
        total[key] = None if any(value is None for value in values) else sum(values)
    return total


def merged_judge(summaries: Sequence[Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """One judge summary for the merged run: the shards' shared identity (checked equal before),
    their calls, cache hits, tokens and cost summed, and each task's judged counts summed."""
    present = [summary for summary in summaries if summary is not None]
    if not present:
        return None
    usage_keys = ("calls", "cache_hits", "prompt_tokens", "completion_tokens", "estimated_cost_usd")
    task_keys = tuple(key for key in JUDGE_COUNTS if key not in ("usage", "cache"))
    tasks = {
        name: _summed((summary["tasks"][name] for summary in present), task_keys)
        for name in present[0].get("tasks", {})
    }
    usage = _summed((summary["usage"] for summary in present), usage_keys)
    return {**present[0], "usage": usage, "tasks": tasks}


def _merged_metric_info(shards: Sequence[ShardRun]) -> dict[str, dict[str, Any]]:
    """What batch scorers (COMET) reported, per task and metric: the first shard's, unless a later
    shard reports an error for that metric."""
    merged: dict[str, dict[str, Any]] = {}
    for item in shards:
        for task, metrics in batch_metric_info(item.run_dir, repair=False).items():
            for metric, info in metrics.items():
                kept = merged.setdefault(task, {})
                if metric not in kept or ("error" in info and "error" not in kept[metric]):
                    kept[metric] = info
    return merged


def _merged_run_record(shards: Sequence[ShardRun], run_dir: Path, sizes: Mapping[str, int]) -> RunRecord:
    """run.json of the merged run: the first shard's, as one run over the whole selection, naming
    its shards; generation counts are the shards' sums."""
    first = shards[0].record
    assert first.config is not None
    document = {key: value for key, value in first.to_json().items() if key not in _SHARD_ONLY}
    generation = [item.record.generation for item in shards if item.record.generation is not None]
    document.update(
        run_id=run_dir.name,
        status="complete",
        created=now(),
        config=first.config.model_copy(update={"shard": None, "output_dir": run_dir.parent}).model_dump(
            mode="json"
        ),
        tasks={
            name: {**task_run.model_dump(mode="json", exclude_unset=True), "num_samples": sizes[name]}
            for name, task_run in first.tasks.items()
        },
        merged_from=[
            {"run_id": item.record.run_id, "shard": str(item.shard), "path": str(item.run_dir.resolve())}
            for item in shards
        ],
    )
    if generation:
        document["generation"] = {
            "generated": sum(counts.generated for counts in generation),
            "from_cache": sum(counts.from_cache for counts in generation),
            "model_loaded": any(counts.model_loaded for counts in generation),
        }
    judge = merged_judge([item.record.judge for item in shards])
    if judge is not None:
        document["judge"] = judge
    return RunRecord.model_validate(document)


def _target_dir(output: Path | None, shards: Sequence[ShardRun]) -> Path:
    """`output`, which must not hold anything yet; by default a new run directory beside the first shard."""
    target = output or shards[0].run_dir.parent / new_run_id(shards[0].record.model.name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise MergeError(f"{target} already exists and is not an empty directory; merge into a new one")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MergeError(f"cannot create {target}: {error.strerror or error}") from error
    return target


def merge_shards(run_dirs: Sequence[Path], output: Path | None = None) -> MergeOutcome:
    """Check the shards, then write the merged run: samples.jsonl, results.json, leaderboard.md and
    run.json in one commit, into `output` (or a new run directory beside the first shard)."""
    if not run_dirs:
        raise MergeError("name the shard run directories to merge")
    shards = sorted((read_shard_run(run_dir) for run_dir in run_dirs), key=lambda item: item.shard.index)
    check_shard_numbers(shards)
    check_same_run(shards)
    records = {name: merged_records(name, shards) for name in shards[0].record.tasks}
    metric_info = _merged_metric_info(shards)
    tasks = {name: configured_task(name, shards[0].record) for name in records}
    target = _target_dir(output, shards)
    record = _merged_run_record(shards, target, {name: len(group) for name, group in records.items()})
    with locked_run_dir(target), StagedFiles(target) as staged:
        results = write_results(
            staged,
            record,
            tasks,
            records,
            recorded_tier_map(record),
            judge_summary=record.judge,
            metric_info=metric_info,
        )
        staged.write_json(RUN_FILE, record.to_json())
    return MergeOutcome(run_dir=target, results=results, shards=len(shards))
