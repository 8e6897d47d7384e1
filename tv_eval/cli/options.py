"""Options and checks that `run` and `score` share: judge options, tier selection, config errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tv_eval.cli.common import fail, stdout

if TYPE_CHECKING:
    from tv_eval.data.tiers import TierMap
    from tv_eval.results.document import ResultsDocument
    from tv_eval.results.run_document import JudgeOptions

JudgeOption = Annotated[
    str | None, typer.Option(help="Judge open answers with this model (alias, hf:..., openai:...).")
]
JudgeBaseUrlOption = Annotated[str | None, typer.Option(help="Server of an openai:<model> judge.")]
JudgeKeyFileOption = Annotated[Path | None, typer.Option(help="API key file of the judge.")]
JudgePricesOption = Annotated[
    Path | None, typer.Option(help="Price table (YAML/TOML, USD per 1M tokens) overriding the built-in one.")
]
JudgeCacheOption = Annotated[Path | None, typer.Option(help="SQLite file caching judge answers.")]


def judge_options(
    judge: str | None,
    base_url: str | None,
    api_key_file: Path | None,
    prices: Path | None,
    cache: Path | None,
    concurrency: int | None,
) -> JudgeOptions | None:
    if judge is None:
        return None
    if cache is not None and cache.is_dir():
        fail(f"--judge-cache {cache} is a directory; name a file, such as {cache / 'judge_cache.sqlite'}")
    from tv_eval.results.run_document import JudgeOptions

    return JudgeOptions(
        model=judge,
        base_url=base_url,
        api_key_file=api_key_file,
        prices=prices,
        cache=cache,
        concurrency=concurrency,
    )


def load_tiers(tier_map_path: Path | None) -> TierMap:
    from tv_eval.data.tiers import joshi_tier_map, load_tier_map

    return load_tier_map(tier_map_path) if tier_map_path else joshi_tier_map()


def resolve_tiers(requested: tuple[str, ...], tier_map: TierMap) -> list[str]:
    """Tier labels of the map; on the Joshi map, high/mid/low name their classes."""
    from tv_eval.data.tiers import TIER_GROUPS, UNKNOWN_TIER

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
    return selected


def config_errors() -> tuple[type[Exception], ...]:
    from tv_eval.core.adapter import ModelLoadError
    from tv_eval.core.registry import RegistryError
    from tv_eval.core.store import CacheError
    from tv_eval.core.task import TaskConfigError
    from tv_eval.data.languages import UnknownLanguageError
    from tv_eval.data.tiers import TierMapError
    from tv_eval.judge.judging import JudgeConfigError
    from tv_eval.pipeline.run_types import RunConfigError
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


def show_results(results: ResultsDocument) -> None:
    """The console tables of a results document, under the smoke-run notice where it applies."""
    from tv_eval.pipeline.run_directory import SMOKE_NOTICE
    from tv_eval.report.console import render_console

    render_console(results.to_json(), stdout, notice=SMOKE_NOTICE if results.smoke_run else None)
