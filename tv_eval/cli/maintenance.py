"""Maintenance commands: the response cache and the managed COMET environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tv_eval.cli.common import app, fail, stderr, stdout

if TYPE_CHECKING:
    from tv_eval.pipeline.cache import ResponseCache

cache_app = typer.Typer(help="Inspect or clear the response cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
CacheDirOption = Annotated[
    Path | None, typer.Option(help="Cache folder (default: $TV_EVAL_CACHE_DIR or the user cache dir).")
]


def _open_cache(cache_dir: Path | None) -> ResponseCache:
    from tv_eval.core.cache_root import cache_root
    from tv_eval.core.store import CacheError
    from tv_eval.pipeline.cache import CACHE_FILE, ResponseCache

    try:
        return ResponseCache((cache_dir or cache_root()) / CACHE_FILE)
    except CacheError as error:
        fail(str(error))


@cache_app.command("info")
def cache_info(cache_dir: CacheDirOption = None) -> None:
    """Where the cache is, how big, and how many responses per model."""
    cache = _open_cache(cache_dir)
    stats = cache.stats()
    stdout.print(f"{stats.path}: {stats.entries} responses, {stats.size_bytes / 1e6:.1f} MB", highlight=False)
    for model_id, count in sorted(stats.models.items()):
        stdout.print(f"  {model_id}\t{count}", highlight=False)


@cache_app.command("clear")
def cache_clear(
    model: Annotated[str | None, typer.Option(help="Only this model id (as `cache info` lists it).")] = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Delete cached responses, all of them or one model's."""
    removed = _open_cache(cache_dir).clear(model)
    stdout.print(f"removed {removed} cached responses" + (f" of {model}" if model else ""))


@app.command("comet-env")
def comet_env() -> None:
    """Create (on first use) the managed environment COMET metrics run in, and describe it."""
    from tv_eval.scoring.comet_env import CometEnvError, ensure_comet_env

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
