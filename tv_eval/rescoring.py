"""`tv-eval score RUN_DIR`: re-score saved predictions under another scoring mode or tier map.

Uses only the run directory: each samples.jsonl record carries what its task's scorer needs, so
neither the model nor the dataset is loaded.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tv_eval import registry
from tv_eval.io import atomic_write_json, atomic_write_text, read_json
from tv_eval.runner import RunConfigError, load_finished_records
from tv_eval.scoring import score_sample, write_results
from tv_eval.task import Task
from tv_eval.tiers import TierMap
from tv_eval.types import SampleStatus, ScoredSample


def rescore_record(task: Task, record: ScoredSample, scoring: str) -> ScoredSample:
    """Failures that happened before scoring (bad data, model errors) stay as they were."""
    if record.status is SampleStatus.FAILED and record.prediction is None:
        return record
    return score_sample(task, record.to_sample(), scoring, record.prompt, record.prediction, None)


def rescore_run(run_dir: Path, scoring: str | None, tier_map: TierMap) -> dict[str, Any]:
    if not (run_dir / "run.json").is_file() or not (run_dir / "samples.jsonl").is_file():
        raise RunConfigError(f"{run_dir} is not a run directory (needs run.json and samples.jsonl)")
    run_record = read_json(run_dir / "run.json")
    if run_record.get("status") != "complete":
        raise RunConfigError(f"run {run_dir} is {run_record.get('status')}; finish it with --resume first")
    finished = load_finished_records(run_dir)
    tasks: dict[str, Task] = {}
    records: dict[str, list[ScoredSample]] = {}
    for name, task_run in run_record["tasks"].items():
        task = registry.load_task(name)
        mode = scoring or task_run["scoring"]
        if mode not in task.scoring_modes:
            raise RunConfigError(
                f"task {name} has no scoring mode {mode!r}; it has {', '.join(task.scoring_modes)}"
            )
        tasks[name] = task
        task_run["scoring"] = mode
        records[name] = [
            rescore_record(task, record, mode)
            for (task_name, _), record in finished.items()
            if task_name == name
        ]
    lines = [
        json.dumps(record.to_json(), ensure_ascii=False) + "\n" for name in tasks for record in records[name]
    ]
    atomic_write_text(run_dir / "samples.jsonl", "".join(lines))
    run_record["tier_map"] = tier_map.name
    run_record["rescored"] = [*run_record.get("rescored", []), datetime.now(timezone.utc).isoformat()]
    results = write_results(run_dir, run_record, tasks, records, tier_map)
    atomic_write_json(run_dir / "run.json", run_record)
    return results
