"""`tv-eval run`: its options, the RunConfig they make, and the run itself.

The parsed options become one `RunConfig` through `config_from_options` (pydantic validates it);
`--resume RUN_DIR` instead rebuilds the configuration recorded in run.json with `model_validate`,
so a resumed run asks exactly the questions the interrupted one asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tv_eval.cli.common import app, fail, split_list, stdout
from tv_eval.cli.metric_checks import exit_if_headline_failed
from tv_eval.cli.options import (
    JudgeBaseUrlOption,
    JudgeCacheOption,
    JudgeKeyFileOption,
    JudgeOption,
    JudgePricesOption,
    config_errors,
    judge_options,
    load_tiers,
    resolve_tiers,
    show_results,
)
from tv_eval.cli.run_options import (
    DEVICES_HELP,
    DTYPES,
    BackendOption,
    BaseUrlOption,
    BatchSizeOption,
    CacheDirOption,
    ConcurrencyOption,
    DataDirOption,
    DataParallelOption,
    DataRevisionOption,
    DeviceOption,
    DtypeOption,
    FailureRateOption,
    FramesOption,
    KeepFailedOption,
    KeyFileOption,
    LanguagesOption,
    LimitOption,
    ModelOption,
    ModelOptionOption,
    NoCacheOption,
    OutputDirOption,
    RayAddressOption,
    ResumeOption,
    RevisionOption,
    SampleOption,
    ScoringOption,
    SeedOption,
    ShardOption,
    TaskOptionOption,
    TasksOption,
    TierMapOption,
    TiersOption,
    TrustOption,
    parse_batch_size,
    parse_data_parallel,
    parse_model_options,
    parse_shard_option,
    parse_task_options,
)
from tv_eval.core.collector import paused_start_up

if TYPE_CHECKING:
    from tv_eval.data.tiers import TierMap
    from tv_eval.results.document import ResultsDocument
    from tv_eval.results.run_document import RunConfig


def _check_model_options(options: Mapping[str, Any]) -> tuple[str, ...]:
    missing = [name for name in ("model", "tasks") if options[name] is None]
    if missing:
        verb = "are" if len(missing) > 1 else "is"
        fail(f"{' and '.join('--' + name for name in missing)} {verb} required (or --resume RUN_DIR)")
    if not options["model"].strip():
        fail("--model is empty: name an alias (`tv-eval list models`), hf:<id-or-path> or openai:<model>")
    device = options["device"]
    if device not in ("auto", "cpu") and not device.startswith("cuda"):
        fail(f"--device must be {DEVICES_HELP}, got {device!r}")
    if options["dtype"] not in DTYPES:
        fail(f"--dtype must be {', '.join(DTYPES[:-1])} or {DTYPES[-1]}, got {options['dtype']!r}")
    task_names = split_list(options["tasks"])
    if not task_names:
        fail("--tasks names no task: give comma-separated task names (`tv-eval list tasks`)")
    return task_names


def merged_task_options(
    suite_options: Mapping[str, Mapping[str, str]], given: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """Each task's suite options with the command line's `--task-option` values over them."""
    return {
        task: {**suite_options.get(task, {}), **given.get(task, {})} for task in {**suite_options, **given}
    }


def config_from_options(options: Mapping[str, Any]) -> RunConfig:
    """The RunConfig of a new run, from the command's parsed options (names as on the command line)."""
    from tv_eval.data.languages import parse_language_list
    from tv_eval.data.suites import select_tasks
    from tv_eval.results.run_document import RunConfig

    selection = select_tasks(_check_model_options(options))
    return RunConfig(
        model=options["model"],
        tasks=selection.tasks,
        suites=selection.suite_of,
        task_scoring=selection.scoring,
        task_languages=selection.languages,
        output_dir=options["output_dir"],
        languages=tuple(parse_language_list(options["languages"] or "")),
        tiers=tuple(resolve_tiers(split_list(options["tiers"]), load_tiers(options["tier_map"]))),
        tier_map=options["tier_map"],
        limit=options["limit"],
        batch_size=parse_batch_size(options["batch_size"]),
        device=options["device"],
        dtype=options["dtype"],
        seed=options["seed"],
        scoring=options["scoring"],
        use_sample=options["sample"],
        data_dir=options["data_dir"],
        trust_remote_code=options["trust_remote_code"],
        base_url=options["base_url"],
        api_key_file=options["api_key_file"],
        concurrency=options["concurrency"],
        video_frames=options["video_frames"],
        revision=options["revision"],
        data_revision=options["data_revision"],
        judge=judge_options(
            options["judge"],
            options["judge_base_url"],
            options["judge_api_key_file"],
            options["judge_prices"],
            options["judge_cache"],
            options["concurrency"],
        ),
        task_options=merged_task_options(selection.options, parse_task_options(options["task_option"])),
        model_options=parse_model_options(options["model_option"]),
        max_failure_rate=options["max_failure_rate"],
        data_parallel=parse_data_parallel(options["data_parallel"]),
        ray_address=options["ray_address"],
        use_cache=not options["no_cache"],
        cache_dir=options["cache_dir"],
        shard=parse_shard_option(options["shard"]),
        backend=options["backend"],
    )


def invocation_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of this invocation that a resumed run takes in place of none (never recorded)."""
    return {
        "use_cache": not options["no_cache"],
        "cache_dir": options["cache_dir"],
        "retry_failed": not options["keep_failed"],
        "data_parallel": parse_data_parallel(options["data_parallel"]),
        "ray_address": options["ray_address"],
    }


def resumed_config(
    run_dir: Path, invocation: Mapping[str, Any], base_urls: tuple[str | None, str | None] = (None, None)
) -> RunConfig:
    """The configuration the run recorded, with this invocation's settings (cache, retries). `base_urls`
    (model, judge), given with --resume, put back the credentials that run.json keeps redacted."""
    from pydantic import ValidationError

    from tv_eval.core.io import read_json
    from tv_eval.core.staged_files import committed_path
    from tv_eval.results.run_document import RunConfig, RunRecord, validation_summary

    if not (run_dir / "run.json").is_file():
        fail(f"{run_dir} is not a run directory (no run.json)")
    try:
        recorded = RunRecord.model_validate(read_json(committed_path(run_dir, "run.json"))).config
    except ValidationError as error:
        fail(f"{run_dir / 'run.json'} cannot be resumed: {validation_summary(error)}")
    except (OSError, ValueError) as error:
        fail(f"{run_dir / 'run.json'} cannot be resumed: {error}")
    if recorded is None:
        fail(f"{run_dir / 'run.json'} records no run configuration; it cannot be resumed")
    restored = {**recorded.model_dump(), **invocation, "resume_dir": run_dir}
    model_url, judge_url = base_urls
    if model_url:
        restored["base_url"] = _same_server(model_url, recorded.base_url, "--base-url")
    if judge_url and recorded.judge is not None:
        restored["judge"]["base_url"] = _same_server(judge_url, recorded.judge.base_url, "--judge-base-url")
    return RunConfig.model_validate(restored)


def _same_server(given: str, recorded: str | None, option: str) -> str:
    """`given`, if it is the recorded URL with its credentials back; a resumed run asks the same server."""
    from tv_eval.core.urls import redact_url

    if redact_url(given) != redact_url(recorded or ""):
        fail(f"{option} {redact_url(given)} is not the server the run used ({recorded or 'the default'})")
    return given


def _check_failure_rate(results: ResultsDocument, max_failure_rate: float) -> None:
    """Samples that failed, in generation, scoring or the judge, against --max-failure-rate."""
    judge_failed = sum(task.counts.judge_failed for task in results.tasks.values())
    failed = sum(task.counts.failed for task in results.tasks.values()) + judge_failed
    total = sum(task.counts.total for task in results.tasks.values())
    if total and failed / total > max_failure_rate:
        in_judge = f", {judge_failed} of them in the judge" if judge_failed else ""
        fail(
            f"{failed} of {total} samples failed ({failed / total:.1%}{in_judge}), more than "
            f"--max-failure-rate {max_failure_rate:.1%}; see the 'error' field in samples.jsonl",
            code=1,
        )


def execute(config: RunConfig, tier_map: TierMap) -> None:
    """Run, print the tables, and exit 1 when more samples failed than the run allows."""
    from tv_eval.cli.progress import RichProgress
    from tv_eval.pipeline.run_types import RunInterrupted
    from tv_eval.pipeline.runner import run as run_evaluation

    try:
        outcome = run_evaluation(config, tier_map, progress_factory=RichProgress)
    except RunInterrupted as interrupted:
        fail(str(interrupted), code=interrupted.exit_code)
    except config_errors() as error:
        fail(str(error))
    except OSError as error:
        fail(
            f"cannot write results: {error.strerror or error}"
            + (f" ({error.filename})" if error.filename else "")
            + "; fix it and rerun with --resume",
            code=1,
        )
    show_results(outcome.results)
    retried = f", {outcome.retried} failed samples asked again" if outcome.retried else ""
    stdout.print(
        f"run directory: {outcome.run_dir}  ({outcome.generated} generated, {outcome.from_cache} from cache"
        f"{retried})"
    )
    exit_if_headline_failed(outcome.results)
    _check_failure_rate(outcome.results, config.max_failure_rate)


@app.command()
def run(
    model: ModelOption = None,
    tasks: TasksOption = None,
    languages: LanguagesOption = None,
    tiers: TiersOption = None,
    limit: LimitOption = None,
    batch_size: BatchSizeOption = "auto",
    output_dir: OutputDirOption = Path("results"),
    device: DeviceOption = "auto",
    dtype: DtypeOption = "auto",
    seed: SeedOption = 0,
    scoring: ScoringOption = None,
    sample: SampleOption = False,
    data_dir: DataDirOption = None,
    tier_map: TierMapOption = None,
    trust_remote_code: TrustOption = False,
    no_cache: NoCacheOption = False,
    cache_dir: CacheDirOption = None,
    resume: ResumeOption = None,
    max_failure_rate: FailureRateOption = 0.0,
    keep_failed: KeepFailedOption = False,
    data_parallel: DataParallelOption = None,
    ray_address: RayAddressOption = None,
    base_url: BaseUrlOption = None,
    api_key_file: KeyFileOption = None,
    concurrency: ConcurrencyOption = None,
    video_frames: FramesOption = None,
    revision: RevisionOption = None,
    data_revision: DataRevisionOption = None,
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_api_key_file: JudgeKeyFileOption = None,
    judge_prices: JudgePricesOption = None,
    judge_cache: JudgeCacheOption = None,
    task_option: TaskOptionOption = None,
    model_option: ModelOptionOption = None,
    shard: ShardOption = None,
    backend: BackendOption = None,
) -> None:
    """Evaluate a model on tasks; print per-language and per-tier tables; write a run directory."""
    # The options as this function received them, converted to their annotated types; before 0.29,
    # typer left click's own values (paths as str) in the context's `params`.
    options = dict(locals())
    with paused_start_up():
        execute(*_checked_config(options))


def _checked_config(options: dict[str, Any]) -> tuple[RunConfig, TierMap]:
    """The run's configuration from `run`'s options (or the resumed run's), and its tier map."""
    from pydantic import ValidationError

    from tv_eval.results.run_document import validation_summary

    resume = options["resume"]
    try:
        if resume is not None:
            base_urls = (options["base_url"], options["judge_base_url"])
            config = resumed_config(resume, invocation_options(options), base_urls=base_urls)
        else:
            config = config_from_options(options)
        return config, load_tiers(config.tier_map)
    except config_errors() as error:
        fail(str(error))
    except ValidationError as error:
        fail(f"invalid run configuration: {validation_summary(error)}")
