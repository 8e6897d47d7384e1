"""The regression gate: is a candidate run significantly worse than a baseline, beyond a threshold?

Decisions rest on paired per-sample differences over the sample ids both runs share, never on a
bare difference of means: each group (a task, a language, a tier) gets the mean difference and a
cluster-bootstrap interval. A group regresses when its drop exceeds the group's threshold AND
the interval lies entirely below zero. With several groups the interval level is Bonferroni-
corrected by default, so testing 100 languages does not make a false alarm near-certain.

Runs that cannot be compared (different tasks, datasets, scoring modes, prompt templates or
metrics; references that disagree on shared samples) are rejected as unusable input with the
reason, because a paired test on them would measure the change of protocol, not of the model.

Optionally (`identical`), named fields of every shared sample must match exactly; a
deterministic model (the project's own CI) uses this to catch any change to prompts, parsing or
scoring, in either direction, even where scores do not move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tv_eval.analysis.contrasts import Difference, paired_difference
from tv_eval.analysis.gate_config import (
    EXIT_PASS,
    EXIT_REGRESSION,
    MAX_CHANGES_SHOWN,
    GateConfig,
    UnusableInput,
)
from tv_eval.analysis.pairing import PairedScore, Pairing, pair_scores
from tv_eval.analysis.tables import Cell, ReportTable
from tv_eval.core.types import ScoredSample
from tv_eval.results.run_loading import RunData


def _metric_names(task: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in task["overall"] if not name.endswith("_macro"))


def _dataset_label(task: Mapping[str, Any]) -> str:
    dataset = task["dataset"]
    return f"{dataset.get('dataset_id')} split {dataset.get('split')} revision {dataset.get('revision')}"


def check_compatible(baseline: RunData, candidate: RunData, config: GateConfig) -> None:
    """Raise UnusableInput listing every reason the two runs cannot be compared sample by sample.

    Dataset fingerprints are compared for Hub sources only: for local folders and the bundled
    sample, `datasets` derives its fingerprint from file paths and modification times, so a
    fresh checkout of identical data gets a new one. Data content is instead checked directly:
    the references of every shared sample must agree.
    """
    reasons: list[str] = []
    base_tasks, cand_tasks = set(baseline.task_names), set(candidate.task_names)
    if base_tasks != cand_tasks:
        reasons.append(
            f"different tasks: baseline has {', '.join(sorted(base_tasks))}, "
            f"candidate has {', '.join(sorted(cand_tasks))}"
        )
    for name in sorted(base_tasks & cand_tasks):
        before, after = baseline.task(name), candidate.task(name)
        if _dataset_label(before) != _dataset_label(after):
            reasons.append(
                f"{name}: different datasets ({_dataset_label(before)} vs {_dataset_label(after)})"
            )
        elif before["dataset"].get("source") == after["dataset"].get("source") == "hub" and before[
            "dataset"
        ].get("fingerprint") != after["dataset"].get("fingerprint"):
            reasons.append(
                f"{name}: different dataset fingerprints ({before['dataset'].get('fingerprint')} vs "
                f"{after['dataset'].get('fingerprint')})"
            )
        for key, what in (
            ("scoring", "scoring modes"),
            ("prompts_hash", "prompt templates (hash)"),
            ("primary_metric", "primary metrics"),
        ):
            if before.get(key) != after.get(key):
                reasons.append(f"{name}: different {what} ({before.get(key)} vs {after.get(key)})")
        if _metric_names(before) != _metric_names(after):
            reasons.append(
                f"{name}: different metric definitions ({', '.join(_metric_names(before))} vs "
                f"{', '.join(_metric_names(after))})"
            )
        reasons += _sample_reasons(name, baseline.records[name], candidate.records[name], config)
    if reasons:
        raise UnusableInput("runs cannot be compared: " + "; ".join(reasons))


def _sample_reasons(
    task: str, baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], config: GateConfig
) -> list[str]:
    candidate_by_id = {record.sample_id: record for record in candidate}
    shared = [record for record in baseline if record.sample_id in candidate_by_id]
    if not shared:
        return [f"{task}: the runs share no sample ids"]
    reasons = []
    differing = [r.sample_id for r in shared if r.reference != candidate_by_id[r.sample_id].reference]
    if differing:
        reasons.append(
            f"{task}: {len(differing)} shared samples have different references (e.g. {differing[0]}); "
            "the data changed"
        )
    if config.same_samples:
        baseline_ids = {record.sample_id for record in baseline}
        if baseline_ids != set(candidate_by_id):
            only_baseline = len(baseline_ids - set(candidate_by_id))
            only_candidate = len(set(candidate_by_id) - baseline_ids)
            reasons.append(
                f"{task}: different sample sets ({only_baseline} only in baseline, "
                f"{only_candidate} only in candidate) and same_samples is set"
            )
    return reasons


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


@dataclass(frozen=True)
class GateRow:
    task: str
    group: str
    tier: str | None
    n: int
    baseline: float | None
    candidate: float | None
    difference: Difference | None
    max_drop: float
    changed: int
    verdict: str
    confidence: float

    @property
    def failing(self) -> bool:
        return self.verdict in ("REGRESSION", "CHANGED", "MISSING")


@dataclass
class GateReport:
    baseline: RunData
    candidate: RunData
    config: GateConfig
    rows: list[GateRow]
    changes: list[SampleChange]
    coverage: dict[str, Pairing]

    @property
    def failing_rows(self) -> list[GateRow]:
        return [row for row in self.rows if row.failing]

    @property
    def exit_code(self) -> int:
        return EXIT_REGRESSION if self.failing_rows else EXIT_PASS

    def summary(self) -> str:
        settings = (
            f"by {self.config.by}, max drop {self.config.max_drop:g} points unless configured, "
            f"alpha {self.config.alpha:g}"
            + (f" Bonferroni-corrected over {self._tested()} groups" if self._corrected() else "")
        )
        failing = self.failing_rows
        if not failing:
            return f"gate PASSED: no significant regression in {len(self.rows)} groups ({settings})"
        named = ", ".join(f"{row.task}/{row.group} {row.verdict}" for row in failing)
        return f"gate FAILED: {named} ({settings})"

    def _tested(self) -> int:
        return sum(1 for row in self.rows if row.n > 0)

    def _corrected(self) -> bool:
        return self.config.correction == "bonferroni" and self._tested() > 1

    def table(self) -> ReportTable:
        rows = []
        for row in self.rows:
            difference = row.difference
            interval = difference.interval if difference is not None else None
            rows.append(
                (
                    f"{row.task} / {row.group}",
                    [
                        Cell(text=row.tier or "-"),
                        Cell(value=float(row.n), text=str(row.n)),
                        Cell(value=row.baseline, text=_points(row.baseline)),
                        Cell(value=row.candidate, text=_points(row.candidate)),
                        Cell(
                            value=difference.value if difference else None,
                            text=_points(difference.value, signed=True) if difference else "-",
                        ),
                        Cell(
                            text=f"[{_points(interval[0], signed=True)}, {_points(interval[1], signed=True)}]"
                            if interval
                            else "-"
                        ),
                        Cell(value=row.max_drop, text=f"{row.max_drop:g}"),
                        Cell(value=float(row.changed), text=str(row.changed)),
                        Cell(text=row.verdict),
                    ],
                )
            )
        level = self.rows[0].confidence if self.rows else 1 - self.config.alpha
        return ReportTable(
            key="gate",
            title=f"{self.baseline.model_name} (baseline) vs {self.candidate.model_name} (candidate)",
            caption=(
                f"Means over paired samples in percent; delta = candidate - baseline in points; "
                f"{level * 100:.4g}% paired cluster-bootstrap interval. REGRESSION: drop beyond max drop "
                "and interval below 0."
            ),
            row_header="task / group",
            columns=[
                "tier",
                "n",
                "baseline",
                "candidate",
                "delta",
                "interval",
                "max drop",
                "changed",
                "verdict",
            ],
            rows=rows,
            kind="text",
        )

    def coverage_lines(self) -> list[str]:
        lines = []
        for task, pairing in self.coverage.items():
            lines.append(
                f"{task}: {len(pairing.shared_ids)} shared samples, {len(pairing.pairs)} paired, "
                f"{len(pairing.unpaired)} unpaired (scored on one side only, not failed), "
                f"{len(pairing.baseline_only)} only in baseline, "
                f"{len(pairing.candidate_only)} only in candidate"
            )
        return lines


def _points(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"


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


def _group_label(level: str, language: str, tier: str) -> str:
    return language if level == "language" else tier if level == "tier" else "all"


def _verdict(difference: Difference, max_drop: float) -> str:
    drop_beyond = difference.value * 100 < -max_drop
    below = difference.interval is not None and difference.interval[1] < 0
    if drop_beyond and below:
        return "REGRESSION"
    if difference.interval is not None and difference.interval[0] > 0:
        return "improved"
    if below:
        return "drop within threshold"
    if drop_beyond:
        return "drop not significant"
    return "ok"


@dataclass(frozen=True)
class _Group:
    task: str
    label: str
    tier: str | None
    pairs: list[PairedScore]
    baseline_scored: int
    changed: int


def _groups(
    task: str,
    pairing: Pairing,
    baseline: Sequence[ScoredSample],
    metric: str,
    level: str,
    changed_ids: set[str],
) -> list[_Group]:
    """The task's overall group, then its groups at `level` in the baseline's order."""
    levels = ["task"] if level == "task" else ["task", level]
    groups = []
    for current in levels:
        members: dict[str, list[PairedScore]] = defaultdict(list)
        scored: dict[str, int] = defaultdict(int)
        changed: dict[str, int] = defaultdict(int)
        tiers: dict[str, str] = {}
        labels: list[str] = []
        for record in baseline:
            label = _group_label(current, record.language, record.tier)
            if label not in tiers:
                labels.append(label)
                tiers[label] = record.tier
            if metric in record.scores:
                scored[label] += 1
            if record.sample_id in changed_ids:
                changed[label] += 1
        for pair in pairing.pairs:
            members[_group_label(current, pair.language, pair.tier)].append(pair)
        for label in labels:
            tier = None if current == "task" else tiers[label]
            groups.append(_Group(task, label, tier, members[label], scored[label], changed[label]))
    return groups


def evaluate(baseline: RunData, candidate: RunData, config: GateConfig) -> GateReport:
    """Check compatibility (raises UnusableInput), then test every group."""
    check_compatible(baseline, candidate, config)
    groups: list[_Group] = []
    coverage: dict[str, Pairing] = {}
    changes: list[SampleChange] = []
    for task in baseline.task_names:
        metric = baseline.primary_metric(task)
        pairing = pair_scores(baseline.records[task], candidate.records[task], metric)
        coverage[task] = pairing
        task_changes = sample_changes(task, baseline.records[task], candidate.records[task], config.identical)
        changes += task_changes
        groups += _groups(
            task,
            pairing,
            baseline.records[task],
            metric,
            config.by,
            {change.sample_id for change in task_changes},
        )
    tested = sum(1 for group in groups if group.pairs)
    alpha = config.alpha / tested if config.correction == "bonferroni" and tested > 1 else config.alpha
    confidence = 1.0 - alpha
    rows = []
    for group in groups:
        max_drop = config.threshold(group.task, group.tier)
        row = GateRow(
            task=group.task,
            group=group.label,
            tier=group.tier,
            n=len(group.pairs),
            baseline=None,
            candidate=None,
            difference=None,
            max_drop=max_drop,
            changed=group.changed,
            verdict="no scored samples",
            confidence=confidence,
        )
        if group.pairs:
            difference = paired_difference(
                [pair.difference for pair in group.pairs],
                [pair.cluster for pair in group.pairs],
                confidence=confidence,
                n_resamples=config.n_resamples,
                seed=config.seed,
            )
            verdict = _verdict(difference, max_drop)
            if verdict != "REGRESSION" and group.changed:
                verdict = "CHANGED"
            row = replace(
                row,
                baseline=sum(p.baseline for p in group.pairs) / len(group.pairs),
                candidate=sum(p.candidate for p in group.pairs) / len(group.pairs),
                difference=difference,
                verdict=verdict,
            )
        elif group.changed:
            row = replace(row, verdict="CHANGED")
        elif group.baseline_scored:
            row = replace(row, verdict="missing (allowed)" if config.allow_missing else "MISSING")
        rows.append(row)
    return GateReport(baseline, candidate, config, rows, changes, coverage)
