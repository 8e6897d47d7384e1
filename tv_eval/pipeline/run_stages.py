"""A run after the checks of its model, with its workers (if any) already loading: the judge's check,
the data, generation, batch scoring and the judge, and the run's files.

Kept apart from `runner.py` so that the driver starts its workers before importing this (numpy and the
aggregation modules among them, about 0.15 s on a 2-core machine)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tv_eval.core.adapter import ModelLoadError
from tv_eval.core.io import atomic_write_json
from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.types import ModelIdentity, Sample, SampleStatus, ScoredSample
from tv_eval.data.tiers import TierMap
from tv_eval.judge.judging import TaskToJudge, load_prices, resolve_judge, run_judge_stage
from tv_eval.pipeline.cache import ResponseCache
from tv_eval.pipeline.evaluation import evaluate_task
from tv_eval.pipeline.generation import CachedGeneration
from tv_eval.pipeline.judge_stage import judge_config
from tv_eval.pipeline.parallel.backend import BackendLoader
from tv_eval.pipeline.parallel.worker import WorkerPoolError
from tv_eval.pipeline.preparation import PreparedTask, prepare_tasks
from tv_eval.pipeline.records import fresh_run_order, write_results
from tv_eval.pipeline.run_directory import discard_new_run_dir, new_run_record, open_run_dir
from tv_eval.pipeline.run_types import (
    CheckedModel,
    ProgressFactory,
    RunConfigError,
    RunInterrupted,
    RunOutcome,
    response_cache_path,
)
from tv_eval.results.run_document import RUN_FILE, GenerationCounts, RunConfig, RunRecord
from tv_eval.results.samples_file import SampleRecordError, SamplesAppender, load_finished_records
from tv_eval.scoring.batch_scoring import apply_batch_scorers


def _needs_retry(item: PreparedTask, sample: Sample, record: ScoredSample) -> bool:
    """A sample that failed in generation (an API error, a value the model could not compute), not on
    its data: such a failure was never cached, so asking again may succeed."""
    return (
        record.status is SampleStatus.FAILED
        and record.prediction is None
        and not sample.load_error
        and item.task.needs_model(sample, item.scoring)
    )


@dataclass(frozen=True)
class _Generated:
    records: dict[str, list[ScoredSample]]
    retried: int


def _generate_all(
    prepared: Sequence[PreparedTask],
    run_dir: Path,
    generation: CachedGeneration,
    options: tuple[int, bool],
    progress_factory: ProgressFactory,
) -> _Generated:
    """Every task's records, in a fresh run's order: those finished before a resume and those
    generated now. `options`: the chunk size, and whether failed generations are asked again."""
    chunk_size, retry_failed = options
    try:
        finished = load_finished_records(run_dir)
    except SampleRecordError as error:
        raise RunConfigError(f"cannot resume: {error}") from error
    all_records: dict[str, list[ScoredSample]] = {}
    retried = 0
    with SamplesAppender(run_dir) as writer:
        for item in prepared:
            name = item.task.name
            done = {
                s.sample_id: finished[(name, s.sample_id)]
                for s in item.samples
                if (name, s.sample_id) in finished
                and not (retry_failed and _needs_retry(item, s, finished[(name, s.sample_id)]))
            }
            retried += sum(1 for s in item.samples if (name, s.sample_id) in finished) - len(done)
            todo = replace(item, samples=[s for s in item.samples if s.sample_id not in done])
            total = sum(
                1
                for s in todo.samples
                if not item.task.sample_error(s, item.scoring) and item.task.needs_model(s, item.scoring)
            )
            generated = evaluate_task(todo, generation, writer, chunk_size, progress_factory(name, total))
            by_id = done | {record.sample_id: record for record in generated}
            all_records[name] = [
                by_id[s.sample_id] for s in fresh_run_order(item.task, item.samples, item.scoring)
            ]
    return _Generated(records=all_records, retried=retried)


def _batch_score_and_judge(
    config: RunConfig, prepared: Sequence[PreparedTask], records: dict[str, list[ScoredSample]]
) -> tuple[dict[str, list[ScoredSample]], dict[str, Mapping[str, Any]], dict[str, Any] | None]:
    """After the model is released: batch scorers (COMET), then the judge where one was asked for."""
    metric_info: dict[str, Mapping[str, Any]] = {}
    for item in prepared:
        records[item.task.name], metric_info[item.task.name] = apply_batch_scorers(
            item.scorers, records[item.task.name]
        )
    if config.judge is None:
        return records, metric_info, None
    to_judge = [TaskToJudge(task=item.task, scoring=item.scoring, samples=item.samples) for item in prepared]
    judged, summary = run_judge_stage(
        judge_config(config.judge, config.device, config.seed), to_judge, records
    )
    return judged, metric_info, summary


def _check_judge(config: RunConfig) -> None:
    """The judge's model, adapter and prices, checked before any data loads."""
    if config.judge is not None:
        judge = judge_config(config.judge, config.device, config.seed)
        resolve_judge(judge)
        load_prices(judge.prices_path)


def run_loaded(
    config: RunConfig,
    tier_map: TierMap,
    model: CheckedModel,
    backend: tuple[ModelIdentity, BackendLoader],
    clock: tuple[float, ProgressFactory],
) -> RunOutcome:
    """The run after its checks: data, generation, scoring, the run's files."""
    identity, loader = backend
    started, progress_factory = clock
    _check_judge(config)
    prepared = prepare_tasks(config, tier_map, model.spec.options)
    data_loaded = time.perf_counter()
    with open_run_dir(config, model.spec.name) as run_dir:
        record = new_run_record(run_dir, config, model.spec, identity, prepared, tier_map)
        atomic_write_json(run_dir / RUN_FILE, record.to_json())
        cache = ResponseCache(response_cache_path(config)) if config.use_cache else None
        generation = CachedGeneration(loader, identity, cache)
        generated = _generate(config, prepared, run_dir, record, generation, progress_factory)
        if generation.adapter is not None:
            record.execution = loader.record(generation.adapter)
        generated_at = time.perf_counter()
        records, metric_info, judge_summary = _batch_score_and_judge(config, prepared, generated.records)
        if judge_summary is not None:
            record.judge = judge_summary
        batch_scored = time.perf_counter()
        tasks = {item.task.name: item.task for item in prepared}
        with StagedFiles(run_dir) as staged:
            results = write_results(
                staged, record, tasks, records, tier_map, judge_summary=judge_summary, metric_info=metric_info
            )
            marks = [started, data_loaded, generated_at, batch_scored, time.perf_counter()]
            _finish_record(record, generation, marks)
            staged.write_json(RUN_FILE, record.to_json())
    return RunOutcome(
        run_dir=run_dir,
        results=results,
        generated=generation.generated,
        from_cache=generation.from_cache,
        retried=generated.retried,
    )


def _generate(
    config: RunConfig,
    prepared: Sequence[PreparedTask],
    run_dir: Path,
    record: RunRecord,
    generation: CachedGeneration,
    progress_factory: ProgressFactory,
) -> _Generated:
    """Generation with the model released afterwards; Ctrl-C leaves a resumable run, a model that
    does not load leaves no directory behind."""
    options = (max(32, 4 * (config.batch_size or 8)), config.retry_failed)
    try:
        return _generate_all(prepared, run_dir, generation, options, progress_factory)
    except KeyboardInterrupt:
        record.status = "interrupted"
        atomic_write_json(run_dir / RUN_FILE, record.to_json())
        raise RunInterrupted(run_dir) from None
    except WorkerPoolError as error:
        record.status = "interrupted"
        atomic_write_json(run_dir / RUN_FILE, record.to_json())
        raise RunInterrupted(run_dir, str(error), exit_code=1) from error
    except ModelLoadError:
        discard_new_run_dir(config, run_dir)
        raise
    finally:
        if generation.adapter is not None:
            record.model = record.model.model_copy(update=vars(generation.adapter.identity))
        generation.close()


def _finish_record(record: RunRecord, generation: CachedGeneration, marks: Sequence[float]) -> None:
    """Status, generation counts and stage timings (`marks`: start, data, generation, judge, end)."""
    started, data_loaded, generated_at, batch_scored, done_at = marks
    record.status = "complete"
    record.generation = GenerationCounts(
        generated=generation.generated,
        from_cache=generation.from_cache,
        model_loaded=generation.adapter is not None,
    )
    record.timings = {
        "load_data_s": round(data_loaded - started, 3),
        "generate_and_score_s": round(generated_at - data_loaded, 3),
        "batch_score_and_judge_s": round(batch_scored - generated_at, 3),
        "aggregate_s": round(done_at - batch_scored, 3),
        "total_s": round(done_at - started, 3),
    }
