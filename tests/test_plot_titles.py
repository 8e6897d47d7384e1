"""Plot titles stay inside their figure, however narrow the figure and however long the task name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.run_factory import synthetic_records, write_run
from tv_eval.analysis.leaderboard import build_leaderboard
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.report import plots
from tv_eval.results.run_loading import load_run

pytest.importorskip("matplotlib")


def test_every_title_fits_inside_its_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = synthetic_records({"en": 0.8, "de": 0.6}, per_language=6, seed=0)
    runs = [load_run(write_run(tmp_path / name, name, {"alm_bench": records})) for name in ("a", "b")]
    board = build_leaderboard(runs, tier_map=joshi_tier_map(), n_resamples=50)
    figures: list[Any] = []
    monkeypatch.setattr(plots, "_png", lambda figure: figures.append(figure) or b"")
    plots.render_plots(board)
    assert len(figures) == 3
    for figure in figures:
        figure.canvas.draw()
        (axes,) = [axes for axes in figure.axes if axes.get_title()]
        title = axes.title.get_window_extent()
        assert title.x0 >= 0 and title.x1 <= figure.bbox.x1, (axes.get_title(), title, figure.bbox)
