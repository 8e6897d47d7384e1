"""One evaluation run: tasks -> samples -> requests -> (cache | adapter) -> scores -> results on disk.

Everything that can be wrong with the configuration (task, model, languages, tiers, scoring,
data, output folder) is checked before the model is loaded, so mistakes cost seconds. Every
finished chunk is in samples.jsonl and every finished batch in the response cache before the
next starts, so an interrupted run resumes (`--resume RUN_DIR`, or the same command again)
without repeating a generation; samples whose generation failed are asked again on resume (unless
`retry_failed` is off). The run directory is locked while the run writes it, and the final files
(samples.jsonl, results.json, leaderboard.md, run.json) change in one commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tv_eval.core import registry
from tv_eval.core.adapter import AdapterSettings, ModelAdapter, ModelLoadError
from tv_eval.core.backends import choose_backend
from tv_eval.core.cache_root import cache_root
from tv_eval.core.io import atomic_write_json
from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.types import ModelIdentity, Sample, SampleStatus, ScoredSample
from tv_eval.data.tiers import TierMap
from tv_eval.judge.judging import TaskToJudge, load_prices, resolve_judge, run_judge_stage
from tv_eval.pipeline.cache import CACHE_FILE, ResponseCache
from tv_eval.pipeline.evaluation import evaluate_task
from tv_eval.pipeline.generation import CachedGeneration
from tv_eval.pipeline.judge_stage import judge_config
from tv_eval.pipeline.parallel.backend import BackendLoader, Execution, check_execution
from tv_eval.pipeline.parallel.worker import WorkerPoolError
from tv_eval.pipeline.preparation import PreparedTask, RunConfigError, check_output_dir, prepare_tasks
from tv_eval.pipeline.records import fresh_run_order, write_results
from tv_eval.pipeline.run_directory import discard_new_run_dir, new_run_record, open_run_dir
from tv_eval.results.document import ResultsDocument
from tv_eval.results.run_document import RUN_FILE, GenerationCounts, RunConfig, RunRecord
from tv_eval.results.samples_file import SampleRecordError, SamplesAppender, load_finished_records
from tv_eval.scoring.batch_scoring import apply_batch_scorers


class RunInterrupted(Exception):
    """Ctrl-C during a run, or its workers lost: what was finished is on disk; the run can be resumed.
    `exit_code` is what the CLI exits with (130 for Ctrl-C)."""

    def __init__(self, run_dir: Path, reason: str = "interrupted", exit_code: int = 130) -> None:
        super().__init__(f"{reason}; resume with: tv-eval run --resume {run_dir}")
        self.run_dir = run_dir
        self.exit_code = exit_code


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    results: ResultsDocument
    generated: int
    from_cache: int
    retried: int = 0


class ProgressHandle:
    """What the runner reports progress to; the CLI supplies a rich progress bar."""

    def advance(self, count: int) -> None:
        """Called after each finished chunk; the default reports nowhere."""

    def close(self) -> None:
        """Called once when the task's generation is done."""


ProgressFactory = Callable[[str, int], ProgressHandle]


def _silent_progress(_description: str, _total: int) -> ProgressHandle:
    return ProgressHandle()


@dataclass(frozen=True)
class _Model:
    """The evaluated model, resolved and checked, not yet loaded."""

    spec: registry.ModelSpec
    adapter_class: type[ModelAdapter]
    settings: AdapterSettings
    execution: Execution


def _check_before_loading(config: RunConfig) -> _Model:
    """Model, adapter, output folder and judge are checked before any data or weights load."""
    spec = choose_backend(registry.resolve_model(config.model), config.backend, config.device)
    adapter_class = registry.load_adapter_class(spec.adapter)
    check_output_dir(config.resume_dir or config.output_dir)
    settings = spec.settings(
        device=config.device,
        dtype=config.dtype,
        batch_size=config.batch_size,
        seed=config.seed,
        trust_remote_code=config.trust_remote_code,
        extra_options=config.adapter_options,
        revision=config.revision,
    )
    adapter_class.preflight(settings)
    execution = Execution(data_parallel=config.data_parallel, ray_address=config.ray_address)
    check_execution(settings, execution)
    if config.judge is not None:
        judge = judge_config(config.judge, config.device, config.seed)
        resolve_judge(judge)
        load_prices(judge.prices_path)
    return _Model(spec=spec, adapter_class=adapter_class, settings=settings, execution=execution)


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


def run(
    config: RunConfig, tier_map: TierMap, progress_factory: ProgressFactory = _silent_progress
) -> RunOutcome:
    started = time.perf_counter()
    model = _check_before_loading(config)
    identity = model.adapter_class.cache_identity(model.settings)
    loader = BackendLoader(model.adapter_class, model.settings, model.execution)
    if loader.can_start_early and not _cache_holds_answers(config, identity):
        loader.start()  # the model will be asked: worker processes load it while the data is read
    try:
        return _run_loaded(config, tier_map, model, (identity, loader), (started, progress_factory))
    finally:
        loader.close_unused()


def _cache_path(config: RunConfig) -> Path:
    return (config.cache_dir or cache_root()) / CACHE_FILE


def _cache_holds_answers(config: RunConfig, identity: ModelIdentity) -> bool:
    """Whether the cache may answer some requests, so that the model may not be needed at all."""
    if not config.use_cache or not _cache_path(config).exists():
        return False
    cache = ResponseCache(_cache_path(config))
    try:
        return cache.holds_answers_of(identity)
    finally:
        cache.close()


def _run_loaded(
    config: RunConfig,
    tier_map: TierMap,
    model: _Model,
    backend: tuple[ModelIdentity, BackendLoader],
    clock: tuple[float, ProgressFactory],
) -> RunOutcome:
    """The run after its checks: data, generation, scoring, the run's files."""
    identity, loader = backend
    started, progress_factory = clock
    prepared = prepare_tasks(config, tier_map, model.spec.options)
    data_loaded = time.perf_counter()
    with open_run_dir(config, model.spec.name) as run_dir:
        record = new_run_record(run_dir, config, model.spec, identity, prepared, tier_map)
        atomic_write_json(run_dir / RUN_FILE, record.to_json())
        cache = ResponseCache(_cache_path(config)) if config.use_cache else None
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
