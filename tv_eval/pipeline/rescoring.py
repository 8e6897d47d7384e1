"""`tv-eval score RUN_DIR`: re-score saved predictions under another scoring mode or tier map.

Uses only the run directory: each samples.jsonl record carries what its task's scorer needs, so
neither the model nor the dataset is loaded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tv_eval.core import registry
from tv_eval.core.io import atomic_write_json, read_json
from tv_eval.core.task import DataSource, RequestType, Task
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import TierMap
from tv_eval.pipeline.records import rewrite_samples, score_sample, write_results
from tv_eval.pipeline.runner import RunConfigError, load_finished_records


def rescore_record(task: Task, record: ScoredSample, scoring: str, kept_metrics: set[str]) -> ScoredSample:
    """The record under `scoring`. Left as they were: failures before scoring (bad data, model
    errors), log-likelihood verdicts (they need the model's values, not text), and judge verdicts
    the new mode would send back to the judge. Scores of batch scorers (COMET) are carried over."""
    if record.status is SampleStatus.FAILED and record.prediction is None:
        return record
    if task.request_type is RequestType.LOGLIKELIHOOD:
        return record
    rescored = score_sample(task, record.to_sample(), scoring, record.prompt, record.prediction, None)
    if rescored.status is SampleStatus.NEEDS_JUDGE and record.judge_output is not None:
        return record
    carried = {name: value for name, value in record.scores.items() if name in kept_metrics}
    if carried and rescored.status is SampleStatus.SCORED:
        return replace(rescored, scores={**carried, **rescored.scores})
    return rescored


def rescore_run(run_dir: Path, scoring: str | None, tier_map: TierMap) -> dict[str, Any]:
    if not (run_dir / "run.json").is_file() or not (run_dir / "samples.jsonl").is_file():
        raise RunConfigError(f"{run_dir} is not a run directory (needs run.json and samples.jsonl)")
    run_record = read_json(run_dir / "run.json")
    if run_record.get("status") != "complete":
        raise RunConfigError(f"run {run_dir} is {run_record.get('status')}; finish it with --resume first")
    previous = read_json(run_dir / "results.json") if (run_dir / "results.json").is_file() else {}
    finished = load_finished_records(run_dir)
    tasks: dict[str, Task] = {}
    records: dict[str, list[ScoredSample]] = {}
    batch_info: dict[str, dict[str, Any]] = {}
    for name, task_run in run_record["tasks"].items():
        task = registry.load_task(name)
        task.configure(
            (run_record.get("task_options") or {}).get(name, {}), DataSource.recorded(task_run["dataset"])
        )
        mode = scoring or task_run["scoring"]
        if mode not in task.scoring_modes:
            raise RunConfigError(
                f"task {name} has no scoring mode {mode!r}; it has {', '.join(task.scoring_modes)}"
            )
        tasks[name] = task
        task_run["scoring"] = mode
        batch_info[name] = {
            metric: info
            for metric, info in previous.get("tasks", {}).get(name, {}).get("metric_info", {}).items()
            if info.get("kind") != "corpus"
        }
        records[name] = [
            rescore_record(task, record, mode, set(batch_info[name]))
            for (task_name, _), record in finished.items()
            if task_name == name
        ]
    rewrite_samples(run_dir / "samples.jsonl", records)
    run_record["tier_map"] = tier_map.name
    run_record["rescored"] = [*run_record.get("rescored", []), datetime.now(timezone.utc).isoformat()]
    results = write_results(
        run_dir,
        run_record,
        tasks,
        records,
        tier_map,
        judge_summary=run_record.get("judge"),
        metric_info=batch_info,
    )
    atomic_write_json(run_dir / "run.json", run_record)
    return results
