"""The collector paused during a run's start-up: off until the model is loaded, then on again with
start-up's objects frozen, and everything as before once the run ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.test_cache import IDENTITY, REQUEST, CountingAdapter
from tv_eval.core.collector import paused_start_up, resume_collection
from tv_eval.core.types import Message, TextPart
from tv_eval.pipeline.generation import CachedGeneration


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    """Each test starts with the collector on and nothing frozen, and leaves it so."""
    gc.enable()
    gc.unfreeze()
    yield
    gc.enable()
    gc.unfreeze()


def _requests() -> list:
    return [
        replace(REQUEST, request_id=f"q{i}", messages=(Message("user", (TextPart(f"t{i}"),)),))
        for i in range(3)
    ]


def test_the_collector_is_off_until_the_model_is_loaded_then_skips_what_start_up_built() -> None:
    states: list[tuple[bool, int]] = []

    def load() -> CountingAdapter:
        states.append((gc.isenabled(), gc.get_freeze_count()))
        return CountingAdapter()

    with paused_start_up():
        assert not gc.isenabled()
        generation = CachedGeneration(load, IDENTITY, None)
        generation.generate(_requests())
        assert gc.isenabled() and gc.get_freeze_count() > 0
    assert states == [(False, 0)]  # the model loaded with the collector paused
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_run_that_needs_no_model_ends_its_start_up_at_generation() -> None:
    with paused_start_up():
        CachedGeneration(CountingAdapter, IDENTITY, None).generate([])
        assert gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_failed_run_leaves_the_collector_as_it_was() -> None:
    with pytest.raises(RuntimeError, match="no model"), paused_start_up():
        raise RuntimeError("no model")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    with paused_start_up():
        resume_collection()
    assert not gc.isenabled()  # paused by someone else: left off


def test_outside_a_run_loading_a_model_changes_nothing() -> None:
    """A library call, or a Ray actor: nobody paused the collector, so nothing is frozen."""
    CachedGeneration(CountingAdapter, IDENTITY, None).generate(_requests())
    resume_collection()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_run_command_starts_up_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tv_eval.cli import run_command
    from tv_eval.cli.main import app

    seen: list[bool] = []
    monkeypatch.setattr(run_command, "execute", lambda config, tier_map: seen.append(gc.isenabled()))
    result = CliRunner().invoke(
        app, ["run", "--model", "dummy", "--tasks", "alm_bench", "--sample", "--output-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0
