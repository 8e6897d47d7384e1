"""The run directory and its run.json: created (or reopened on --resume) before generation starts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from tv_eval.core.cache_root import cache_root
from tv_eval.core.registry import ModelSpec
from tv_eval.core.types import ModelIdentity
from tv_eval.data.tiers import TierMap
from tv_eval.pipeline.preparation import PreparedTask, RunConfigError
from tv_eval.pipeline.run_record import environment_record
from tv_eval.results.document import DatasetRecord
from tv_eval.results.run_document import RUN_FILE, RunConfig, RunModel, RunRecord, TaskRun, read_run_record

SMOKE_NOTICE = (
    "SMOKE RUN: a tiny random-weight model and/or synthetic sample data; "
    "the numbers test the pipeline, not any model's ability."
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _run_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")[:60]
    return f"{stamp}_{slug}"


def start_run_dir(config: RunConfig, model_name: str) -> Path:
    """The resumed run's directory, or a new one named after the time and the model."""
    if config.resume_dir is not None:
        if not (config.resume_dir / RUN_FILE).is_file():
            raise RunConfigError(f"{config.resume_dir} is not a run directory (no run.json)")
        return config.resume_dir
    run_dir = config.output_dir / _run_id(model_name)
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise RunConfigError(f"cannot create run directory {run_dir}: {error.strerror or error}") from error
    return run_dir


def _task_run(item: PreparedTask) -> TaskRun:
    return TaskRun(
        scoring=item.scoring,
        prompts_hash=item.task.prompts_hash(item.scoring),
        dataset=DatasetRecord.model_validate(vars(item.loaded.dataset)),
        num_samples=len(item.samples),
    )


def new_run_record(
    run_dir: Path,
    config: RunConfig,
    spec: ModelSpec,
    identity: ModelIdentity,
    prepared: Sequence[PreparedTask],
    tier_map: TierMap,
) -> RunRecord:
    """run.json as the run starts; a resumed run keeps its creation time and notes when it resumed."""
    smoke = config.use_sample or spec.adapter == "tiny_random"
    record = RunRecord(
        run_id=run_dir.name,
        status="running",
        created=now(),
        smoke_run=smoke,
        notice=SMOKE_NOTICE if smoke else None,
        model=RunModel.model_validate({"name": spec.name, "adapter": spec.adapter, **vars(identity)}),
        tasks={item.task.name: _task_run(item) for item in prepared},
        config=config,
        task_options={item.task.name: dict(item.options) for item in prepared},
        seed=config.seed,
        tier_map=tier_map.name,
        cache=str(config.cache_dir or cache_root()) if config.use_cache else None,
        environment=environment_record(),
    )
    if config.resume_dir is not None:
        previous = read_run_record(run_dir)
        record.created = previous.created or record.created
        record.resumed = [*previous.resumed, now()]
    return record
