"""The run directory and its run.json: created (or reopened on --resume) before generation starts,
and locked while a process writes it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from tv_eval.core.cache_root import cache_root
from tv_eval.core.folder_lock import FolderBusy, FolderLock
from tv_eval.core.registry import ModelSpec
from tv_eval.core.staged_files import recover
from tv_eval.core.types import ModelIdentity
from tv_eval.data.tiers import TierMap
from tv_eval.pipeline.preparation import PreparedTask
from tv_eval.pipeline.run_record import environment_record
from tv_eval.pipeline.run_types import RunConfigError
from tv_eval.results.document import DatasetRecord
from tv_eval.results.run_document import RUN_FILE, RunConfig, RunModel, RunRecord, TaskRun, read_run_record

SMOKE_NOTICE = (
    "SMOKE RUN: a tiny random-weight model and/or synthetic sample data; "
    "the numbers test the pipeline, not any model's ability."
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def new_run_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")[:60]
    return f"{stamp}_{slug}"


def _new_run_dir(config: RunConfig, model_name: str) -> Path:
    run_dir = config.output_dir / new_run_id(model_name)
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise RunConfigError(f"cannot create run directory {run_dir}: {error.strerror or error}") from error
    return run_dir


@contextmanager
def locked_run_dir(run_dir: Path) -> Iterator[Path]:
    """Hold the run directory's lock for the block (one writer at a time: a second `--resume` or
    `score` of the same directory exits 2), after finishing any commit a crash interrupted."""
    lock = FolderLock(run_dir)
    try:
        lock.acquire()
    except FolderBusy:
        raise RunConfigError(
            f"run directory {run_dir} is in use by another tv-eval process (a run, --resume or score "
            "writing it); wait for that one to finish"
        ) from None
    except OSError as error:
        raise RunConfigError(f"cannot open run directory {run_dir}: {error.strerror or error}") from error
    try:
        recover(run_dir)
        yield run_dir
    finally:
        lock.release()


@contextmanager
def open_run_dir(config: RunConfig, model_name: str) -> Iterator[Path]:
    """The resumed run's directory, or a new one named after the time and the model, locked for the
    block."""
    if config.resume_dir is not None:
        if not (config.resume_dir / RUN_FILE).is_file():
            raise RunConfigError(f"{config.resume_dir} is not a run directory (no run.json)")
        with locked_run_dir(config.resume_dir) as run_dir:
            yield run_dir
        return
    with locked_run_dir(_new_run_dir(config, model_name)) as run_dir:
        yield run_dir


def discard_new_run_dir(config: RunConfig, run_dir: Path) -> None:
    """Remove the directory this run created when the model turned out not to load: it holds nothing
    the cache does not, and a leftover would only get in the way of `leaderboard` and `compare`."""
    if config.resume_dir is None:
        shutil.rmtree(run_dir, ignore_errors=True)


def _task_run(item: PreparedTask, suite: str | None) -> TaskRun:
    """The task's entry in run.json; `suite` only where the task ran under one, so others keep their shape."""
    return TaskRun(
        scoring=item.scoring,
        prompts_hash=item.task.prompts_hash(item.scoring),
        dataset=DatasetRecord.model_validate(vars(item.loaded.dataset)),
        num_samples=len(item.samples),
        **({"suite": suite} if suite else {}),
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
        tasks={item.task.name: _task_run(item, config.suites.get(item.task.name)) for item in prepared},
        config=config,
        task_options={item.task.name: dict(item.options) for item in prepared},
        seed=config.seed,
        tier_map=tier_map.name,
        cache=str(config.cache_dir or cache_root()) if config.use_cache else None,
        environment=environment_record(),
    )
    if config.shard is not None:
        record.task_sample_ids = {item.task.name: list(item.selection) for item in prepared}
    if config.resume_dir is not None:
        previous = read_run_record(run_dir)
        record.created = previous.created or record.created
        record.resumed = [*previous.resumed, now()]
    return record
