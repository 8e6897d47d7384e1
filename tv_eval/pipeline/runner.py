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
from typing import TYPE_CHECKING

from tv_eval.core import registry
from tv_eval.core.backends import choose_backend
from tv_eval.core.types import ModelIdentity
from tv_eval.pipeline.cache import ResponseCache
from tv_eval.pipeline.parallel.backend import BackendLoader, Execution, check_execution
from tv_eval.pipeline.run_types import (
    CheckedModel,
    ProgressFactory,
    RunOutcome,
    check_output_dir,
    response_cache_path,
    silent_progress,
)

if TYPE_CHECKING:
    from tv_eval.data.tiers import TierMap
    from tv_eval.results.run_document import RunConfig


def _check_before_loading(config: RunConfig) -> CheckedModel:
    """Model, adapter and output folder are checked before any data or weights load (the judge is
    checked next, once the workers are loading, still before any data: see run_stages.py)."""
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
    return CheckedModel(spec=spec, adapter_class=adapter_class, settings=settings, execution=execution)


def run(
    config: RunConfig, tier_map: TierMap, progress_factory: ProgressFactory = silent_progress
) -> RunOutcome:
    started = time.perf_counter()
    model = _check_before_loading(config)
    identity = model.adapter_class.cache_identity(model.settings)
    loader = BackendLoader(model.adapter_class, model.settings, model.execution)
    if loader.can_start_early and not _cache_holds_answers(config, identity):
        loader.start()  # the model will be asked: worker processes load it while the data is read
    try:
        # Imported once the workers are loading: see run_stages.py.
        from tv_eval.pipeline.run_stages import run_loaded

        return run_loaded(config, tier_map, model, (identity, loader), (started, progress_factory))
    finally:
        loader.close_unused()


def _cache_holds_answers(config: RunConfig, identity: ModelIdentity) -> bool:
    """Whether the cache may answer some requests, so that the model may not be needed at all."""
    if not config.use_cache or not response_cache_path(config).exists():
        return False
    cache = ResponseCache(response_cache_path(config))
    try:
        return cache.holds_answers_of(identity)
    finally:
        cache.close()
