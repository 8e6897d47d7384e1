"""One evaluation run: tasks -> samples -> requests -> (cache | adapter) -> scores -> results on disk.

Everything that can be wrong with the configuration (task, model, languages, tiers, scoring,
data, output folder) is checked before the model is loaded, so mistakes cost seconds. Every
finished chunk is in samples.jsonl and every finished batch in the response cache before the
next starts, so an interrupted run resumes (`--resume RUN_DIR`, or the same command again)
without repeating a generation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tv_eval.core import registry
from tv_eval.core.cache_root import cache_root
from tv_eval.core.io import JsonlAppender, atomic_write_json, read_json, read_jsonl, truncate_partial_line
from tv_eval.core.task import DataSource, LoadedTask, ScoringMode, Task, TaskConfigError
from tv_eval.core.types import Sample, ScoredSample
from tv_eval.data.tiers import TierMap
from tv_eval.judge.judging import JudgeConfig, TaskToJudge, load_prices, resolve_judge
from tv_eval.pipeline.cache import CACHE_FILE, ResponseCache
from tv_eval.pipeline.evaluation import evaluate_task
from tv_eval.pipeline.generation import CachedGeneration
from tv_eval.pipeline.judge_stage import judge_after_scoring
from tv_eval.pipeline.records import rewrite_samples, write_results
from tv_eval.pipeline.run_record import environment_record
from tv_eval.scoring.batch_scoring import BatchScorer, apply_batch_scorers

SMOKE_NOTICE = (
    "SMOKE RUN: a tiny random-weight model and/or synthetic sample data; "
    "the numbers test the pipeline, not any model's ability."
)


class RunConfigError(ValueError):
    """A run that cannot start as configured; the CLI turns it into exit code 2."""


class RunInterrupted(Exception):
    """Ctrl-C during a run: what was finished is on disk; the run can be resumed."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(f"interrupted; resume with: tv-eval run --resume {run_dir}")
        self.run_dir = run_dir


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
    use_cache: bool = True
    cache_dir: Path | None = None
    resume_dir: Path | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    adapter_options: Mapping[str, Any] = field(default_factory=dict)
    video_frames: int | None = None
    judge: JudgeConfig | None = None
    task_options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    revision: str | None = None
    data_revision: str | None = None


@dataclass
class PreparedTask:
    task: Task
    scoring: ScoringMode
    loaded: LoadedTask
    samples: list[Sample]
    scorers: list[BatchScorer] = field(default_factory=list)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    results: dict[str, Any]
    generated: int
    from_cache: int


class ProgressHandle:
    """What the runner reports progress to; the CLI supplies a rich progress bar."""

    def advance(self, count: int) -> None:
        """Called after each finished chunk; the default reports nowhere."""

    def close(self) -> None:
        """Called once when the task's generation is done."""


ProgressFactory = Callable[[str, int], ProgressHandle]


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


def _run_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")[:60]
    return f"{stamp}_{slug}"


def check_output_dir(output_dir: Path) -> None:
    """Fail before any data or model loads when results could not be written."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / ".tv-eval-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise RunConfigError(
            f"cannot write to output directory {output_dir}: {error.strerror or error}"
        ) from error


def effective_task_options(task: Task, config: RunConfig, model_options: Mapping[str, Any]) -> dict[str, Any]:
    """A task's --task-option values, plus the run-level options it declares: the video frame count
    asked for with --video-frames, else the model alias's default."""
    options: dict[str, Any] = {}
    frames = config.video_frames or model_options.get("video_frames")
    if frames and "video_frames" in task.option_help:
        options["video_frames"] = str(int(frames))
    return {**options, **config.task_options.get(task.name, {})}


def prepare_tasks(
    config: RunConfig, tier_map: TierMap, model_options: Mapping[str, Any] | None = None
) -> list[PreparedTask]:
    """Resolve tasks and load their data; every configuration error surfaces here."""
    prepared = []
    unknown = sorted(set(config.task_options) - set(config.tasks))
    if unknown:
        raise RunConfigError(f"--task-option names task(s) not in --tasks: {', '.join(unknown)}")
    for name in config.tasks:
        task = registry.load_task(name)
        options = effective_task_options(task, config, model_options or {})
        source = DataSource(
            use_sample=config.use_sample, data_dir=config.data_dir, revision=config.data_revision
        )
        task.configure(options, source)
        try:
            scoring = task.scoring_mode(config.scoring)
        except TaskConfigError as error:
            raise RunConfigError(str(error)) from error
        loaded = task.load(source, tier_map)
        samples = select_samples(loaded.samples, config.languages, config.tiers, config.limit)
        if not samples:
            wanted = ", ".join([*config.languages, *(f"tier {tier}" for tier in config.tiers)]) or "anything"
            raise RunConfigError(f"task {name} has no samples for {wanted}")
        scorers = list(task.batch_scorers(scoring))
        for scorer in scorers:
            scorer.prepare()
        prepared.append(
            PreparedTask(
                task=task, scoring=scoring, loaded=loaded, samples=samples, scorers=scorers, options=options
            )
        )
    return prepared


def _start_run_dir(config: RunConfig, model_name: str) -> Path:
    if config.resume_dir is not None:
        if not (config.resume_dir / "run.json").is_file():
            raise RunConfigError(f"{config.resume_dir} is not a run directory (no run.json)")
        return config.resume_dir
    run_dir = config.output_dir / _run_id(model_name)
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise RunConfigError(f"cannot create run directory {run_dir}: {error.strerror or error}") from error
    return run_dir


def load_finished_records(run_dir: Path) -> dict[tuple[str, str], ScoredSample]:
    """Records already in samples.jsonl (a line cut off by a crash is dropped from the file)."""
    path = run_dir / "samples.jsonl"
    if not path.exists():
        return {}
    truncate_partial_line(path)
    records = (ScoredSample.from_json(record) for record in read_jsonl(path))
    return {(record.task, record.sample_id): record for record in records}


def run(
    config: RunConfig,
    tier_map: TierMap,
    progress_factory: ProgressFactory = _silent_progress,
) -> RunOutcome:
    started = time.perf_counter()
    spec = registry.resolve_model(config.model)
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
    identity = adapter_class.cache_identity(settings)
    adapter_class.preflight(settings)
    if config.judge is not None:
        resolve_judge(config.judge)
        load_prices(config.judge.prices_path)
    prepared = prepare_tasks(config, tier_map, spec.options)
    data_loaded = time.perf_counter()

    run_dir = _start_run_dir(config, spec.name)
    finished = load_finished_records(run_dir)
    smoke = config.use_sample or spec.adapter == "tiny_random"
    run_record: dict[str, Any] = {
        "run_id": run_dir.name,
        "status": "running",
        "created": datetime.now(timezone.utc).isoformat(),
        "smoke_run": smoke,
        "notice": SMOKE_NOTICE if smoke else None,
        "model": {"name": spec.name, "adapter": spec.adapter, **vars(identity)},
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
        "task_options": {item.task.name: item.options for item in prepared},
        "seed": config.seed,
        "tier_map": tier_map.name,
        "cache": str(config.cache_dir or cache_root()) if config.use_cache else None,
        "environment": environment_record(),
    }
    if config.resume_dir is not None:
        previous = read_json(run_dir / "run.json")
        run_record["created"] = previous.get("created", run_record["created"])
        run_record["resumed"] = [*previous.get("resumed", []), datetime.now(timezone.utc).isoformat()]
    atomic_write_json(run_dir / "run.json", run_record)

    cache = ResponseCache((config.cache_dir or cache_root()) / CACHE_FILE) if config.use_cache else None
    generation = CachedGeneration(lambda: adapter_class(settings), identity, cache)
    chunk_size = max(32, 4 * (config.batch_size or 8))
    all_records: dict[str, list[ScoredSample]] = {}
    try:
        with JsonlAppender(run_dir / "samples.jsonl") as writer:
            for item in prepared:
                done = [
                    finished[(item.task.name, s.sample_id)]
                    for s in item.samples
                    if (item.task.name, s.sample_id) in finished
                ]
                remaining = [s for s in item.samples if (item.task.name, s.sample_id) not in finished]
                todo = replace(item, samples=remaining)
                total = sum(
                    1 for s in remaining if not s.load_error and item.task.needs_model(s, item.scoring)
                )
                progress = progress_factory(item.task.name, total)
                evaluated = evaluate_task(todo, generation, writer, chunk_size, progress)
                all_records[item.task.name] = done + evaluated
    except KeyboardInterrupt:
        run_record["status"] = "interrupted"
        atomic_write_json(run_dir / "run.json", run_record)
        raise RunInterrupted(run_dir) from None
    finally:
        if generation.adapter is not None:
            run_record["model"].update(vars(generation.adapter.identity))
        generation.close()
    generated_at = time.perf_counter()

    metric_info: dict[str, dict[str, Any]] = {}
    for item in prepared:
        all_records[item.task.name], metric_info[item.task.name] = apply_batch_scorers(
            item.scorers, all_records[item.task.name]
        )
    if any(item.scorers for item in prepared):
        rewrite_samples(run_dir / "samples.jsonl", all_records)
    judge_summary = None
    if config.judge is not None:
        to_judge = [
            TaskToJudge(task=item.task, scoring=item.scoring, samples=item.samples) for item in prepared
        ]
        all_records, judge_summary = judge_after_scoring(
            config.judge, to_judge, all_records, run_dir / "samples.jsonl"
        )
        run_record["judge"] = judge_summary
    batch_scored = time.perf_counter()

    results = write_results(
        run_dir,
        run_record,
        {item.task.name: item.task for item in prepared},
        all_records,
        tier_map,
        judge_summary=judge_summary,
        metric_info=metric_info,
    )
    done_at = time.perf_counter()
    run_record["status"] = "complete"
    run_record["generation"] = {
        "generated": generation.generated,
        "from_cache": generation.from_cache,
        "model_loaded": generation.adapter is not None,
    }
    run_record["timings"] = {
        "load_data_s": round(data_loaded - started, 3),
        "generate_and_score_s": round(generated_at - data_loaded, 3),
        "batch_score_and_judge_s": round(batch_scored - generated_at, 3),
        "aggregate_s": round(done_at - batch_scored, 3),
        "total_s": round(done_at - started, 3),
    }
    atomic_write_json(run_dir / "run.json", run_record)
    return RunOutcome(
        run_dir=run_dir, results=results, generated=generation.generated, from_cache=generation.from_cache
    )
