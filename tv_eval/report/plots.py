"""Leaderboard plots as PNG bytes: per-language bars, the tier chart and the transfer heat map.

matplotlib is an optional extra (`pip install 'tv-eval[report]'`); without it the tables are
still produced and `PlotsUnavailable` carries the one-line hint. Figures are drawn through the
object API (no pyplot), so nothing depends on a display or on global backend state.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from typing import TYPE_CHECKING

from tv_eval.analysis.leaderboard import Leaderboard
from tv_eval.analysis.suite_board import SUITE_PREFIX
from tv_eval.data.tiers import JOSHI_CLASSES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL_HINT = "plots need matplotlib: pip install 'tv-eval[report]'"


class PlotsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError as error:
        raise PlotsUnavailable(INSTALL_HINT) from error


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _set_title(axes: Axes, title: str) -> None:
    """The title wrapped to the figure's width: constrained layout never shrinks a title, it clips it."""
    width_px = axes.get_figure().get_figwidth() * axes.get_figure().dpi
    # 12 pt DejaVu Sans averages under 9 px a character at 100 dpi; the margin is for wide glyphs.
    axes.set_title(textwrap.fill(title, width=max(20, int(width_px / 10))))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _error_bars(value: float | None, interval: tuple[float, float] | None) -> tuple[float, float]:
    if value is None or interval is None or any(math.isnan(b) for b in interval):
        return (0.0, 0.0)
    return (max(value - interval[0], 0.0) * 100, max(interval[1] - value, 0.0) * 100)


def language_bars(board: Leaderboard, task: str) -> bytes:
    """Grouped bars, one group per language (ordered by tier), one bar per model, 95% intervals."""
    table = board.table(f"languages:{task}")
    languages = table.columns
    figure = _new_figure(max(6.0, 0.45 * len(languages) * max(1, len(table.rows)) + 2), 4.0)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(table.rows))
    for row_index, (model, cells) in enumerate(table.rows):
        positions = [i + (row_index - (len(table.rows) - 1) / 2) * width for i in range(len(languages))]
        heights = [(cell.value or 0.0) * 100 for cell in cells]
        errors = [_error_bars(cell.value, cell.ci95) for cell in cells]
        axes.bar(
            positions,
            heights,
            width=width,
            label=model,
            yerr=[[e[0] for e in errors], [e[1] for e in errors]],
            capsize=2,
        )
    axes.set_xticks(range(len(languages)))
    axes.set_xticklabels(
        [
            f"{code}\n{note.replace('tier ', 't')}"
            for code, note in zip(languages, table.column_notes, strict=True)
        ],
        fontsize=8,
    )
    axes.set_ylabel("score (%)")
    axes.set_ylim(0, 100)
    _set_title(axes, f"{task}: per language (95% intervals), highest-resourced tier first")
    axes.legend(fontsize=8)
    return _png(figure)


def tier_chart(board: Leaderboard, task: str) -> bytes:
    """Mean over languages per tier, one line per model, from the highest tier to the lowest."""
    table = board.table(f"tiers:{task}")
    figure = _new_figure(6.0, 4.0)
    axes = figure.add_subplot()
    positions = list(range(len(table.columns)))
    for model, cells in table.rows:
        points = [(x, cell) for x, cell in zip(positions, cells, strict=True) if cell.value is not None]
        axes.errorbar(
            [x for x, _ in points],
            [cell.value * 100 for _, cell in points],
            yerr=[
                [_error_bars(c.value, c.ci95)[0] for _, c in points],
                [_error_bars(c.value, c.ci95)[1] for _, c in points],
            ],
            marker="o",
            capsize=3,
            label=model,
        )
    axes.set_xticks(positions)
    axes.set_xticklabels(table.columns)
    axes.set_ylabel("score (%), mean over languages")
    axes.set_ylim(0, 100)
    joshi = all(column.removeprefix("tier ") in (*JOSHI_CLASSES, "unknown") for column in table.columns)
    axes.set_xlabel("Joshi et al. (2020) class, 5 = most resourced" if joshi else "tier")
    _set_title(axes, f"{task}: by resource tier (95% intervals)")
    axes.legend(fontsize=8)
    return _png(figure)


def transfer_heatmap(board: Leaderboard, task: str) -> bytes:
    """Models x languages, colour = gap to the pivot in points (red below, blue above)."""
    table = board.table(f"transfer_gap:{task}")
    languages = table.columns[1:]
    matrix = [
        [cell.value * 100 if cell.value is not None else math.nan for cell in cells[1:]]
        for _, cells in table.rows
    ]
    finite = [abs(v) for row in matrix for v in row if not math.isnan(v)]
    limit = max(finite, default=1.0) or 1.0
    figure = _new_figure(max(6.0, 0.6 * len(languages) + 2.5), max(2.5, 0.6 * len(table.rows) + 1.5))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    axes.set_xticks(range(len(languages)))
    axes.set_xticklabels(languages, fontsize=8)
    axes.set_yticks(range(len(table.rows)))
    axes.set_yticklabels([model for model, _ in table.rows], fontsize=8)
    for row_index, row in enumerate(matrix):
        for column_index, value in enumerate(row):
            if not math.isnan(value):
                colour = "white" if abs(value) > 0.6 * limit else "black"
                axes.text(
                    column_index,
                    row_index,
                    f"{value:+.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=colour,
                )
    figure.colorbar(image, ax=axes, label=f"gap to {board.pivot} (points)")
    _set_title(axes, f"{task}: cross-lingual transfer, gap to {board.pivot}")
    return _png(figure)


def suite_bars(board: Leaderboard, suite: str) -> bytes:
    """Grouped bars for a suite: one group per member task and one for the macro average, a bar per model."""
    table = board.table(f"{SUITE_PREFIX}{suite}")
    figure = _new_figure(max(6.0, 0.5 * len(table.columns) * max(1, len(table.rows)) + 2), 4.0)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(table.rows))
    for row_index, (model, cells) in enumerate(table.rows):
        offset = (row_index - (len(table.rows) - 1) / 2) * width
        shown = [(i, cell) for i, cell in enumerate(cells) if cell.value is not None]
        errors = [_error_bars(cell.value, cell.ci95) for _, cell in shown]
        axes.bar(
            [i + offset for i, _ in shown],
            [cell.value * 100 for _, cell in shown],
            width=width,
            label=model,
            yerr=[[e[0] for e in errors], [e[1] for e in errors]],
            capsize=2,
        )
    axes.set_xticks(range(len(table.columns)))
    axes.set_xticklabels(table.columns, fontsize=8, rotation=30, ha="right")
    axes.set_ylabel("score (%), mean over languages")
    axes.set_ylim(0, 100)
    _set_title(axes, f"suite {suite}: per task and macro average (a missing task has no bar)")
    axes.legend(fontsize=8)
    return _png(figure)


def plot_file_name(task: str, kind: str) -> str:
    """`<task>_<kind>.png` with the task name made safe for a file name."""
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', task)}_{kind}.png"


def render_plots(board: Leaderboard) -> dict[str, bytes]:
    """File name -> PNG bytes for every plot the leaderboard has data for."""
    require_matplotlib()
    keys = {table.key for table in board.tables}
    plots: dict[str, bytes] = {}
    for task in board.tasks:
        if f"languages:{task}" in keys:
            plots[plot_file_name(task, "languages")] = language_bars(board, task)
        if f"tiers:{task}" in keys:
            plots[plot_file_name(task, "tiers")] = tier_chart(board, task)
        if f"transfer_gap:{task}" in keys:
            plots[plot_file_name(task, "transfer_heatmap")] = transfer_heatmap(board, task)
    for suite in board.suites:
        plots[plot_file_name(suite, "suite")] = suite_bars(board, suite)
    return plots
