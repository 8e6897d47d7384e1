"""One evaluation run: tasks -> samples -> requests -> adapter -> scores -> results on disk.

Everything that can be wrong with the configuration (task, model, languages, tiers, scoring,
data, output folder) is checked before the model is loaded, so mistakes cost seconds.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tv_eval import registry
from tv_eval.adapter import AdapterSettings, ModelAdapter
from tv_eval.aggregation import aggregate_task
from tv_eval.batch_scoring import BatchScorer, apply_batch_scorers
from tv_eval.io import JsonlAppender, atomic_write_json, atomic_write_text
from tv_eval.loglikelihood_eval import evaluate_loglikelihood_task
from tv_eval.reports import leaderboard_markdown
from tv_eval.results import build_results, validate_results
from tv_eval.run_record import environment_record
from tv_eval.task import LOGLIKELIHOOD, DataSource, LoadedTask, Score, Task
from tv_eval.tiers import TierMap
from tv_eval.types import Request, Sample, SampleStatus, ScoredSample

SMOKE_NOTICE = (
    "SMOKE RUN: a tiny random-weight model and/or synthetic sample data; "
    "the numbers test the pipeline, not any model's ability."
)


class RunConfigError(ValueError):
    """A run that cannot start as configured; the CLI turns it into exit code 2."""


@dataclass(frozen=True)
class RunConfig:
    model: str
    tasks: tuple[str, ...]
    output_dir: Path
    languages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    limit: int | None = None
    batch_size: int | None = None
    device: str = "auto"
    dtype: str = "auto"
    seed: int = 0
    scoring: str | None = None
    use_sample: bool = False
    data_dir: Path | None = None
    trust_remote_code: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)
    task_options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class PreparedTask:
    task: Task
    scoring: str
    loaded: LoadedTask
    samples: list[Sample]
    scorers: list[BatchScorer] = field(default_factory=list)


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    results: dict[str, Any]


ProgressFactory = Callable[[str, int], "ProgressHandle"]


class ProgressHandle:
    """What the runner reports progress to; the CLI supplies a rich progress bar."""

    def advance(self, count: int) -> None:
        """Called after each finished chunk; the default reports nowhere."""

    def close(self) -> None:
        """Called once when the task's generation is done."""


def _silent_progress(_description: str, _total: int) -> ProgressHandle:
    return ProgressHandle()


def select_samples(
    samples: Sequence[Sample], languages: Sequence[str], tiers: Sequence[str], limit: int | None
) -> list[Sample]:
    """Filter by language and tier; `limit` takes samples round-robin over languages, in data order,
    so a limited run still covers every selected language."""
    selected = [
        sample
        for sample in samples
        if (not languages or sample.language in languages) and (not tiers or sample.tier in tiers)
    ]
    if limit is None or limit >= len(selected):
        return selected
    by_language: dict[str, list[Sample]] = {}
    for sample in selected:
        by_language.setdefault(sample.language, []).append(sample)
    chosen: list[Sample] = []
    queues = [iter(group) for group in by_language.values()]
    while len(chosen) < limit and queues:
        still_open = []
        for queue in queues:
            sample = next(queue, None)
            if sample is not None and len(chosen) < limit:
                chosen.append(sample)
                still_open.append(queue)
        queues = still_open
    order = {sample.sample_id: position for position, sample in enumerate(selected)}
    return sorted(chosen, key=lambda sample: order[sample.sample_id])


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")[:60]
    return f"{stamp}_{slug}"


def prepare_tasks(config: RunConfig, tier_map: TierMap) -> list[PreparedTask]:
    """Resolve tasks and load their data; every configuration error surfaces here."""
    prepared = []
    unknown = sorted(set(config.task_options) - set(config.tasks))
    if unknown:
        raise RunConfigError(f"--task-option names task(s) not in --tasks: {', '.join(unknown)}")
    for name in config.tasks:
        task = registry.load_task(name)
        task.configure(config.task_options.get(name, {}))
        scoring = config.scoring or task.default_scoring
        if scoring not in task.scoring_modes:
            raise RunConfigError(
                f"task {name} has no scoring mode {scoring!r}; it has {', '.join(task.scoring_modes)}"
            )
        source = DataSource(use_sample=config.use_sample, data_dir=config.data_dir)
        loaded = task.load(source, tier_map)
        samples = select_samples(loaded.samples, config.languages, config.tiers, config.limit)
        if not samples:
            wanted = ", ".join([*config.languages, *(f"tier {tier}" for tier in config.tiers)]) or "anything"
            raise RunConfigError(f"task {name} has no samples for {wanted}")
        scorers = list(task.batch_scorers(scoring))
        for scorer in scorers:
            scorer.prepare()
        prepared.append(
            PreparedTask(task=task, scoring=scoring, loaded=loaded, samples=samples, scorers=scorers)
        )
    return prepared


def score_sample(
    task: Task,
    sample: Sample,
    scoring: str,
    request: Request | None,
    response_text: str | None,
    response_error: str | None,
    verdict: Score | None = None,
) -> ScoredSample:
    """Combine a sample, what the model said and the task's verdict into the persisted record.

    `verdict` is given when the task judged the sample itself (log-likelihood tasks); otherwise the
    task scores `response_text`.
    """
    prompt = request.prompt_text if request is not None else ""
    details: Mapping[str, Any] = {}
    if sample.load_error:
        status, scores, extracted, error = SampleStatus.FAILED, {}, None, sample.load_error
    elif not task.needs_model(sample, scoring):
        status, scores, extracted, error = SampleStatus.EXCLUDED, {}, None, None
    elif response_error is not None or response_text is None:
        status, scores, extracted, error = SampleStatus.FAILED, {}, None, response_error or "no response"
    else:
        verdict = verdict or task.score(sample, response_text, scoring)
        status, scores, extracted, error = verdict.status, verdict.scores, verdict.extracted, verdict.error
        details = verdict.details
    return ScoredSample(
        sample_id=sample.sample_id,
        task=sample.task,
        language=sample.language,
        tier=sample.tier,
        status=status,
        prompt=prompt,
        prediction=response_text,
        reference=sample.reference,
        scores=dict(scores),
        extracted=extracted,
        error=error,
        cluster_id=sample.cluster_id,
        category=sample.category,
        question_type=sample.question_type,
        script=sample.script,
        country=sample.country,
        source=sample.text or None,
        details=dict(details),
    )


def evaluate_task(
    prepared: PreparedTask,
    adapter: ModelAdapter,
    writer: JsonlAppender,
    chunk_size: int,
    progress: ProgressHandle,
) -> list[ScoredSample]:
    """Generate in chunks and persist each chunk's records before starting the next."""
    task, scoring = prepared.task, prepared.scoring
    records: list[ScoredSample] = []
    runnable = [s for s in prepared.samples if not s.load_error and task.needs_model(s, scoring)]
    skipped = [s for s in prepared.samples if s.load_error or not task.needs_model(s, scoring)]
    skipped_records = [score_sample(task, sample, scoring, None, None, None) for sample in skipped]
    writer.write_batch(record.to_json() for record in skipped_records)
    records.extend(skipped_records)
    for chunk in _chunks(runnable, chunk_size):
        requests = [task.build_request(sample, scoring) for sample in chunk]
        responses = adapter.generate(requests)
        chunk_records = [
            score_sample(
                task,
                sample,
                scoring,
                request,
                response.text if response.error is None else None,
                response.error,
            )
            for sample, request, response in zip(chunk, requests, responses, strict=True)
        ]
        writer.write_batch(record.to_json() for record in chunk_records)
        records.extend(chunk_records)
        progress.advance(len(chunk))
    progress.close()
    return records


def run(
    config: RunConfig,
    tier_map: TierMap,
    progress_factory: ProgressFactory = _silent_progress,
) -> RunOutcome:
    started = time.perf_counter()
    spec = registry.resolve_model(config.model)
    adapter_class = registry.load_adapter_class(spec.adapter)
    prepared = prepare_tasks(config, tier_map)
    data_loaded = time.perf_counter()

    run_id = _run_id(spec.name)
    run_dir = config.output_dir / run_id
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise RunConfigError(f"cannot create run directory {run_dir}: {error.strerror or error}") from error

    smoke = config.use_sample or spec.adapter == "tiny_random"
    run_record: dict[str, Any] = {
        "run_id": run_id,
        "status": "running",
        "created": datetime.now(timezone.utc).isoformat(),
        "smoke_run": smoke,
        "notice": SMOKE_NOTICE if smoke else None,
        "model": {
            "name": spec.name,
            "adapter": spec.adapter,
            "model_id": spec.model_id,
            "revision": spec.revision,
        },
        "tasks": {
            item.task.name: {
                "scoring": item.scoring,
                "prompts_hash": item.task.prompts_hash(),
                "dataset": vars(item.loaded.dataset),
                "num_samples": len(item.samples),
            }
            for item in prepared
        },
        "arguments": config.arguments,
        "seed": config.seed,
        "tier_map": tier_map.name,
        "environment": environment_record(),
    }
    atomic_write_json(run_dir / "run.json", run_record)

    settings = AdapterSettings(
        model_id=spec.model_id,
        revision=spec.revision,
        device=config.device,
        dtype=config.dtype,
        batch_size=config.batch_size,
        seed=config.seed,
        trust_remote_code=config.trust_remote_code,
        options={**spec.options, "default_dtype": spec.dtype} if spec.dtype else dict(spec.options),
    )
    adapter = adapter_class(settings)
    model_loaded = time.perf_counter()
    run_record["model"].update(vars(adapter.identity))

    chunk_size = max(32, 4 * (config.batch_size or 8))
    all_records: dict[str, list[ScoredSample]] = {}
    try:
        with JsonlAppender(run_dir / "samples.jsonl") as writer:
            for item in prepared:
                progress = progress_factory(
                    item.task.name,
                    sum(
                        1 for s in item.samples if not s.load_error and item.task.needs_model(s, item.scoring)
                    ),
                )
                evaluate = (
                    evaluate_loglikelihood_task if item.task.request_type == LOGLIKELIHOOD else evaluate_task
                )
                all_records[item.task.name] = evaluate(item, adapter, writer, chunk_size, progress)
    finally:
        adapter.close()
    generated = time.perf_counter()

    metric_info: dict[str, dict[str, Any]] = {}
    for item in prepared:
        all_records[item.task.name], metric_info[item.task.name] = apply_batch_scorers(
            item.scorers, all_records[item.task.name]
        )
    if any(item.scorers for item in prepared):
        rewrite_samples(run_dir / "samples.jsonl", all_records)
    batch_scored = time.perf_counter()
    aggregates = {}
    for item in prepared:
        records = all_records[item.task.name]
        corpus = item.task.corpus_metrics(item.scoring)
        aggregates[item.task.name] = aggregate_task(
            records,
            tier_map=tier_map,
            breakdowns=item.task.breakdowns,
            seed=config.seed,
            corpus_metrics=corpus,
        )
        info = {metric.name: metric.describe(records) for metric in corpus} | metric_info[item.task.name]
        if info:
            aggregates[item.task.name]["metric_info"] = info
    results = build_results(run_record, {item.task.name: item.task for item in prepared}, aggregates)
    validate_results(results)
    atomic_write_json(run_dir / "results.json", results)
    atomic_write_text(run_dir / "leaderboard.md", leaderboard_markdown(results))
    finished = time.perf_counter()
    run_record["status"] = "complete"
    run_record["timings"] = {
        "load_data_s": round(data_loaded - started, 3),
        "load_model_s": round(model_loaded - data_loaded, 3),
        "generate_and_score_s": round(generated - model_loaded, 3),
        "batch_score_s": round(batch_scored - generated, 3),
        "aggregate_s": round(finished - batch_scored, 3),
        "total_s": round(finished - started, 3),
    }
    atomic_write_json(run_dir / "run.json", run_record)
    return RunOutcome(run_dir=run_dir, results=results)


def rewrite_samples(path: Path, records: Mapping[str, Sequence[ScoredSample]]) -> None:
    """Replace samples.jsonl with the final records once batch scorers (COMET) have added their scores."""
    lines = [
        json.dumps(record.to_json(), ensure_ascii=False) for group in records.values() for record in group
    ]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
