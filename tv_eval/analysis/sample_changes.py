"""Fields of shared samples that must stay identical (`identical` in the gate config), and the table
of those that changed: a deterministic model (the project's own CI) uses this to catch any change to
prompts, parsing or scoring, in either direction, even where scores do not move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tv_eval.analysis.gate_config import MAX_CHANGES_SHOWN
from tv_eval.analysis.tables import Cell, ReportTable
from tv_eval.core.types import ScoredSample


@dataclass(frozen=True)
class SampleChange:
    task: str
    sample_id: str
    language: str
    field: str
    baseline: str
    candidate: str


def _field_text(record: ScoredSample, name: str) -> str:
    value = getattr(record, name)
    if name == "status":
        return value.value
    if name == "scores":
        return ", ".join(f"{key}={score:g}" for key, score in sorted(value.items())) or "{}"
    return "" if value is None else str(value)


def sample_changes(
    task: str, baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], fields: Sequence[str]
) -> list[SampleChange]:
    candidate_by_id = {record.sample_id: record for record in candidate}
    changes = []
    for record in baseline:
        other = candidate_by_id.get(record.sample_id)
        if other is None:
            continue
        for name in fields:
            before, after = _field_text(record, name), _field_text(other, name)
            if before != after:
                changes.append(SampleChange(task, record.sample_id, record.language, name, before, after))
    return changes


def difference_excerpts(before: str, after: str, width: int = 60) -> tuple[str, str]:
    """Both texts cut to `width` characters around where they first differ, so the change shows."""
    flat_before, flat_after = " ".join(before.split()), " ".join(after.split())
    common = 0
    for left, right in zip(flat_before, flat_after, strict=False):
        if left != right:
            break
        common += 1
    start = max(0, common - width // 3)

    def cut(text: str) -> str:
        piece = text[start : start + width]
        return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")

    return cut(flat_before), cut(flat_after)


def changes_table(changes: Sequence[SampleChange]) -> ReportTable:
    shown = changes[:MAX_CHANGES_SHOWN]
    return ReportTable(
        key="changes",
        title=f"Changed samples (first {len(shown)} of {len(changes)})",
        caption="Fields that must stay identical (`identical` in the gate config) but differ.",
        row_header="sample",
        columns=["task", "language", "field", "baseline", "candidate"],
        rows=[
            (
                change.sample_id,
                [
                    Cell(text=change.task),
                    Cell(text=change.language),
                    Cell(text=change.field),
                    *(Cell(text=text) for text in difference_excerpts(change.baseline, change.candidate)),
                ],
            )
            for change in shown
        ],
        kind="text",
    )
