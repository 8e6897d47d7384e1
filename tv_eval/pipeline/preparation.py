"""Before the model loads: resolve each task, read its data and choose its samples.

Every configuration mistake (unknown task or scoring mode, options for a task not run, filters that
leave nothing, an unwritable output folder) surfaces here, so it costs seconds, not a model load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tv_eval.core import registry
from tv_eval.core.pairs import PAIR_KEY, is_pivot
from tv_eval.core.task import DataSource, LoadedTask, ScoringMode, Task, TaskConfigError
from tv_eval.core.types import Sample
from tv_eval.data.tiers import TierMap
from tv_eval.pipeline.records import fresh_run_order
from tv_eval.pipeline.run_types import RunConfigError
from tv_eval.pipeline.shards import ShardSpecError, parse_shard, shard_samples
from tv_eval.results.run_document import RunConfig
from tv_eval.scoring.batch_scoring import BatchScorer


@dataclass
class PreparedTask:
    task: Task
    scoring: ScoringMode
    loaded: LoadedTask
    samples: list[Sample]
    scorers: list[BatchScorer] = field(default_factory=list)
    options: Mapping[str, Any] = field(default_factory=dict)
    # With --shard: the ids of the whole selection (every shard's samples), in the order an unsharded
    # run writes them; `samples` then holds only this shard's.
    selection: tuple[str, ...] = ()


def select_samples(
    samples: Sequence[Sample], languages: Sequence[str], tiers: Sequence[str], limit: int | None
) -> list[Sample]:
    """Filter by language and tier; `limit` takes samples round-robin over languages, in data order,
    so a limited run still covers every selected language. A task's pivot samples (core/pairs.py)
    follow their items: filters and the limit choose items, and each chosen item keeps its pivot."""
    items = [sample for sample in samples if not is_pivot(sample.metadata)]
    chosen = _select_items(items, languages, tiers, limit)
    if len(items) == len(samples):
        return chosen
    kept = {sample.sample_id for sample in chosen}
    keys = {sample.metadata.get(PAIR_KEY) for sample in chosen} - {None}
    return [
        sample
        for sample in samples
        if sample.sample_id in kept or (is_pivot(sample.metadata) and sample.metadata.get(PAIR_KEY) in keys)
    ]


def _select_items(
    samples: Sequence[Sample], languages: Sequence[str], tiers: Sequence[str], limit: int | None
) -> list[Sample]:
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


def effective_task_options(task: Task, config: RunConfig, model_options: Mapping[str, Any]) -> dict[str, Any]:
    """A task's --task-option values, plus the run-level options it declares: the video frame count
    asked for with --video-frames, else the model alias's default."""
    options: dict[str, Any] = {}
    frames = config.video_frames or model_options.get("video_frames")
    if frames and "video_frames" in task.option_help:
        options["video_frames"] = str(int(frames))
    return {**options, **config.task_options.get(task.name, {})}


def checked_scoring(task: Task, scoring: str | None) -> ScoringMode:
    """The task's mode named `scoring` (None: its default); an unknown one is a configuration error."""
    try:
        return task.scoring_mode(scoring)
    except TaskConfigError as error:
        raise RunConfigError(str(error)) from error


def task_languages(name: str, config: RunConfig) -> tuple[str, ...]:
    """The languages a task runs on: --languages, within its suite's languages where it has them."""
    from_suite = config.task_languages.get(name, ())
    if not from_suite:
        return config.languages
    if not config.languages:
        return from_suite
    both = tuple(code for code in config.languages if code in from_suite)
    if not both:
        raise RunConfigError(
            f"task {name} runs on {', '.join(from_suite)} in suite {config.suites.get(name)}, "
            f"none of --languages {', '.join(config.languages)}"
        )
    return both


def _prepare_task(
    name: str, config: RunConfig, tier_map: TierMap, model_options: Mapping[str, Any]
) -> PreparedTask:
    task = registry.load_task(name)
    options = effective_task_options(task, config, model_options)
    source = DataSource(use_sample=config.use_sample, data_dir=config.data_dir, revision=config.data_revision)
    task.configure(options, source)
    scoring = checked_scoring(task, config.scoring or config.task_scoring.get(name))
    loaded = task.load(source, tier_map)
    languages = task_languages(name, config)
    samples = select_samples(loaded.samples, languages, config.tiers, config.limit)
    if not samples:
        wanted = ", ".join([*languages, *(f"tier {tier}" for tier in config.tiers)]) or "anything"
        raise RunConfigError(f"task {name} has no samples for {wanted}")
    selection: tuple[str, ...] = ()
    if config.shard is not None:
        selection = tuple(sample.sample_id for sample in fresh_run_order(task, samples, scoring))
        samples = _shard_of_task(name, samples, config.shard)
    scorers = list(task.batch_scorers(scoring))
    for scorer in scorers:
        scorer.prepare()
    return PreparedTask(
        task=task,
        scoring=scoring,
        loaded=loaded,
        samples=samples,
        scorers=scorers,
        options=options,
        selection=selection,
    )


def _shard_of_task(name: str, samples: Sequence[Sample], shard_text: str) -> list[Sample]:
    """The shard's share of a task's selection; a shard left with none of it is a configuration
    error (a run needs samples to aggregate), caught before the model loads."""
    try:
        shard = parse_shard(shard_text)
    except ShardSpecError as error:
        raise RunConfigError(str(error)) from error
    chosen = shard_samples(name, samples, shard)
    if not chosen:
        raise RunConfigError(
            f"shard {shard} holds none of task {name}'s {len(samples)} samples; use fewer shards"
        )
    return chosen


def prepare_tasks(
    config: RunConfig, tier_map: TierMap, model_options: Mapping[str, Any] | None = None
) -> list[PreparedTask]:
    """Resolve tasks and load their data; every configuration error surfaces here."""
    unknown = sorted(set(config.task_options) - set(config.tasks))
    if unknown:
        raise RunConfigError(f"--task-option names task(s) not in --tasks: {', '.join(unknown)}")
    return [_prepare_task(name, config, tier_map, model_options or {}) for name in config.tasks]
