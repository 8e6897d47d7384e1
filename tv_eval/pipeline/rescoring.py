"""`tv-eval score RUN_DIR`: re-score saved predictions under another scoring mode or tier map.

Uses only the run directory: each samples.jsonl record carries what its task's scorer needs, so
neither the model nor the dataset is loaded. Tiers are looked up again in the tier map (the new
one, else the one the run was aggregated under) and the stored per-sample tiers rewritten.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tv_eval.core.io import atomic_write_json, read_json
from tv_eval.core.task import RequestType, Task
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import load_tier_map
from tv_eval.pipeline.judge_stage import configured_task, recorded_tier_map
from tv_eval.pipeline.preparation import RunConfigError, checked_scoring
from tv_eval.pipeline.records import score_sample, write_results
from tv_eval.pipeline.run_directory import now
from tv_eval.results.document import ResultsDocument, validate_results
from tv_eval.results.run_document import RUN_FILE, RunRecord, read_run_record
from tv_eval.results.samples_file import SAMPLES_FILE, load_finished_records


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


def _finished_run(run_dir: Path) -> RunRecord:
    if not (run_dir / RUN_FILE).is_file() or not (run_dir / SAMPLES_FILE).is_file():
        raise RunConfigError(f"{run_dir} is not a run directory (needs run.json and samples.jsonl)")
    try:
        run_record = read_run_record(run_dir)
    except (ValueError, ValidationError) as error:
        raise RunConfigError(f"{run_dir / RUN_FILE} is not a run record: {error}") from error
    if run_record.status != "complete":
        raise RunConfigError(f"run {run_dir} is {run_record.status}; finish it with --resume first")
    return run_record


def _batch_metric_info(run_dir: Path) -> dict[str, dict[str, Any]]:
    """What batch scorers (COMET) reported per task in the previous results: their scores are kept."""
    if not (run_dir / "results.json").is_file():
        return {}
    previous = validate_results(read_json(run_dir / "results.json"))
    return {
        name: {
            metric: info.model_dump(mode="json", exclude_unset=True)
            for metric, info in (task.metric_info or {}).items()
            if info.kind.value != "corpus"
        }
        for name, task in previous.tasks.items()
    }


def rescore_run(run_dir: Path, scoring: str | None, tier_map_path: Path | None) -> ResultsDocument:
    """Re-score and re-aggregate under `tier_map_path`, else the map the run was aggregated under."""
    run_record = _finished_run(run_dir)
    batch_info = _batch_metric_info(run_dir)
    finished = load_finished_records(run_dir)
    tasks: dict[str, Task] = {}
    records: dict[str, list[ScoredSample]] = {}
    for name, task_run in run_record.tasks.items():
        task = configured_task(name, run_record)
        chosen = checked_scoring(task, scoring or task_run.scoring)
        if task.request_type is RequestType.LOGLIKELIHOOD and chosen != task_run.scoring:
            # Its verdicts come from the model's values under the recorded mode's requests.
            raise RunConfigError(
                f"task {name} was scored {task_run.scoring}; its {chosen} values need the model: "
                f"run it again with --scoring {chosen}"
            )
        task_run.scoring = chosen
        tasks[name] = task
        kept = set(batch_info.get(name, {}))
        records[name] = [
            rescore_record(task, record, task_run.scoring, kept)
            for (task_name, _), record in finished.items()
            if task_name == name
        ]
    if tier_map_path is not None and run_record.config is not None:
        run_record.config = run_record.config.model_copy(update={"tier_map": tier_map_path.resolve()})
    tier_map = load_tier_map(tier_map_path) if tier_map_path is not None else recorded_tier_map(run_record)
    run_record.tier_map = tier_map.name
    run_record.rescored = [*run_record.rescored, now()]
    results = write_results(
        run_dir, run_record, tasks, records, tier_map, judge_summary=run_record.judge, metric_info=batch_info
    )
    atomic_write_json(run_dir / RUN_FILE, run_record.to_json())
    return results
