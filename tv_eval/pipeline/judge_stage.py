"""Wiring the judge stage into runs: after scoring in `tv-eval run --judge`, and on saved predictions
in `tv-eval score RUN_DIR --judge`. Saved records carry what a judge prompt quotes (question,
references, metadata), so judging a saved run loads neither the model nor the dataset.

Either way the run directory ends up as a judged run would have written it: samples.jsonl with the
judged records, results.json and leaderboard.md re-aggregated, and run.json recording the judge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tv_eval.core import registry
from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.task import DataSource, Task
from tv_eval.data.tiers import TierMap, joshi_tier_map, load_tier_map
from tv_eval.judge.judging import JudgeConfig, TaskToJudge, run_judge_stage
from tv_eval.pipeline.records import write_results
from tv_eval.pipeline.run_directory import now
from tv_eval.pipeline.saved_run import open_saved_run
from tv_eval.results.document import ResultsDocument
from tv_eval.results.run_document import RUN_FILE, JudgeOptions, RunRecord, api_options
from tv_eval.results.samples_file import records_by_task


@dataclass(frozen=True)
class JudgedRun:
    run_dir: Path
    results: ResultsDocument


def judge_config(options: JudgeOptions, device: str, seed: int) -> JudgeConfig:
    """The judge stage's configuration from the judge options of a run or of `score`."""
    return JudgeConfig(
        model=options.model,
        device=device,
        seed=seed,
        options=api_options(options.base_url, options.api_key_file, options.concurrency),
        cache_path=options.cache,
        prices_path=options.prices,
    )


def recorded_tier_map(run_record: RunRecord) -> TierMap:
    """The tier map the run was last aggregated under (a user map's file, else Joshi et al.)."""
    path = run_record.config.tier_map if run_record.config is not None else None
    return load_tier_map(path) if path else joshi_tier_map()


def configured_task(name: str, run_record: RunRecord) -> Task:
    """A task of a saved run, configured as the run recorded (its options and its data source)."""
    task = registry.load_task(name)
    dataset = run_record.tasks[name].dataset.model_dump(mode="json")
    task.configure(dict(run_record.task_options.get(name, {})), DataSource.recorded(dataset))
    return task


def judge_saved_run(run_dir: Path, judge: JudgeConfig, repair: bool = False) -> JudgedRun:
    """Judge a finished run's saved predictions and rewrite its outputs; the model is never loaded."""
    with open_saved_run(run_dir, repair) as saved:
        run_record = saved.record
        started = time.perf_counter()
        tasks = {name: configured_task(name, run_record) for name in run_record.tasks}
        records = records_by_task(saved.records, tasks)
        items = [
            TaskToJudge(
                task=task,
                scoring=run_record.tasks[name].scoring,
                samples=[r.to_sample() for r in records[name]],
            )
            for name, task in tasks.items()
        ]
        judged, summary = run_judge_stage(judge, items, records)
        with StagedFiles(run_dir) as staged:
            saved.stage_repair(staged)
            results = write_results(
                staged, run_record, tasks, judged, recorded_tier_map(run_record), judge_summary=summary
            )
            run_record.judge = summary
            run_record.history = [
                *run_record.history,
                {
                    "stage": "judge",
                    "judge": judge.model,
                    "finished": now(),
                    "seconds": round(time.perf_counter() - started, 3),
                },
            ]
            staged.write_json(RUN_FILE, run_record.to_json())
    return JudgedRun(run_dir=run_dir, results=results)
