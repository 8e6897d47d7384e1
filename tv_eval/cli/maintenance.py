"""Maintenance commands: the response and judge caches, and the managed COMET environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tv_eval.cli.common import app, fail, stderr, stdout

if TYPE_CHECKING:
    from collections.abc import Callable

    from tv_eval.core.managed_env import ManagedEnv
    from tv_eval.judge.cache import JudgeCache
    from tv_eval.pipeline.cache import ResponseCache

cache_app = typer.Typer(help="Inspect or clear the response and judge caches.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
CacheDirOption = Annotated[
    Path | None, typer.Option(help="Cache folder (default: $TV_EVAL_CACHE_DIR or the user cache dir).")
]

JudgeFlag = Annotated[bool, typer.Option("--judge", help="The judge cache (judge answers), not responses.")]
JudgeCacheFileOption = Annotated[
    Path | None, typer.Option(help="The judge cache file, if not the cache folder's (implies --judge).")
]


def _open_cache(cache_dir: Path | None) -> ResponseCache:
    from tv_eval.core.cache_root import cache_root
    from tv_eval.core.store import CacheError
    from tv_eval.pipeline.cache import CACHE_FILE, ResponseCache

    try:
        return ResponseCache((cache_dir or cache_root()) / CACHE_FILE)
    except CacheError as error:
        fail(str(error))


def _open_judge_cache(cache_dir: Path | None, judge_cache: Path | None) -> JudgeCache:
    from tv_eval.core.cache_root import cache_root
    from tv_eval.core.store import CacheError
    from tv_eval.judge.cache import CACHE_FILE, JudgeCache

    if judge_cache is not None and cache_dir is not None:
        fail("give --judge-cache or --cache-dir, not both")
    path = judge_cache or (cache_dir or cache_root()) / CACHE_FILE
    if path.is_dir():
        fail(f"--judge-cache {path} is a directory; give the judge cache's SQLite file")
    try:
        return JudgeCache(path)
    except CacheError as error:
        fail(str(error))


@cache_app.command("info")
def cache_info(
    judge: JudgeFlag = False, judge_cache: JudgeCacheFileOption = None, cache_dir: CacheDirOption = None
) -> None:
    """Where the cache is, how big, and how many responses per model (with --judge: answers per judge)."""
    if judge or judge_cache is not None:
        answers = _open_judge_cache(cache_dir, judge_cache)
        stdout.print(f"{answers.path}: {len(answers)} judge answers", highlight=False)
        for label, count in sorted(answers.judges().items()):
            stdout.print(f"  {label}\t{count}", highlight=False)
        answers.close()
        return
    cache = _open_cache(cache_dir)
    stats = cache.stats()
    stdout.print(f"{stats.path}: {stats.entries} responses, {stats.size_bytes / 1e6:.1f} MB", highlight=False)
    for model_id, count in sorted(stats.models.items()):
        stdout.print(f"  {model_id}\t{count}", highlight=False)


@cache_app.command("clear")
def cache_clear(
    model: Annotated[
        str | None,
        typer.Option(help="Only this model id (as `cache info` lists it); with --judge, this judge's."),
    ] = None,
    judge: JudgeFlag = False,
    judge_cache: JudgeCacheFileOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Delete cached responses (or, with --judge, judge answers), all of them or one model's."""
    if judge or judge_cache is not None:
        cache = _open_judge_cache(cache_dir, judge_cache)
        removed, kind = cache.clear(model), "judge answers"
        cache.close()
    else:
        removed, kind = _open_cache(cache_dir).clear(model), "responses"
    stdout.print(f"removed {removed} cached {kind}" + (f" of {model}" if model else ""), highlight=False)


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
    _print_env("COMET", environment)


@app.command("lmms-env")
def lmms_env() -> None:
    """Create (on first use) the managed environment lmms-eval runs in (`lmms:` tasks and models)."""
    from tv_eval.bridges.lmms_env import ensure_lmms_env

    _ensure_and_print("lmms-eval", ensure_lmms_env)


@app.command("vllm-env")
def vllm_env() -> None:
    """Create (on first use) the managed environment of vLLM's CPU build (`vllm:` models without vllm)."""
    from tv_eval.bridges.vllm_env import ensure_vllm_env

    _ensure_and_print("vLLM", ensure_vllm_env)


def _ensure_and_print(label: str, ensure: Callable[..., ManagedEnv]) -> None:
    """Build a managed environment (first use; progress on stderr) and describe it, or fail in one line."""
    from tv_eval.core.managed_env import ManagedEnvError

    try:
        environment = ensure(notify=lambda message: stderr.print(message, highlight=False))
    except ManagedEnvError as error:
        fail(str(error))
    _print_env(label, environment)


def _print_env(label: str, environment: ManagedEnv) -> None:
    """Where a managed environment is, whether this call built it, and the versions its probe saw."""
    created = "created now" if environment.created_now else "already there"
    stdout.print(f"{label} environment {environment.path} ({created}; set-up took {environment.setup_s} s)")
    for package, package_version in environment.versions.items():
        stdout.print(f"{package}\t{package_version}", highlight=False)
