"""`tv-eval merge RUN_DIR...`: the shard runs of one `tv-eval run --shard i/N` combined into one run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tv_eval.cli.common import app, fail, stdout
from tv_eval.cli.metric_checks import exit_if_headline_failed
from tv_eval.cli.options import config_errors, show_results


@app.command()
def merge(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="The shard run directories: all N shards of one run.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            help="The merged run directory, new or empty (default: a new one beside the first shard)."
        ),
    ] = None,
) -> None:
    """Merge the shards of a sharded run (`tv-eval run --shard i/N`) into one run directory whose
    results equal an unsharded run's. Exit 2 when the shards do not make one whole run."""
    from tv_eval.pipeline.merge import merge_shards

    try:
        outcome = merge_shards(run_dirs, output)
    except config_errors() as error:
        fail(str(error))
    show_results(outcome.results)
    stdout.print(f"merged {outcome.shards} shards into run directory: {outcome.run_dir}")
    exit_if_headline_failed(outcome.results)
