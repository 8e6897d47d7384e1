"""The suite leaderboard: per model, one column per member task and the macro average over tasks.

A task counts towards a suite only where its run recorded that suite (`tv-eval run --tasks SUITE`),
since the suite may run it with options a lone run of the task lacks. The macro average is the
unweighted mean of the task columns, each already a mean over the task's languages; it exists only
for a model with a value in every member task, so an average over fewer tasks is never shown as if
it were the suite's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tv_eval.analysis.tables import Cell, ReportTable, finite, mark_best
from tv_eval.data.suites import SuiteError, suites

if TYPE_CHECKING:
    from tv_eval.analysis.leaderboard import TaskEntry

SUITE_PREFIX = "suite:"
MACRO_COLUMN = "macro average"


def held_suites(entries: Mapping[tuple[str, str], TaskEntry]) -> dict[str, list[str]]:
    """Each suite some run recorded, with the tasks recorded under it (in order of appearance)."""
    held: dict[str, list[str]] = {}
    for (_, task), entry in entries.items():
        if entry.suite is not None and task not in held.setdefault(entry.suite, []):
            held[entry.suite].append(task)
    return held


def suite_members(held: Mapping[str, list[str]], requested: Sequence[str] | None) -> dict[str, list[str]]:
    """The suites to show and their member tasks: the suites file's members where it defines the
    suite, else the tasks the runs recorded under it. `requested` (None: every suite the runs hold)
    names suites that must be held."""
    names = list(held) if requested is None else list(requested)
    missing = [name for name in names if name not in held]
    if missing:
        holding = ", ".join(held) or "none"
        raise SuiteError(f"no run holds suite {', '.join(missing)} (suites in these runs: {holding})")
    defined = suites() if names else {}
    return {name: defined[name].task_names if name in defined else list(held[name]) for name in names}


def _macro_cell(
    suite: str, model: str, members: list[str], cells: list[Cell], under: dict
) -> tuple[Cell, str]:
    """The mean of the task cells, or a text cell and the note that says why there is none."""
    missing = [task for task, cell in zip(members, cells, strict=True) if not finite(cell.value)]
    if missing:
        return Cell(text=f"n/a: {len(missing)} of {len(members)} tasks missing"), (
            f"{suite}: {model} lacks {', '.join(missing)} (no scored run of them under the suite): "
            "no macro average."
        )
    lower = [task for task in members if not under[task].spec.higher_is_better]
    if lower:
        return Cell(text="n/a: lower-is-better metric"), (
            f"{suite}: the primary metric of {', '.join(lower)} is lower-is-better: no macro average."
        )
    return Cell(value=sum(cell.value for cell in cells) / len(cells)), ""


def suite_table(
    suite: str, members: list[str], models: Sequence[str], entries: Mapping[tuple[str, str], TaskEntry]
) -> tuple[ReportTable, list[str]]:
    """The suite's table (models that ran some task under it) and a note per model without an average."""
    rows, notes = [], []
    for model in models:
        under = {
            task: entries[(model, task)]
            for task in members
            if (model, task) in entries and entries[(model, task)].suite == suite
        }
        if not under:
            continue
        cells = [under[task].overall_cell() if task in under else Cell() for task in members]
        macro, note = _macro_cell(suite, model, members, cells, under)
        rows.append((model, [*cells, macro]))
        notes += [note] if note else []
    metrics = [
        next((e.metric for (_, t), e in entries.items() if t == task and e.suite == suite), "")
        for task in members
    ]
    table = ReportTable(
        key=f"{SUITE_PREFIX}{suite}",
        title=f"Suite {suite}: models x tasks, macro average over its {len(members)} tasks",
        caption=(
            "Each task's primary metric, averaged over its languages, in percent (BLEU and other 0-100 "
            "metrics divided by 100 first), counting only runs made under the suite; the macro average "
            "is the unweighted mean of the task columns (no interval), shown only for a model with "
            "every task."
        ),
        row_header="model",
        columns=[*members, MACRO_COLUMN],
        column_notes=[*metrics, f"mean of {len(members)} tasks"],
        rows=rows,
    )
    return mark_best(table), notes


def suite_tables(
    entries: Mapping[tuple[str, str], TaskEntry], models: Sequence[str], requested: Sequence[str] | None
) -> tuple[list[ReportTable], dict[str, list[str]], list[str]]:
    """The tables of the suites shown, their members, and the notes."""
    held = held_suites(entries)
    members = suite_members(held, requested)
    tables, notes = [], []
    for suite, tasks in members.items():
        table, table_notes = suite_table(suite, tasks, models, entries)
        tables.append(table)
        extra = [task for task in held[suite] if task not in tasks]
        if extra:
            notes.append(
                f"{suite}: runs recorded {', '.join(extra)} under the suite, which no longer lists them; "
                "left out of its table."
            )
        notes += table_notes
    return tables, members, notes
