"""Wiring the judge stage into runs: after scoring in `tv-eval run --judge`, and on saved predictions
in `tv-eval score RUN_DIR --judge` (no model is loaded; the dataset is read again for the questions
and references the judge needs, from the source the run recorded).

Either way the run directory ends up as a judged run would have written it: samples.jsonl with the
judged records, results.json and leaderboard.md re-aggregated, and run.json recording the judge.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tv_eval.core import registry
from tv_eval.core.io import atomic_write_json, atomic_write_text, read_json, read_jsonl
from tv_eval.core.task import DataSource, Task
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import TierMap, joshi_tier_map, load_tier_map
from tv_eval.judge.judging import JudgeConfig, TaskToJudge, run_judge_stage
from tv_eval.pipeline.records import write_results


class SavedRunError(ValueError):
    """A run directory that cannot be judged (missing or unreadable files); exit code 2."""


@dataclass(frozen=True)
class JudgedRun:
    run_dir: Path
    results: dict[str, Any]


def write_samples(path: Path, records: Sequence[ScoredSample]) -> None:
    """Replace samples.jsonl in one atomic step with the records after the judge stage."""
    atomic_write_text(path, "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records))


def judge_after_scoring(
    judge: JudgeConfig,
    items: Sequence[TaskToJudge],
    records: dict[str, list[ScoredSample]],
    samples_path: Path,
) -> tuple[dict[str, list[ScoredSample]], dict[str, Any]]:
    """The runner's hook: judge, then persist the judged records before anything is aggregated."""
    judged, summary = run_judge_stage(judge, items, records)
    write_samples(samples_path, [record for item in items for record in judged[item.task.name]])
    return judged, summary


def _saved_tier_map(run_record: dict[str, Any]) -> TierMap:
    path = (run_record.get("arguments") or {}).get("tier_map")
    return load_tier_map(Path(path)) if path else joshi_tier_map()


def _source(run_record: dict[str, Any]) -> DataSource:
    arguments = run_record.get("arguments") or {}
    data_dir = arguments.get("data_dir")
    return DataSource(
        use_sample=bool(arguments.get("sample")),
        data_dir=Path(data_dir) if data_dir else None,
        revision=arguments.get("data_revision"),
    )


def judge_saved_run(run_dir: Path, judge: JudgeConfig) -> JudgedRun:
    """Judge a finished run's saved predictions and rewrite its outputs; the model is never loaded."""
    run_path, samples_path = run_dir / "run.json", run_dir / "samples.jsonl"
    if not run_path.is_file() or not samples_path.is_file():
        raise SavedRunError(f"{run_dir} has no run.json and samples.jsonl (is it a run directory?)")
    try:
        run_record = read_json(run_path)
        saved = [ScoredSample.from_json(line) for line in read_jsonl(samples_path)]
    except (ValueError, KeyError) as error:
        raise SavedRunError(f"{run_dir} holds unreadable run files: {error}") from error
    started = time.perf_counter()
    tier_map = _saved_tier_map(run_record)
    source = _source(run_record)
    options = run_record.get("task_options") or {}
    tasks: dict[str, Task] = {}
    items: list[TaskToJudge] = []
    for name, entry in run_record["tasks"].items():
        task = registry.load_task(name)
        task.configure(options.get(name, {}), source)
        tasks[name] = task
        loaded = task.load(source, tier_map)
        items.append(TaskToJudge(task=task, scoring=entry["scoring"], samples=loaded.samples))
    records: dict[str, list[ScoredSample]] = {name: [] for name in tasks}
    for record in saved:
        records.setdefault(record.task, []).append(record)
    judged, summary = judge_after_scoring(judge, items, records, samples_path)
    results = write_results(run_dir, run_record, tasks, judged, tier_map, judge_summary=summary)
    run_record["judge"] = summary
    run_record.setdefault("history", []).append(
        {
            "stage": "judge",
            "judge": judge.model,
            "finished": datetime.now(timezone.utc).isoformat(),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
    atomic_write_json(run_path, run_record)
    return JudgedRun(run_dir=run_dir, results=results)
