"""`tv-eval score RUN_DIR`: re-score saved predictions under another scoring mode or tier map.

Uses only the run directory (locked while `score` writes it; a damaged samples.jsonl is refused
unless `--repair`, see saved_run.py): each samples.jsonl record carries what its task's scorer needs, so
neither the model nor the dataset is loaded. Tiers are looked up again in the tier map (the new
one, else the one the run was aggregated under) and the stored per-sample tiers rewritten.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tv_eval.core.io import read_json
from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.task import RequestType, Task
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import load_tier_map
from tv_eval.pipeline.judge_stage import configured_task, recorded_tier_map
from tv_eval.pipeline.preparation import checked_scoring
from tv_eval.pipeline.records import score_sample, write_results
from tv_eval.pipeline.run_directory import now
from tv_eval.pipeline.run_types import RunConfigError
from tv_eval.pipeline.saved_run import SavedRun, SavedRunError, open_saved_run
from tv_eval.results.document import ResultsDocument, ResultsSchemaError, validate_results
from tv_eval.results.run_document import RESULTS_FILE, RUN_FILE
from tv_eval.scoring.answer_language import checked_record


def rescore_record(task: Task, record: ScoredSample, scoring: str, kept_metrics: set[str]) -> ScoredSample:
    """The record under `scoring`. Left as they were: failures before scoring (bad data, model
    errors), log-likelihood verdicts (they need the model's values, not text), and judge verdicts
    the new mode would send back to the judge (their answer's language is checked again). Scores of
    batch scorers (COMET) are carried over."""
    if record.status is SampleStatus.FAILED and record.prediction is None:
        return record
    if task.request_type is RequestType.LOGLIKELIHOOD:
        return record
    sample = record.to_sample()
    rescored = score_sample(task, sample, scoring, record.prompt, record.prediction, None)
    if rescored.status is SampleStatus.NEEDS_JUDGE and record.judge_output is not None:
        return checked_record(record, task.expected_answer_language(sample, scoring))
    carried = {name: value for name, value in record.scores.items() if name in kept_metrics}
    if carried and rescored.status is SampleStatus.SCORED:
        return replace(rescored, scores={**carried, **rescored.scores})
    return rescored


def batch_metric_info(run_dir: Path, repair: bool) -> dict[str, dict[str, Any]]:
    """What batch scorers (COMET) reported per task in the previous results: their scores are kept.
    An unreadable results.json stops `score` unless it is repairing (then those scores are dropped)."""
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        return {}
    try:
        previous = validate_results(read_json(path))
    except (ResultsSchemaError, ValueError) as error:
        if repair:
            return {}
        raise SavedRunError(f"{path} is unreadable ({error}); `score --repair` rebuilds it") from error
    return {
        name: {
            metric: info.model_dump(mode="json", exclude_unset=True)
            for metric, info in (task.metric_info or {}).items()
            if info.kind.value != "corpus"
        }
        for name, task in previous.tasks.items()
    }


def _rescored(
    saved: SavedRun, scoring: str | None, kept: dict[str, Any]
) -> tuple[dict[str, Task], dict[str, list[ScoredSample]]]:
    """Each task configured as the run recorded, and its records under its (new) scoring mode."""
    tasks: dict[str, Task] = {}
    records: dict[str, list[ScoredSample]] = {}
    for name, task_run in saved.record.tasks.items():
        task = configured_task(name, saved.record)
        chosen = checked_scoring(task, scoring or task_run.scoring)
        if task.request_type is RequestType.LOGLIKELIHOOD and chosen != task_run.scoring:
            # Its verdicts come from the model's values under the recorded mode's requests.
            raise RunConfigError(
                f"task {name} was scored {task_run.scoring}; its {chosen} values need the model: "
                f"run it again with --scoring {chosen}"
            )
        task_run.scoring = chosen
        tasks[name] = task
        records[name] = [
            rescore_record(task, record, task_run.scoring, set(kept.get(name, {})))
            for record in saved.records
            if record.task == name
        ]
    return tasks, records


def rescore_run(
    run_dir: Path, scoring: str | None, tier_map_path: Path | None, repair: bool = False
) -> ResultsDocument:
    """Re-score and re-aggregate under `tier_map_path`, else the map the run was aggregated under.
    samples.jsonl, results.json, leaderboard.md and run.json change in one commit."""
    with open_saved_run(run_dir, repair) as saved:
        run_record = saved.record
        if run_record.status != "complete":
            raise SavedRunError(f"run {run_dir} is {run_record.status}; finish it with --resume first")
        batch_info = batch_metric_info(run_dir, repair)
        tasks, records = _rescored(saved, scoring, batch_info)
        if tier_map_path is not None and run_record.config is not None:
            run_record.config = run_record.config.model_copy(update={"tier_map": tier_map_path.resolve()})
        tier_map = (
            load_tier_map(tier_map_path) if tier_map_path is not None else recorded_tier_map(run_record)
        )
        run_record.tier_map = tier_map.name
        run_record.rescored = [*run_record.rescored, now()]
        with StagedFiles(run_dir) as staged:
            saved.stage_repair(staged)
            results = write_results(
                staged,
                run_record,
                tasks,
                records,
                tier_map,
                judge_summary=run_record.judge,
                metric_info=batch_info,
            )
            staged.write_json(RUN_FILE, run_record.to_json())
    return results
