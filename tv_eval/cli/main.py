"""The `tv-eval` command line.

Start-up stays light (no torch, no datasets, no numpy) so `--help` and `list` answer at once;
each command imports what it needs when it runs. Every expected failure is one line on stderr
with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.markup import escape

# `run` registers itself first so it leads --help.
from tv_eval.cli import run_command
from tv_eval.cli.common import app, fail, stderr, stdout
from tv_eval.cli.metric_checks import exit_if_headline_failed
from tv_eval.cli.options import (
    JudgeBaseUrlOption,
    JudgeCacheOption,
    JudgeKeyFileOption,
    JudgeOption,
    JudgePricesOption,
    config_errors,
    judge_options,
    show_results,
)
from tv_eval.core.quick_exit import leave


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
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Score a damaged samples.jsonl's readable records (the damaged file is kept beside them).",
        ),
    ] = False,
) -> None:
    """Re-score saved predictions (another scoring mode or tier map) and/or judge them, then rewrite
    the run's results. The evaluated model is never loaded."""
    from tv_eval.pipeline.judge_stage import judge_config, judge_saved_run
    from tv_eval.pipeline.rescoring import rescore_run

    options = judge_options(judge, judge_base_url, judge_api_key_file, judge_prices, judge_cache, concurrency)
    try:
        results = None
        if scoring is not None or tier_map is not None or options is None:
            results = rescore_run(run_dir, scoring, tier_map, repair=repair)
        if options is not None:
            results = judge_saved_run(run_dir, judge_config(options, device, 0), repair=repair).results
    except config_errors() as error:
        fail(str(error))
    show_results(results)
    stdout.print(f"run directory: {run_dir}")
    exit_if_headline_failed(results)


@app.command("list")
def list_things(
    what: Annotated[str, typer.Argument(help="tasks or models")],
) -> None:
    """List registered tasks or model aliases."""
    from tv_eval.core import registry

    if what == "tasks":
        _list_tasks()
    elif what == "models":
        for alias, spec in sorted(registry.model_aliases().items()):
            backend = f"; {spec.backend} where installed, on CUDA" if spec.backend else ""
            stdout.print(
                f"{alias}\t{spec.model_id}\t[{spec.adapter}{backend}]\t{spec.description}",
                highlight=False,
                markup=False,
            )
        # markup=False: rich would take "[transformers]" for a style tag and print nothing of it.
        stdout.print(
            "hf:<hub-id-or-path>\tany image-text-to-text model\t[transformers]", highlight=False, markup=False
        )
        stdout.print(
            "vllm:<hub-id-or-path>\tthe same on vLLM's offline engine\t[vllm]", highlight=False, markup=False
        )
    else:
        fail(f"can list 'tasks' or 'models', not {what!r}")


def _list_tasks() -> None:
    """Tasks with their scoring modes and options, then suites and task families (task_listing.py)."""
    from tv_eval.cli.task_listing import task_listing
    from tv_eval.core.registry import RegistryError

    try:
        lines = task_listing()
    except RegistryError as error:  # a task plugin that does not load, a suites file that does not check
        fail(str(error))
    for line in lines:
        stdout.print(line, highlight=False, markup=False)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `tv-eval run`.")],
) -> None:
    """Re-render the tables of a finished run from its results.json."""
    from tv_eval.core.io import read_json
    from tv_eval.core.staged_files import committed_path
    from tv_eval.results.document import ResultsSchemaError, validate_results

    path = committed_path(run_dir, "results.json")
    if not path.is_file():
        fail(f"{run_dir} has no results.json (is it a finished run directory?)")
    try:
        results = validate_results(read_json(path))
    except ResultsSchemaError as error:
        fail(f"{run_dir / 'results.json'}: {error}")
    except ValueError as error:
        fail(f"{run_dir / 'results.json'} is not valid JSON: {error}")
    except OSError as error:
        fail(f"cannot read {run_dir / 'results.json'}: {error.strerror or error}")
    show_results(results)


# Commands on finished runs and maintenance live in their own modules and register themselves on
# `app` when imported; importing them after this module's commands keeps `run` first in --help.
from tv_eval.cli import compare as cli_compare  # noqa: E402
from tv_eval.cli import maintenance as cli_maintenance  # noqa: E402
from tv_eval.cli import merge_command as cli_merge  # noqa: E402

COMMAND_MODULES = (run_command, cli_compare, cli_maintenance, cli_merge)


def _click_exceptions() -> ModuleType:
    """Recent typer releases run their own copy of click; older ones use click itself."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def main() -> None:
    """The console script. A usage error (an unknown option, `--limit -1`) is one line like every
    other expected failure, not a framed box; help is still shown where it is asked for."""
    exceptions = _click_exceptions()
    try:
        code = app(standalone_mode=False)
    except exceptions.NoArgsIsHelpError as error:
        error.show()
        sys.exit(error.exit_code)
    except exceptions.UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "tv-eval"
        stderr.print(
            f"[bold red]error:[/] {escape(error.format_message())} (see `{command} --help`)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(error.exit_code)
    except exceptions.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        stderr.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def console() -> None:
    """The `tv-eval` console script: `main`, then a quick exit where torch was loaded (quick_exit.py).
    `main` itself ends in SystemExit, for callers that run it in their own process."""
    try:
        main()
    except SystemExit as finished:
        leave(finished.code)


if __name__ == "__main__":
    console()
