"""The regression gate: is a candidate run significantly worse than a baseline, beyond a threshold?

Decisions rest on paired comparisons over the sample ids both runs share, never on a bare difference
of means: each group (a task, a language, a tier) gets the difference of the task's primary metric,
computed as its spec says (the mean of per-sample values, or a corpus statistic such as BLEU
recomputed on the paired segments), with a paired cluster-bootstrap interval. A group regresses when
its drop exceeds the group's threshold AND the interval lies entirely below zero ("drop" follows the
spec's direction: for a metric where lower is better, a rise). With several groups the interval
level is Bonferroni-corrected by default, so testing 100 languages does not make a false alarm
near-certain.

A group where nothing can be compared (no sample carries the metric in either run) is NOT TESTED
and fails the gate unless allowed (`--allow-untested`): a gate that tested nothing has not passed.
Runs that cannot be compared at all are rejected first (see `compatibility`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tv_eval.analysis.compatibility import check_compatible
from tv_eval.analysis.contrasts import Difference, Resampling
from tv_eval.analysis.gate_config import EXIT_PASS, EXIT_REGRESSION, GateConfig, UnusableInput
from tv_eval.analysis.gate_measures import Measurement, PairedMeasure, paired_measure
from tv_eval.analysis.pairing import Pairing
from tv_eval.analysis.sample_changes import SampleChange, sample_changes
from tv_eval.analysis.tables import Cell, ReportTable
from tv_eval.core.metrics import MetricSpec, primary_spec, spec_named, specs_of_task
from tv_eval.core.types import ScoredSample
from tv_eval.results.run_loading import RunData

NOT_TESTED = "NOT TESTED"
FAILING_VERDICTS = ("REGRESSION", "CHANGED", "MISSING", NOT_TESTED)


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
        return self.verdict in FAILING_VERDICTS


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
            untested = sum(1 for row in self.rows if row.n == 0)
            allowed = f", {untested} not tested (allowed)" if untested else ""
            return (
                f"gate PASSED: no significant regression in {len(self.rows) - untested} tested groups"
                f"{allowed} ({settings})"
            )
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
                "Primary metric over paired samples (the mean, or a corpus statistic recomputed on the "
                "paired segments), in points; delta = candidate - baseline; "
                f"{level * 100:.4g}% paired cluster-bootstrap interval. REGRESSION: drop beyond max drop "
                "and interval below 0 (for a metric where lower is better, a rise). NOT TESTED: nothing "
                "comparable."
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


def _group_label(level: str, language: str, tier: str) -> str:
    return language if level == "language" else tier if level == "tier" else "all"


def _verdict(difference: Difference, max_drop: float, higher_is_better: bool) -> str:
    """On the difference oriented so that positive is better."""
    sign = 1.0 if higher_is_better else -1.0
    value = sign * difference.value
    interval = sorted(sign * bound for bound in difference.interval) if difference.interval else None
    drop_beyond = value * 100 < -max_drop
    below = interval is not None and interval[1] < 0
    if drop_beyond and below:
        return "REGRESSION"
    if interval is not None and interval[0] > 0:
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
    rows: list[int]
    baseline_scored: int
    changed: int
    measure: PairedMeasure


def _groups(
    task: str, measure: PairedMeasure, baseline: Sequence[ScoredSample], level: str, changed_ids: set[str]
) -> list[_Group]:
    """The task's overall group, then its groups at `level` in the baseline's order."""
    levels = ["task"] if level == "task" else ["task", level]
    groups = []
    for current in levels:
        members: dict[str, list[int]] = defaultdict(list)
        scored: dict[str, int] = defaultdict(int)
        changed: dict[str, int] = defaultdict(int)
        tiers: dict[str, str] = {}
        for record in baseline:
            label = _group_label(current, record.language, record.tier)
            tiers.setdefault(label, record.tier)
            scored[label] += measure.carries(record)
            changed[label] += record.sample_id in changed_ids
        for row, pair in enumerate(measure.pairing.pairs):
            members[_group_label(current, pair.language, pair.tier)].append(row)
        for label in tiers:
            tier = None if current == "task" else tiers[label]
            groups.append(_Group(task, label, tier, members[label], scored[label], changed[label], measure))
    return groups


def _untested_verdict(group: _Group, config: GateConfig) -> str:
    if group.changed:
        return "CHANGED"
    if group.baseline_scored:
        return "missing (allowed)" if config.allow_missing else "MISSING"
    return "not tested (allowed)" if config.allow_untested else NOT_TESTED


def _row(group: _Group, config: GateConfig, confidence: float) -> GateRow:
    row = GateRow(
        task=group.task,
        group=group.label,
        tier=group.tier,
        n=len(group.rows),
        baseline=None,
        candidate=None,
        difference=None,
        max_drop=config.threshold(group.task, group.tier),
        changed=group.changed,
        verdict=_untested_verdict(group, config),
        confidence=confidence,
    )
    if not group.rows:
        return row
    measured: Measurement = group.measure.measure(
        group.rows, Resampling(confidence=confidence, n_resamples=config.n_resamples, seed=config.seed)
    )
    verdict = _verdict(measured.difference, row.max_drop, group.measure.spec.higher_is_better)
    if verdict != "REGRESSION" and group.changed:
        verdict = "CHANGED"
    return replace(
        row,
        baseline=measured.baseline,
        candidate=measured.candidate,
        difference=measured.difference,
        verdict=verdict,
    )


def _gated_specs(baseline: RunData, task: str, config: GateConfig) -> list[MetricSpec]:
    """The task's primary metric, then each of `also_metrics` the baseline declares for it."""
    specs = specs_of_task(baseline.task(task))
    return [primary_spec(specs), *(spec for name in config.also_metrics if (spec := spec_named(specs, name)))]


def evaluate(baseline: RunData, candidate: RunData, config: GateConfig) -> GateReport:
    """Check compatibility (raises UnusableInput), then test every group on the primary metric the
    baseline's results declare, and on each of `also_metrics` a task declares (its rows say which:
    `all [answer_language]`). A metric in `also_metrics` that no task declares is unusable input."""
    declared = {spec.name for task in baseline.task_names for spec in specs_of_task(baseline.task(task))}
    unknown = [name for name in config.also_metrics if name not in declared]
    if unknown:
        raise UnusableInput(f"no task of the baseline declares metric(s) {', '.join(unknown)}")
    check_compatible(baseline, candidate, config)
    groups: list[_Group] = []
    coverage: dict[str, Pairing] = {}
    changes: list[SampleChange] = []
    for task in baseline.task_names:
        task_changes = sample_changes(task, baseline.records[task], candidate.records[task], config.identical)
        changes += task_changes
        changed_ids = {change.sample_id for change in task_changes}
        for spec in _gated_specs(baseline, task, config):
            measure = paired_measure(spec, baseline.records[task], candidate.records[task])
            coverage.setdefault(task, measure.pairing)
            task_groups = _groups(task, measure, baseline.records[task], config.by, changed_ids)
            if not spec.primary:
                task_groups = [replace(group, label=f"{group.label} [{spec.name}]") for group in task_groups]
            groups += task_groups
    tested = sum(1 for group in groups if group.rows)
    alpha = config.alpha / tested if config.correction == "bonferroni" and tested > 1 else config.alpha
    rows = [_row(group, config, 1.0 - alpha) for group in groups]
    return GateReport(baseline, candidate, config, rows, changes, coverage)
