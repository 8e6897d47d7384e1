"""Tables as data: cells that keep their numbers (value, interval, n), built by the analyses.

Rendering them (console, Markdown, CSV, HTML) is the report stage's job; a table here is what every
output format shows, so the HTML page can sort on the numbers and tests can check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Cell:
    """A number with its interval and sample count, or a plain text cell (`text`)."""

    value: float | None = None
    ci95: tuple[float, float] | None = None
    n: int | None = None
    best: bool = False
    text: str | None = None

    @classmethod
    def from_metric(cls, metric: dict[str, Any] | None, factor: float = 1.0) -> Cell:
        """A results.json metric value; `factor` brings it onto the 0-1 scale cells hold (0.01 for BLEU)."""
        if not metric:
            return cls()
        value, interval = metric.get("value"), metric.get("ci95")
        return cls(
            value=value * factor if value is not None else None,
            ci95=(interval[0] * factor, interval[1] * factor) if interval else None,
            n=metric.get("n"),
        )


@dataclass(frozen=True)
class ReportTable:
    """`kind` tells renderers how to show values: `score` (percent), `gap` (signed points), `text`."""

    key: str
    title: str
    caption: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    kind: str = "score"
    column_notes: list[str] = field(default_factory=list)

    def cell(self, row: str, column: str) -> Cell:
        index = self.columns.index(column)
        for label, cells in self.rows:
            if label == row:
                return cells[index]
        raise KeyError(row)


def finite(value: float | None) -> bool:
    """False for a missing value and for NaN."""
    return value is not None and value == value


def mark_best(table: ReportTable) -> ReportTable:
    """Mark the highest value of each column, ties included, where at least two rows have a value."""
    if table.kind == "text":
        return table
    rows = [(label, list(cells)) for label, cells in table.rows]
    for index in range(len(table.columns)):
        values = [cells[index].value for _, cells in rows if finite(cells[index].value)]
        if len(values) < 2:
            continue
        top = max(values)
        for _, cells in rows:
            if finite(cells[index].value) and cells[index].value == top:
                cells[index] = replace(cells[index], best=True)
    return replace(table, rows=[(label, cells) for label, cells in rows])


def table_json(table: ReportTable) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "caption": table.caption,
        "kind": table.kind,
        "row_header": table.row_header,
        "columns": table.columns,
        "column_notes": table.column_notes,
        "rows": [
            {
                "label": label,
                "cells": [
                    {
                        "value": cell.value,
                        "ci95": list(cell.ci95) if cell.ci95 else None,
                        "n": cell.n,
                        "best": cell.best,
                        **({"text": cell.text} if cell.text is not None else {}),
                    }
                    for cell in cells
                ],
            }
            for label, cells in table.rows
        ],
    }
