"""The `tv-eval` command line.

Start-up stays light (no torch, no datasets, no numpy) so `--help` and `list` answer at once;
each command imports what it needs when it runs. Every expected failure is one line on stderr
with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="tv-eval",
    help="Multilingual multimodal evaluation of vision-language models, per language and resource tier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
stderr = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


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
    from tv_eval.tiers import TIER_GROUPS, UNKNOWN_TIER, joshi_tier_map, load_tier_map

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


@app.command()
def run(
    model: Annotated[
        str, typer.Option(help="Model alias (see `tv-eval list models`) or hf:<hub-id-or-path>.")
    ],
    tasks: Annotated[str, typer.Option(help="Comma-separated task names (see `tv-eval list tasks`).")],
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
    task_option: Annotated[
        list[str] | None,
        typer.Option(
            help="TASK.KEY=VALUE, repeatable (e.g. multi30k.test_sets=2016,2017); see the task's README."
        ),
    ] = None,
) -> None:
    """Evaluate a model on tasks; print per-language and per-tier tables; write a run directory."""
    from tv_eval.adapter import ModelLoadError
    from tv_eval.languages import UnknownLanguageError, parse_language_list
    from tv_eval.registry import RegistryError
    from tv_eval.reports import render_console
    from tv_eval.runner import RunConfig, RunConfigError
    from tv_eval.runner import run as run_evaluation
    from tv_eval.task import TaskConfigError
    from tv_eval.tiers import TierMapError

    arguments = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in locals().items()
        if key in run.__annotations__
    }
    if device not in ("auto", "cpu") and not device.startswith("cuda"):
        fail(f"--device must be auto, cpu or cuda[:N], got {device!r}")
    if dtype not in ("auto", "bfloat16", "float16", "float32"):
        fail(f"--dtype must be auto, bfloat16, float16 or float32, got {dtype!r}")
    task_names = _split(tasks)
    if not task_names:
        fail("--tasks names no task")
    try:
        language_codes = tuple(parse_language_list(languages or ""))
        tier_labels, tier_map_obj = _tiers(_split(tiers), tier_map)
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
            arguments=arguments,
            task_options=_task_options(task_option),
        )
        outcome = run_evaluation(config, tier_map_obj, progress_factory=_RichProgress)
    except (
        RegistryError,
        RunConfigError,
        TaskConfigError,
        UnknownLanguageError,
        TierMapError,
        ModelLoadError,
    ) as error:
        fail(str(error))
    from tv_eval.runner import SMOKE_NOTICE

    render_console(outcome.results, stdout, notice=SMOKE_NOTICE if outcome.results["smoke_run"] else None)
    stdout.print(f"run directory: {outcome.run_dir}")


@app.command("list")
def list_things(
    what: Annotated[str, typer.Argument(help="tasks or models")],
) -> None:
    """List registered tasks or model aliases."""
    from tv_eval import registry

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
    from tv_eval.io import read_json
    from tv_eval.reports import render_console
    from tv_eval.runner import SMOKE_NOTICE

    path = run_dir / "results.json"
    if not path.is_file():
        fail(f"{run_dir} has no results.json (is it a finished run directory?)")
    try:
        results = read_json(path)
    except ValueError as error:
        fail(f"{path} is not valid JSON: {error}")
    render_console(results, stdout, notice=SMOKE_NOTICE if results.get("smoke_run") else None)


@app.command("comet-env")
def comet_env() -> None:
    """Create (on first use) the managed environment COMET metrics run in, and describe it."""
    from tv_eval.comet_env import CometEnvError, ensure_comet_env

    def notify(message: str) -> None:
        stderr.print(message, highlight=False)

    try:
        environment = ensure_comet_env(notify=notify)
    except CometEnvError as error:
        fail(str(error))
    created = "created now" if environment.created_now else "already there"
    stdout.print(f"COMET environment {environment.path} ({created}; set-up took {environment.setup_s} s)")
    for package, package_version in environment.versions.items():
        stdout.print(f"{package}\t{package_version}", highlight=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
