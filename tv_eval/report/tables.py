"""One table type for leaderboards, transfer views and the gate, rendered to console, Markdown, CSV, JSON.

Cells keep their numbers (value, interval, n) rather than preformatted strings, so every output
format shows the same figures, the HTML page can sort on them, and tests can check them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tv_eval.analysis.tables import Cell, ReportTable, finite
from tv_eval.report.console import format_metric


def format_number(value: float | None, kind: str) -> str:
    if not finite(value):
        return "-"
    scaled = value * 100.0
    return f"{scaled:+.1f}" if kind == "gap" else f"{scaled:.1f}"


def format_cell(cell: Cell, kind: str, *, with_n: bool = True) -> str:
    """`61.2 [55.0, 67.1] n=40` (percent) or `-12.3 [-20.1, -4.0] n=40` (points)."""
    if cell.text is not None:
        return cell.text
    if not finite(cell.value):
        return "-"
    if kind == "score":
        text = format_metric({"value": cell.value, "ci95": cell.ci95})
    else:
        text = format_number(cell.value, kind)
        if cell.ci95 and all(finite(bound) for bound in cell.ci95):
            text += f" [{format_number(cell.ci95[0], kind)}, {format_number(cell.ci95[1], kind)}]"
    if with_n and cell.n is not None:
        text += f" n={cell.n}"
    return text


def _header(table: ReportTable) -> list[str]:
    if table.column_notes:
        return [
            f"{column} ({note})" if note else column
            for column, note in zip(table.columns, table.column_notes, strict=True)
        ]
    return list(table.columns)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: ReportTable) -> str:
    header = [table.row_header, *_header(table)]
    lines = [f"### {table.title}", ""]
    if table.caption:
        lines += [table.caption, ""]
    lines += ["| " + " | ".join(_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    for label, cells in table.rows:
        rendered = []
        for cell in cells:
            text = _escape(format_cell(cell, table.kind))
            rendered.append(f"**{text}**" if cell.best else text)
        lines.append("| " + " | ".join([_escape(label), *rendered]) + " |")
    return "\n".join(lines) + "\n"


def print_table(table: ReportTable, console: Console) -> None:
    """Rich table; every text is escaped (sample text and model names may hold `[...]`).

    Title and caption are lines of their own, not rich's: rich wraps those to the table's width, which
    folds a caption into a narrow column of words under a two-column table.
    """
    rich_table = Table()
    rich_table.add_column(escape(table.row_header))
    for column in _header(table):
        rich_table.add_column(escape(column))
    for label, cells in table.rows:
        rendered = [
            f"[bold green]{escape(format_cell(cell, table.kind))} *[/]"
            if cell.best
            else escape(format_cell(cell, table.kind))
            for cell in cells
        ]
        rich_table.add_row(escape(label), *rendered)
    console.print(f"[bold]{escape(table.title)}[/]", highlight=False)
    console.print(rich_table)
    if table.caption:
        console.print(escape(table.caption), highlight=False)


CSV_FIELDS = ("table", "title", "row", "column", "value", "ci_low", "ci_high", "n", "best", "text")


def tables_csv(tables: Sequence[ReportTable]) -> str:
    """Tidy long format: one line per cell; values as fractions (scores) or differences (gaps)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for table in tables:
        for label, cells in table.rows:
            for column, cell in zip(table.columns, cells, strict=True):
                low, high = cell.ci95 if cell.ci95 else (None, None)
                writer.writerow(
                    [
                        table.key,
                        table.title,
                        label,
                        column,
                        "" if cell.value is None else repr(float(cell.value)),
                        "" if low is None else repr(float(low)),
                        "" if high is None else repr(float(high)),
                        "" if cell.n is None else cell.n,
                        str(cell.best).lower(),
                        cell.text or "",
                    ]
                )
    return buffer.getvalue()
