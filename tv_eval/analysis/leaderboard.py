"""Merging finished runs of several models into leaderboard tables and the cross-lingual transfer view.

Numbers are re-aggregated from each run's samples.jsonl with one tier map for every model, so
tiers line up across runs made at different times (or with different tier maps) and the same
saved samples can be re-read under another map. Group cells (a task overall, a tier) are means
over languages, so a language with many samples does not outweigh one with few.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tv_eval.analysis.answer_language_table import answer_language_table, declares_answer_language
from tv_eval.analysis.contrasts import Resampling
from tv_eval.analysis.paired_tables import paired_views
from tv_eval.analysis.paired_transfer import PairedProfile
from tv_eval.analysis.suite_board import suite_tables
from tv_eval.analysis.tables import Cell, ReportTable, mark_best, table_json
from tv_eval.analysis.transfer import (
    ModelComparison,
    TransferProfile,
    compare_models,
    gap_table,
    tier_gap_table,
    transfer_profile,
    wins_table,
)
from tv_eval.core.metrics import MetricKind, MetricSpec, primary_spec, specs_of_task
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import TierMap, order_languages
from tv_eval.results.aggregation import MACRO_SUFFIX, aggregate_task
from tv_eval.results.corpus_aggregation import corpus_metrics_of
from tv_eval.results.run_loading import RunData, model_labels
from tv_eval.results.statistics import DEFAULT_RESAMPLES

SMOKE_NOTE = (
    "SMOKE RUN among the inputs: tiny random-weight model and/or synthetic sample data; "
    "those numbers test the pipeline, not a model."
)
PROTOCOL_FIELDS = ("scoring", "prompts_hash", "primary_metric")


@dataclass(frozen=True)
class TaskEntry:
    """One model's results on one task, re-aggregated from its samples as its specs declare."""

    model: str
    task: str
    spec: MetricSpec
    run: RunData
    records: list[ScoredSample]
    aggregate: dict[str, Any]

    @property
    def metric(self) -> str:
        """The primary metric's name."""
        return self.spec.name

    def cell(self, metric: dict[str, Any] | None) -> Cell:
        """A value of the primary metric as a cell on the 0-1 scale (BLEU 34.2 -> 0.342)."""
        return Cell.from_metric(metric, self.spec.unit_factor)

    def overall_cell(self) -> Cell:
        """The primary metric averaged over the task's languages (every language weighs the same)."""
        return self.cell(self.aggregate["overall"].get(_macro(self.metric)))

    @property
    def suite(self) -> str | None:
        """The suite the task ran under, if any."""
        return self.run.task(self.task).get("suite")


@dataclass
class Leaderboard:
    models: list[str]
    tasks: list[str]
    pivot: str
    tier_map: str
    entries: dict[tuple[str, str], TaskEntry]
    languages: dict[str, list[str]]
    profiles: dict[str, list[TransferProfile]]
    comparisons: dict[str, list[ModelComparison]]
    paired: dict[str, list[PairedProfile]] = field(default_factory=dict)
    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suites: dict[str, list[str]] = field(default_factory=dict)

    def table(self, key: str) -> ReportTable:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        return {
            "models": self.models,
            "tasks": self.tasks,
            "pivot": self.pivot,
            "tier_map": self.tier_map,
            "notes": self.notes,
            "suites": self.suites,
            "runs": sorted(
                {(entry.model, str(entry.run.path), entry.run.run_id) for entry in self.entries.values()}
            ),
            "languages": self.languages,
            "tables": [table_json(table) for table in self.tables],
            "transfer": {
                task: [profile.to_json() for profile in profiles] for task, profiles in self.profiles.items()
            },
            "comparisons": {
                task: [comparison.to_json() for comparison in comparisons]
                for task, comparisons in self.comparisons.items()
            },
            "paired_transfer": {
                task: [profile.to_json() for profile in profiles] for task, profiles in self.paired.items()
            },
        }


def _protocol_notes(task: str, entries: Sequence[TaskEntry]) -> list[str]:
    """Differences in protocol between runs of one task: shown, since they make columns incomparable."""
    notes = []
    fields = {name: lambda e, n=name: str(e.run.task(e.task).get(n)) for name in PROTOCOL_FIELDS}
    fields["dataset"] = lambda e: "{dataset_id}/{split}@{revision}".format(**e.run.task(e.task)["dataset"])
    for name, read in fields.items():
        values: dict[str, list[str]] = defaultdict(list)
        for entry in entries:
            values[read(entry)].append(entry.model)
        if len(values) > 1:
            listing = "; ".join(f"{value}: {', '.join(models)}" for value, models in values.items())
            notes.append(f"{task}: runs differ in {name} ({listing}); compare these columns with care.")
    return notes


def _macro(metric: str) -> str:
    return metric + MACRO_SUFFIX


def _overall_table(board: Leaderboard) -> ReportTable:
    rows = []
    for model in board.models:
        cells = []
        for task in board.tasks:
            entry = board.entries.get((model, task))
            cells.append(entry.overall_cell() if entry else Cell())
        rows.append((model, cells))
    metrics = [next(e.metric for (m, t), e in board.entries.items() if t == task) for task in board.tasks]
    return ReportTable(
        key="overall",
        title="Models x tasks (mean over languages)",
        caption=(
            "Each task's primary metric, averaged over its languages (every language weighs the same), "
            "in percent, with 95% cluster-bootstrap intervals; n = scored samples. Best per column in bold."
        ),
        row_header="model",
        columns=list(board.tasks),
        column_notes=metrics,
        rows=rows,
    )


def _grouped_table(
    board: Leaderboard, task: str, block: str, labels: list[str], key: str, title: str, prefix: str
) -> ReportTable:
    rows = []
    for model in board.models:
        entry = board.entries.get((model, task))
        if entry is None:
            continue
        groups = entry.aggregate[block]
        rows.append(
            (model, [entry.cell(groups.get(label, {}).get(_macro(entry.metric))) for label in labels])
        )
    return ReportTable(
        key=key,
        title=title,
        caption="Mean over the group's languages, in percent, with 95% intervals; n = scored samples.",
        row_header="model",
        columns=[f"{prefix}{label}" for label in labels],
        rows=rows,
    )


def _language_table(board: Leaderboard, task: str, tier_map: TierMap) -> ReportTable:
    languages = board.languages[task]
    rows = []
    for model in board.models:
        entry = board.entries.get((model, task))
        if entry is None:
            continue
        by_language = entry.aggregate["by_language"]
        rows.append(
            (
                model,
                [
                    entry.cell(by_language[code]["metrics"].get(entry.metric))
                    if code in by_language
                    else Cell()
                    for code in languages
                ],
            )
        )
    return ReportTable(
        key=f"languages:{task}",
        title=f"{task}: models x languages (ordered by tier)",
        caption="Mean per language, in percent, with 95% cluster-bootstrap intervals; n = scored samples.",
        row_header="model",
        columns=list(languages),
        column_notes=[f"tier {tier_map.tier_of(code)}" for code in languages],
        rows=rows,
    )


def _entries(
    runs: Sequence[RunData], labels: Sequence[str], tier_map: TierMap, seed: int, n_resamples: int
) -> dict[tuple[str, str], TaskEntry]:
    """Every (model, task): its samples re-aggregated under one tier map, corpus metrics included."""
    entries: dict[tuple[str, str], TaskEntry] = {}
    for label, run in zip(labels, runs, strict=True):
        for task in run.task_names:
            records, specs = run.records[task], specs_of_task(run.task(task))
            entries[(label, task)] = TaskEntry(
                model=label,
                task=task,
                spec=primary_spec(specs),
                run=run,
                records=records,
                aggregate=aggregate_task(
                    records,
                    tier_map=tier_map,
                    seed=seed,
                    n_resamples=n_resamples,
                    corpus_metrics=corpus_metrics_of(specs),
                    specs=specs,
                ),
            )
    return entries


def _tier_tables(board: Leaderboard, task: str, entries: Sequence[TaskEntry], tier_map: TierMap) -> None:
    present_tiers = {tier for e in entries for tier in e.aggregate["by_tier"]}
    tiers = [tier for tier in tier_map.tier_order() if tier in present_tiers]
    board.tables.append(
        mark_best(
            _grouped_table(board, task, "by_tier", tiers, f"tiers:{task}", f"{task}: models x tiers", "tier ")
        )
    )
    present_groups = {group for e in entries for group in e.aggregate["by_tier_group"]}
    groups = [
        group for group in dict.fromkeys(tier_map.group_of(t) for t in tiers) if group in present_groups
    ]
    if tier_map.is_joshi:
        board.tables.append(
            mark_best(
                _grouped_table(
                    board,
                    task,
                    "by_tier_group",
                    groups,
                    f"tier_groups:{task}",
                    f"{task}: models x tier groups",
                    "",
                )
            )
        )


def _transfer_tables(
    board: Leaderboard, task: str, entries: Sequence[TaskEntry], tier_map: TierMap, resampling: Resampling
) -> None:
    """Gaps to the pivot language per model, and every later model against the first one given.

    Both are built on per-sample values, so a task whose primary metric is corpus-level gets a note."""
    if entries[0].spec.kind is MetricKind.CORPUS:
        board.profiles[task], board.comparisons[task] = [], []
        board.notes.append(
            f"{task}: no transfer view or wins for {entries[0].metric}, a corpus-level metric "
            "(they need per-sample values)."
        )
        return
    options = {
        "tier_map": tier_map,
        "confidence": resampling.confidence,
        "n_resamples": resampling.n_resamples,
        "seed": resampling.seed,
    }
    profiles = [
        transfer_profile(
            entry.records, model=entry.model, task=task, metric=entry.metric, pivot=board.pivot, **options
        )
        for entry in entries
    ]
    board.profiles[task] = profiles
    missing_pivot = [p.model for p in profiles if p.pivot_value is None]
    if missing_pivot:
        board.notes.append(
            f"{task}: pivot {board.pivot} has no scored samples for {', '.join(missing_pivot)}."
        )
    if len(missing_pivot) < len(profiles):
        board.tables.append(mark_best(gap_table(task, profiles, tier_map)))
        board.tables.append(mark_best(tier_gap_table(task, profiles, tier_map)))
    board.paired[task], paired_tables = paired_views(
        [(entry.records, unpaired) for entry, unpaired in zip(entries, profiles, strict=True)],
        tier_map,
        resampling,
    )
    board.tables += paired_tables
    reference = entries[0]
    board.comparisons[task] = [
        compare_models(
            reference.records,
            other.records,
            model_a=reference.model,
            model_b=other.model,
            task=task,
            metric=reference.metric,
            **options,
        )
        for other in entries[1:]
        if other.metric == reference.metric
    ]
    board.tables += [wins_table(comparison) for comparison in board.comparisons[task]]


def _without_copies(runs: Sequence[RunData]) -> tuple[list[RunData], list[str]]:
    """One run per run id: a copied run directory would otherwise overwrite its twin's row unseen."""
    kept: dict[str, RunData] = {}
    notes = []
    for run in runs:
        first = kept.setdefault(run.run_id, run)
        if first is not run:
            notes.append(
                f"{run.path} is a copy of run {run.run_id} ({first.path}): counted once, from {first.path}"
            )
    return list(kept.values()), notes


def build_leaderboard(
    runs: Sequence[RunData],
    *,
    tier_map: TierMap,
    pivot: str = "en",
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    suites: Sequence[str] | None = None,
) -> Leaderboard:
    """All tables and the transfer view; wins are every later model against the first one given.
    A suite table for each of `suites` (None: each suite the runs hold; SuiteError for one they do not)."""
    runs, copy_notes = _without_copies(runs)
    labels = model_labels(runs)
    models = list(dict.fromkeys(labels))
    tasks = list(dict.fromkeys(task for run in runs for task in run.task_names))
    entries = _entries(runs, labels, tier_map, seed, n_resamples)
    languages = {
        task: order_languages(
            {code for (_, t), e in entries.items() if t == task for code in e.aggregate["by_language"]},
            tier_map,
        )
        for task in tasks
    }
    board = Leaderboard(
        models=models,
        tasks=tasks,
        pivot=pivot,
        tier_map=tier_map.name,
        entries=entries,
        languages=languages,
        profiles={},
        comparisons={},
    )
    board.notes += copy_notes
    if any(run.smoke_run for run in runs):
        board.notes.append(SMOKE_NOTE)
    board.tables.append(mark_best(_overall_table(board)))
    tables, board.suites, suite_notes = suite_tables(entries, models, suites)
    board.tables += tables
    board.notes += suite_notes
    resampling = Resampling(confidence=confidence, n_resamples=n_resamples, seed=seed)
    for task in tasks:
        task_entries = [entries[(model, task)] for model in models if (model, task) in entries]
        board.notes += _protocol_notes(task, task_entries)
        _tier_tables(board, task, task_entries, tier_map)
        board.tables.append(mark_best(_language_table(board, task, tier_map)))
        language_checked = {
            e.model: e.aggregate for e in task_entries if declares_answer_language(e.run.task(task))
        }
        if language_checked:
            board.tables.append(
                answer_language_table(task, language_checked, board.languages[task], tier_map)
            )
        _transfer_tables(board, task, task_entries, tier_map, resampling)
    return board
