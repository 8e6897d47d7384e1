"""The `tv-eval` command line.

Start-up stays light (no torch, no datasets, no numpy) so `--help` and `list` answer at once;
each command imports what it needs when it runs. Every expected failure is one line on stderr
with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tv_eval.cli.common import app, fail, split_list, stderr, stdout
from tv_eval.cli.metric_checks import exit_if_headline_failed

if TYPE_CHECKING:
    from tv_eval.judge.judging import JudgeConfig


def _batch_size(value: str) -> int | None:
    if value == "auto":
        return None
    if value.isdigit() and int(value) > 0:
        return int(value)
    fail(f"--batch-size must be a positive integer or 'auto', got {value!r}")


def _task_options(values: list[str] | None) -> dict[str, dict[str, str]]:
    """`TASK.KEY=VALUE` strings -> {task: {key: value}}; later values win."""
    options: dict[str, dict[str, str]] = {}
    for value in values or []:
        target, equals, setting = value.partition("=")
        task, dot, key = target.partition(".")
        if not (equals and dot and task.strip() and key.strip()):
            fail(f"--task-option must look like TASK.KEY=VALUE, got {value!r}")
        options.setdefault(task.strip(), {})[key.strip()] = setting
    return options


def _tiers(requested: tuple[str, ...], tier_map_path: Path | None) -> tuple[list[str], object]:
    from tv_eval.data.tiers import TIER_GROUPS, UNKNOWN_TIER, joshi_tier_map, load_tier_map

    tier_map = load_tier_map(tier_map_path) if tier_map_path else joshi_tier_map()
    known = tier_map.tier_order()
    selected: list[str] = []
    for tier in requested:
        if tier in known:
            selected.append(tier)
        elif tier_map.is_joshi and tier in ("high", "mid", "low"):
            selected += [label for label, group in TIER_GROUPS.items() if group == tier]
        else:
            extra = ", high, mid, low" if tier_map.is_joshi else ""
            fail(f"unknown tier {tier!r}; known: {', '.join(known)}{extra} (unknown = {UNKNOWN_TIER!r})")
    return selected, tier_map


class _RichProgress:
    """Adapts rich's progress bar (samples/s and ETA) to the runner's ProgressHandle."""

    def __init__(self, description: str, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=stderr,
        )
        self._started = time.perf_counter()
        self._task = self._progress.add_task(description, total=total, rate="")
        self._progress.start()

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)
        done = self._progress.tasks[0].completed
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        self._progress.update(self._task, rate=f"{rate:.1f} samples/s")

    def close(self) -> None:
        self._progress.stop()


CONFIG_ERRORS_DOC = "Configuration problems exit 2 before any model loads."


def _config_errors() -> tuple[type[Exception], ...]:
    from tv_eval.core.adapter import ModelLoadError
    from tv_eval.core.registry import RegistryError
    from tv_eval.core.store import CacheError
    from tv_eval.core.task import TaskConfigError
    from tv_eval.data.languages import UnknownLanguageError
    from tv_eval.data.tiers import TierMapError
    from tv_eval.judge.judging import JudgeConfigError
    from tv_eval.pipeline.runner import RunConfigError
    from tv_eval.results.document import ResultsSchemaError

    return (
        RegistryError,
        RunConfigError,
        TaskConfigError,
        UnknownLanguageError,
        TierMapError,
        ModelLoadError,
        CacheError,
        ResultsSchemaError,
        JudgeConfigError,
    )


def _resume_arguments(resume: Path) -> dict[str, object]:
    from tv_eval.core.io import read_json

    path = resume / "run.json"
    if not path.is_file():
        fail(f"{resume} is not a run directory (no run.json)")
    return read_json(path).get("arguments", {})


def _check_failure_rate(results: dict, max_failure_rate: float) -> None:
    failed = sum(task["counts"]["failed"] for task in results["tasks"].values())
    total = sum(task["counts"]["total"] for task in results["tasks"].values())
    if total and failed / total > max_failure_rate:
        fail(
            f"{failed} of {total} samples failed ({failed / total:.1%}), more than --max-failure-rate "
            f"{max_failure_rate:.1%}; see the 'error' field in samples.jsonl",
            code=1,
        )


JudgeOption = Annotated[
    str | None, typer.Option(help="Judge open answers with this model (alias, hf:..., openai:...).")
]
JudgeBaseUrlOption = Annotated[str | None, typer.Option(help="Server of an openai:<model> judge.")]
JudgeKeyFileOption = Annotated[Path | None, typer.Option(help="API key file of the judge.")]
JudgePricesOption = Annotated[
    Path | None, typer.Option(help="Price table (YAML/TOML, USD per 1M tokens) overriding the built-in one.")
]
JudgeCacheOption = Annotated[Path | None, typer.Option(help="SQLite file caching judge answers.")]


@app.command()
def run(
    model: Annotated[
        str | None, typer.Option(help="Model alias (`tv-eval list models`) or hf:<hub-id-or-path>.")
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated task names (`tv-eval list tasks`).")
    ] = None,
    languages: Annotated[
        str | None, typer.Option(help="Only these languages (BCP-47, comma-separated).")
    ] = None,
    tiers: Annotated[
        str | None, typer.Option(help="Only these tiers: 0-5, unknown, or high/mid/low.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most N samples per task, spread over languages.")
    ] = None,
    batch_size: Annotated[
        str, typer.Option(help="Batch size, or 'auto' (halves on out-of-memory).")
    ] = "auto",
    output_dir: Annotated[Path, typer.Option(help="Where run directories are created.")] = Path("results"),
    device: Annotated[str, typer.Option(help="auto, cpu or cuda[:N].")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto, bfloat16, float16 or float32.")] = "auto",
    seed: Annotated[int, typer.Option(help="Seed for sampling and bootstrap intervals.")] = 0,
    scoring: Annotated[
        str | None, typer.Option(help="robust or paper (default: each task's own default).")
    ] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Use each task's bundled offline sample.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Read the dataset from this local folder.")] = None,
    tier_map: Annotated[Path | None, typer.Option(help="TOML/YAML map language -> tier label.")] = None,
    trust_remote_code: Annotated[
        bool, typer.Option(help="Allow model repositories to run their own code.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the response cache.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Response cache folder (default: $TV_EVAL_CACHE_DIR or the user cache dir)."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue an interrupted run in this run directory, with its original arguments."),
    ] = None,
    max_failure_rate: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Exit 1 (after writing results) when a larger share of samples failed."
        ),
    ] = 0.0,
    base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible server for openai:<model> (default $OPENAI_BASE_URL)."),
    ] = None,
    api_key_file: Annotated[
        Path | None, typer.Option(help="File holding the API key (default $OPENAI_API_KEY).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight at once for API models (default 8).")
    ] = None,
    video_frames: Annotated[
        int | None,
        typer.Option(min=1, help="Frames sampled per video (default: the model's, else the task's)."),
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option(help="Model revision on the Hub (branch, tag or commit; default: main's commit now)."),
    ] = None,
    data_revision: Annotated[
        str | None, typer.Option(help="Dataset revision on the Hub (branch, tag or commit).")
    ] = None,
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_api_key_file: JudgeKeyFileOption = None,
    judge_prices: JudgePricesOption = None,
    judge_cache: JudgeCacheOption = None,
    task_option: Annotated[
        list[str] | None,
        typer.Option(
            help="TASK.KEY=VALUE, repeatable (e.g. multi30k.test_sets=2016,2017); see the task's README."
        ),
    ] = None,
) -> None:
    """Evaluate a model on tasks; print per-language and per-tier tables; write a run directory."""
    from tv_eval.data.languages import parse_language_list
    from tv_eval.pipeline.runner import SMOKE_NOTICE, RunConfig, RunInterrupted
    from tv_eval.pipeline.runner import run as run_evaluation
    from tv_eval.report.console import render_console

    arguments = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in locals().items()
        if key in run.__annotations__ and key not in ("resume", "no_cache", "cache_dir")
    }
    if resume is not None:
        # Every option of the interrupted run comes back, so the resumed part asks the same questions.
        arguments = {**arguments, **_resume_arguments(resume)}
        model, tasks, languages, tiers, limit = (
            arguments[k] for k in ("model", "tasks", "languages", "tiers", "limit")
        )
        batch_size, device, dtype, seed = (arguments[k] for k in ("batch_size", "device", "dtype", "seed"))
        scoring, sample, trust_remote_code = (
            arguments[k] for k in ("scoring", "sample", "trust_remote_code")
        )
        base_url, concurrency, video_frames, judge, judge_base_url = (
            arguments.get(k) for k in ("base_url", "concurrency", "video_frames", "judge", "judge_base_url")
        )
        task_option, revision, data_revision = (
            arguments.get(k) for k in ("task_option", "revision", "data_revision")
        )
        max_failure_rate = arguments.get("max_failure_rate", max_failure_rate)
        data_dir, tier_map, api_key_file, judge_api_key_file, judge_prices, judge_cache = (
            Path(arguments[k]) if arguments.get(k) else None
            for k in (
                "data_dir",
                "tier_map",
                "api_key_file",
                "judge_api_key_file",
                "judge_prices",
                "judge_cache",
            )
        )
    if not model or not tasks:
        fail("--model and --tasks are required (or --resume RUN_DIR)")
    if device not in ("auto", "cpu") and not device.startswith("cuda"):
        fail(f"--device must be auto, cpu or cuda[:N], got {device!r}")
    if dtype not in ("auto", "bfloat16", "float16", "float32"):
        fail(f"--dtype must be auto, bfloat16, float16 or float32, got {dtype!r}")
    task_names = split_list(tasks)
    if not task_names:
        fail("--tasks names no task")
    try:
        language_codes = tuple(parse_language_list(languages or ""))
        tier_labels, tier_map_obj = _tiers(split_list(tiers), tier_map)
        config = RunConfig(
            model=model,
            tasks=task_names,
            output_dir=output_dir,
            languages=language_codes,
            tiers=tuple(tier_labels),
            limit=limit,
            batch_size=_batch_size(batch_size),
            device=device,
            dtype=dtype,
            seed=seed,
            scoring=scoring,
            use_sample=sample,
            data_dir=data_dir,
            trust_remote_code=trust_remote_code,
            use_cache=not no_cache,
            cache_dir=cache_dir,
            resume_dir=resume,
            arguments=arguments,
            adapter_options=_api_options(base_url, api_key_file, concurrency),
            video_frames=video_frames,
            judge=_judge_config(
                judge,
                judge_base_url,
                judge_api_key_file,
                judge_prices,
                judge_cache,
                device,
                seed,
                concurrency,
            ),
            task_options=_task_options(task_option),
            revision=revision,
            data_revision=data_revision,
        )
        outcome = run_evaluation(config, tier_map_obj, progress_factory=_RichProgress)
    except RunInterrupted as interrupted:
        fail(str(interrupted), code=130)
    except _config_errors() as error:
        fail(str(error))
    except OSError as error:
        fail(
            f"cannot write results: {error.strerror or error}"
            + (f" ({error.filename})" if error.filename else "")
            + "; fix it and rerun with --resume",
            code=1,
        )
    render_console(outcome.results, stdout, notice=SMOKE_NOTICE if outcome.results["smoke_run"] else None)
    stdout.print(
        f"run directory: {outcome.run_dir}  ({outcome.generated} generated, {outcome.from_cache} from cache)"
    )
    exit_if_headline_failed(outcome.results)
    _check_failure_rate(outcome.results, max_failure_rate)


def _api_options(
    base_url: str | None, api_key_file: Path | None, concurrency: int | None
) -> dict[str, object]:
    options: dict[str, object] = {}
    if base_url:
        options["base_url"] = base_url
    if api_key_file:
        options["api_key_file"] = str(api_key_file)
    if concurrency:
        options["max_concurrency"] = concurrency
    return options


def _judge_config(
    judge: str | None,
    base_url: str | None,
    api_key_file: Path | None,
    prices: Path | None,
    cache: Path | None,
    device: str,
    seed: int,
    concurrency: int | None,
) -> JudgeConfig | None:
    if judge is None:
        return None
    from tv_eval.judge.judging import JudgeConfig

    return JudgeConfig(
        model=judge,
        device=device,
        seed=seed,
        options=_api_options(base_url, api_key_file, concurrency),
        cache_path=cache,
        prices_path=prices,
    )


@app.command()
def score(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory written by `tv-eval run`.")],
    scoring: Annotated[
        str | None, typer.Option(help="Re-score under this mode (default: the run's own).")
    ] = None,
    tier_map: Annotated[Path | None, typer.Option(help="Re-aggregate with this TOML/YAML tier map.")] = None,
    judge: JudgeOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_api_key_file: JudgeKeyFileOption = None,
    judge_prices: JudgePricesOption = None,
    judge_cache: JudgeCacheOption = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda[:N] (for a local judge).")] = "auto",
    concurrency: Annotated[int | None, typer.Option(min=1, help="Judge requests in flight at once.")] = None,
) -> None:
    """Re-score saved predictions (another scoring mode or tier map) and/or judge them, then rewrite
    the run's results. The evaluated model is never loaded."""
    from tv_eval.pipeline.judge_stage import SavedRunError, judge_saved_run
    from tv_eval.pipeline.rescoring import rescore_run
    from tv_eval.pipeline.runner import SMOKE_NOTICE
    from tv_eval.report.console import render_console

    config = _judge_config(
        judge, judge_base_url, judge_api_key_file, judge_prices, judge_cache, device, 0, concurrency
    )
    try:
        results = None
        if scoring is not None or tier_map is not None or config is None:
            _, tier_map_obj = _tiers((), tier_map)
            results = rescore_run(run_dir, scoring, tier_map_obj)
        if config is not None:
            results = judge_saved_run(run_dir, config).results
    except (*_config_errors(), SavedRunError) as error:
        fail(str(error))
    render_console(results, stdout, notice=SMOKE_NOTICE if results.get("smoke_run") else None)
    stdout.print(f"run directory: {run_dir}")
    exit_if_headline_failed(results)


@app.command("list")
def list_things(
    what: Annotated[str, typer.Argument(help="tasks or models")],
) -> None:
    """List registered tasks or model aliases."""
    from tv_eval.core import registry

    if what == "tasks":
        for name in registry.task_names():
            task = registry.load_task(name)
            stdout.print(
                f"{name}\t{task.description} (scoring: {', '.join(task.scoring_modes)}; "
                f"default {task.default_scoring})",
                highlight=False,
            )
            if task.option_help:
                stdout.print(f"\toptions: {', '.join(task.option_help)}", highlight=False)
    elif what == "models":
        for alias, spec in sorted(registry.model_aliases().items()):
            stdout.print(f"{alias}\t{spec.model_id}\t[{spec.adapter}]\t{spec.description}", highlight=False)
        stdout.print("hf:<hub-id-or-path>\tany image-text-to-text model\t[transformers]", highlight=False)
    else:
        fail(f"can list 'tasks' or 'models', not {what!r}")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `tv-eval run`.")],
) -> None:
    """Re-render the tables of a finished run from its results.json."""
    from tv_eval.core.io import read_json
    from tv_eval.pipeline.runner import SMOKE_NOTICE
    from tv_eval.report.console import render_console

    path = run_dir / "results.json"
    if not path.is_file():
        fail(f"{run_dir} has no results.json (is it a finished run directory?)")
    try:
        results = read_json(path)
    except ValueError as error:
        fail(f"{path} is not valid JSON: {error}")
    render_console(results, stdout, notice=SMOKE_NOTICE if results.get("smoke_run") else None)


# Commands on finished runs and maintenance live in their own modules and register themselves on
# `app` when imported; importing them after this module's commands keeps `run` first in --help.
from tv_eval.cli import compare as cli_compare  # noqa: E402
from tv_eval.cli import maintenance as cli_maintenance  # noqa: E402

COMMAND_MODULES = (cli_compare, cli_maintenance)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
