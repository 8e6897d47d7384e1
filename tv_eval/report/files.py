"""Writing a leaderboard to disk in the formats asked for: Markdown, CSV, JSON, HTML and PNG plots.

Plots are optional: without matplotlib every other format is still written, the HTML page says
why it has no plots, and the caller gets the one-line hint to print.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tv_eval.analysis.leaderboard import Leaderboard
from tv_eval.core.folder_lock import FolderBusy, FolderLock
from tv_eval.core.staged_files import StagedFiles
from tv_eval.report.console import TIER_CITATION
from tv_eval.report.tables import ReportTable, table_markdown, tables_csv

TRANSFER_PREFIXES = ("transfer_gap:", "transfer_tier_gap:", "paired_gap:", "paired_tier_gap:", "wins:")


@dataclass
class WriteOutcome:
    paths: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def transfer_tables(board: Leaderboard) -> list[ReportTable]:
    return [table for table in board.tables if table.key.startswith(TRANSFER_PREFIXES)]


def board_markdown(board: Leaderboard, tables: Sequence[ReportTable] | None = None, title: str = "") -> str:
    parts = [
        f"# {title or 'tv-eval leaderboard'}",
        "",
        f"Models: {', '.join(board.models)}. Tasks: {', '.join(board.tasks)}. "
        f"Pivot language: {board.pivot}. Tier map: {board.tier_map}.",
        "",
    ]
    parts += [f"> {note}" for note in board.notes]
    if board.notes:
        parts.append("")
    for comparisons in board.comparisons.values():
        parts += [f"- {comparison.summary()}" for comparison in comparisons]
    parts.append("")
    parts += [table_markdown(table) for table in (board.tables if tables is None else tables)]
    parts += [TIER_CITATION, ""]
    return "\n".join(parts)


def _json_text(data: object) -> str:
    return json.dumps(_clean(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class OutputBusy(Exception):
    """Another process is writing the same output folder."""


def write_leaderboard(
    board: Leaderboard,
    output: Path,
    formats: Sequence[str],
    *,
    name: str = "leaderboard",
    tables: Sequence[ReportTable] | None = None,
) -> WriteOutcome:
    """Write `name.<format>` files (and `plots/*.png`) under `output`, all in one commit: a process
    killed while rendering leaves the previous set untouched, never new tables beside an old page."""
    output.mkdir(parents=True, exist_ok=True)
    try:
        with FolderLock(output), StagedFiles(output) as staged:
            return _stage_leaderboard(staged, board, formats, name, tables)
    except FolderBusy:
        raise OutputBusy(f"{output} is being written by another tv-eval process; try again") from None


def _stage_leaderboard(
    staged: StagedFiles,
    board: Leaderboard,
    formats: Sequence[str],
    name: str,
    tables: Sequence[ReportTable] | None,
) -> WriteOutcome:
    outcome = WriteOutcome()
    selected = list(board.tables if tables is None else tables)

    def write(file_name: str, text: str) -> None:
        staged.write_text(file_name, text)
        outcome.paths.append(staged.folder / file_name)

    if "md" in formats:
        write(f"{name}.md", board_markdown(board, selected, title=f"tv-eval {name}"))
    if "csv" in formats:
        write(f"{name}.csv", tables_csv(selected))
    if "json" in formats:
        data = board.to_json()
        data["tables"] = [table for table in data["tables"] if table["key"] in {t.key for t in selected}]
        write(f"{name}.json", _json_text(data))
    plots = None
    plots_message = None
    if "png" in formats or "html" in formats:
        from tv_eval.report.plots import PlotsUnavailable, render_plots

        try:
            plots = render_plots(board)
        except PlotsUnavailable as error:
            plots_message = f"no plots: {error}"
            outcome.warnings.append(plots_message)
    if plots is not None and "png" in formats:
        for file_name, data in plots.items():
            staged.write_bytes(f"plots/{file_name}", data)
            outcome.paths.append(staged.folder / "plots" / file_name)
    if "html" in formats:
        from tv_eval.report.html import render_html

        write(f"{name}.html", render_html(board, plots, plots_message))
    return outcome


def _clean(value: object) -> object:
    """NaN (an interval nobody could compute) becomes null, so the JSON stays standard."""
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value
