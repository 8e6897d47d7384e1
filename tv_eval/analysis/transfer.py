"""Cross-lingual transfer: how far each language falls behind a pivot language, and model against model.

For one model and task, the gap of a language is its mean score minus the pivot's (English by
default); a tier's gap is the mean of its languages' gaps, so every language weighs the same. This
is the unpaired view: each side over its own items (paired_transfer.py compares the same items).
Between two models, each language is won by the one with the higher mean on the samples both
evaluated, and the win is significant when the paired bootstrap interval of the difference
excludes zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from tv_eval.analysis.contrasts import Difference, GroupReplicates, group_mean_replicates, paired_difference
from tv_eval.analysis.pairing import pair_scores
from tv_eval.analysis.tables import Cell, ReportTable
from tv_eval.core.pairs import is_pivot
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import TierMap, order_languages
from tv_eval.results.statistics import DEFAULT_RESAMPLES


@dataclass(frozen=True)
class LanguageGap:
    language: str
    tier: str
    value: float
    interval: tuple[float, float] | None
    n: int


@dataclass(frozen=True)
class TierGap:
    tier: str
    value: float
    interval: tuple[float, float] | None
    n_languages: int
    n: int


@dataclass(frozen=True)
class TransferProfile:
    """One model on one task. `pivot_value` is None when the pivot language has no scored sample."""

    model: str
    task: str
    metric: str
    pivot: str
    pivot_value: float | None
    pivot_n: int
    gaps: list[LanguageGap]
    tier_gaps: list[TierGap]
    confidence: float = 0.95

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _own_items(records: Sequence[ScoredSample]) -> list[ScoredSample]:
    """The records of each language's own items: a task's pivot samples (tv_eval/core/pairs.py) are
    its items asked again in the pivot language and belong to the paired view only."""
    return [record for record in records if not is_pivot(record.metadata)]


def _scored(records: Sequence[ScoredSample], metric: str) -> list[ScoredSample]:
    return [record for record in _own_items(records) if metric in record.scores]


def _language_gaps(
    replicates: GroupReplicates, languages: set[str], pivot: str, tier_map: TierMap, confidence: float
) -> list[LanguageGap]:
    gaps = []
    for language in order_languages(languages - {pivot}, tier_map):
        value, interval = replicates.contrast({language: 1.0, pivot: -1.0}, confidence)
        count = int(replicates.counts[replicates.column(language)])
        gaps.append(LanguageGap(language, tier_map.tier_of(language), value, interval, count))
    return gaps


class _Gap(Protocol):
    language: str
    tier: str
    n: int


def mean_tier_gaps(
    replicates: GroupReplicates,
    gaps: Sequence[_Gap],
    tier_map: TierMap,
    confidence: float,
    fixed_weights: Mapping[str, float] | None = None,
) -> list[TierGap]:
    """Each tier's mean over its languages (every language weighs the same), from the joint replicates;
    `fixed_weights` join every tier's contrast (the unpaired view subtracts the pivot's mean)."""
    by_tier: dict[str, list[_Gap]] = defaultdict(list)
    for gap in gaps:
        by_tier[gap.tier].append(gap)
    tier_gaps = []
    for tier in tier_map.tier_order():
        members = by_tier.get(tier)
        if not members:
            continue
        weights: dict[str, float] = {gap.language: 1.0 / len(members) for gap in members}
        weights.update(fixed_weights or {})
        value, interval = replicates.contrast(weights, confidence)
        tier_gaps.append(TierGap(tier, value, interval, len(members), sum(gap.n for gap in members)))
    return tier_gaps


def transfer_profile(
    records: Sequence[ScoredSample],
    *,
    model: str,
    task: str,
    metric: str,
    pivot: str,
    tier_map: TierMap,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> TransferProfile:
    scored = _scored(records, metric)
    languages = {record.language for record in scored}
    if pivot not in languages:
        return TransferProfile(model, task, metric, pivot, None, 0, [], [], confidence)
    replicates = group_mean_replicates(
        [record.scores[metric] for record in scored],
        [record.cluster_id or record.sample_id for record in scored],
        [record.language for record in scored],
        n_resamples=n_resamples,
        seed=seed,
    )
    pivot_column = replicates.column(pivot)
    gaps = _language_gaps(replicates, languages, pivot, tier_map, confidence)
    return TransferProfile(
        model=model,
        task=task,
        metric=metric,
        pivot=pivot,
        pivot_value=float(replicates.means[pivot_column]),
        pivot_n=int(replicates.counts[pivot_column]),
        gaps=gaps,
        tier_gaps=mean_tier_gaps(replicates, gaps, tier_map, confidence, {pivot: -1.0}),
        confidence=confidence,
    )


@dataclass(frozen=True)
class LanguageWin:
    """`difference` is model B minus model A on the shared samples; `winner` is "a", "b" or "tie"."""

    language: str
    tier: str
    n: int
    value_a: float
    value_b: float
    difference: Difference
    winner: str

    @property
    def significant(self) -> bool:
        return self.difference.significant


@dataclass(frozen=True)
class ModelComparison:
    task: str
    metric: str
    model_a: str
    model_b: str
    confidence: float
    languages: list[LanguageWin]

    def summary(self) -> str:
        wins_a = [w for w in self.languages if w.winner == "a"]
        wins_b = [w for w in self.languages if w.winner == "b"]
        ties = len(self.languages) - len(wins_a) - len(wins_b)

        def part(model: str, wins: list[LanguageWin]) -> str:
            significant = sum(1 for w in wins if w.significant)
            return f"{model} wins {len(wins)} ({significant} significant)"

        return (
            f"{self.task}: {part(self.model_a, wins_a)}, {part(self.model_b, wins_b)}, {ties} tied, "
            f"of {len(self.languages)} languages"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "metric": self.metric,
            "model_a": self.model_a,
            "model_b": self.model_b,
            "confidence": self.confidence,
            "languages": [
                {
                    "language": w.language,
                    "tier": w.tier,
                    "n": w.n,
                    "value_a": w.value_a,
                    "value_b": w.value_b,
                    "difference": w.difference.value,
                    "interval": list(w.difference.interval) if w.difference.interval else None,
                    "winner": w.winner,
                    "significant": w.significant,
                }
                for w in self.languages
            ],
        }


def compare_models(
    records_a: Sequence[ScoredSample],
    records_b: Sequence[ScoredSample],
    *,
    model_a: str,
    model_b: str,
    task: str,
    metric: str,
    tier_map: TierMap,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> ModelComparison:
    """Per language, paired over the sample ids both runs scored (a failure counts as 0)."""
    pairing = pair_scores(_own_items(records_a), _own_items(records_b), metric)
    by_language: dict[str, list] = defaultdict(list)
    for pair in pairing.pairs:
        by_language[pair.language].append(pair)
    wins = []
    for language in order_languages(by_language, tier_map):
        pairs = by_language[language]
        difference = paired_difference(
            [pair.difference for pair in pairs],
            [pair.cluster for pair in pairs],
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
        )
        winner = "b" if difference.value > 0 else "a" if difference.value < 0 else "tie"
        wins.append(
            LanguageWin(
                language=language,
                tier=tier_map.tier_of(language),
                n=len(pairs),
                value_a=sum(pair.baseline for pair in pairs) / len(pairs),
                value_b=sum(pair.candidate for pair in pairs) / len(pairs),
                difference=difference,
                winner=winner,
            )
        )
    return ModelComparison(task, metric, model_a, model_b, confidence, wins)


def gap_table(task: str, profiles: Sequence[TransferProfile], tier_map: TierMap) -> ReportTable:
    """Rows: models; columns: the pivot's own score, then each language's gap to it (points)."""
    pivot = profiles[0].pivot
    level = f"{profiles[0].confidence * 100:g}%"
    languages = order_languages({gap.language for p in profiles for gap in p.gaps}, tier_map)
    rows = []
    for profile in profiles:
        by_language = {gap.language: gap for gap in profile.gaps}
        pivot_text = (
            f"{profile.pivot_value * 100:.1f} n={profile.pivot_n}"
            if profile.pivot_value is not None
            else "not evaluated"
        )
        cells = [Cell(value=profile.pivot_value, n=profile.pivot_n, text=pivot_text)]
        for language in languages:
            gap = by_language.get(language)
            cells.append(Cell(value=gap.value, ci95=gap.interval, n=gap.n) if gap else Cell())
        rows.append((profile.model, cells))
    return ReportTable(
        key=f"transfer_gap:{task}",
        title=f"{task}: gap to pivot {pivot} by language (points)",
        caption=(
            f"Language mean minus {pivot} mean, in percentage points, with {level} cluster-bootstrap "
            "intervals (images resampled jointly across languages); n = scored samples in the language."
        ),
        row_header="model",
        columns=[f"pivot {pivot}", *languages],
        column_notes=["score", *(f"tier {tier_map.tier_of(language)}" for language in languages)],
        rows=rows,
        kind="gap",
    )


def tier_gap_table(task: str, profiles: Sequence[TransferProfile], tier_map: TierMap) -> ReportTable:
    pivot = profiles[0].pivot
    present = {gap.tier for p in profiles for gap in p.tier_gaps}
    tiers = [tier for tier in tier_map.tier_order() if tier in present]
    rows = []
    for profile in profiles:
        by_tier = {gap.tier: gap for gap in profile.tier_gaps}
        rows.append(
            (
                profile.model,
                [
                    Cell(value=by_tier[tier].value, ci95=by_tier[tier].interval, n=by_tier[tier].n)
                    if tier in by_tier
                    else Cell()
                    for tier in tiers
                ],
            )
        )
    return ReportTable(
        key=f"transfer_tier_gap:{task}",
        title=f"{task}: mean gap to pivot {pivot} by tier (points)",
        caption=(
            f"Mean over the tier's languages of each language's gap to the pivot, with "
            f"{profiles[0].confidence * 100:g}% intervals; n = scored samples."
        ),
        row_header="model",
        columns=[f"tier {tier}" for tier in tiers],
        rows=rows,
        kind="gap",
    )


def wins_table(comparison: ModelComparison) -> ReportTable:
    a, b = comparison.model_a, comparison.model_b
    level = f"{comparison.confidence * 100:g}%"
    rows = []
    for win in comparison.languages:
        interval = win.difference.interval
        interval_text = (
            f"[{interval[0] * 100:+.1f}, {interval[1] * 100:+.1f}]" if interval is not None else "-"
        )
        winner = {"a": a, "b": b, "tie": "tie"}[win.winner]
        rows.append(
            (
                win.language,
                [
                    Cell(text=win.tier),
                    Cell(value=float(win.n), text=str(win.n)),
                    Cell(value=win.value_a, text=f"{win.value_a * 100:.1f}"),
                    Cell(value=win.value_b, text=f"{win.value_b * 100:.1f}"),
                    Cell(value=win.difference.value, text=f"{win.difference.value * 100:+.1f}"),
                    Cell(text=interval_text),
                    Cell(text=winner),
                    Cell(text="yes" if win.significant else "no"),
                ],
            )
        )
    return ReportTable(
        key=f"wins:{comparison.task}:{a}:{b}",
        title=f"{comparison.task}: {b} vs {a} per language",
        caption=(
            f"{comparison.summary()}. Paired over shared sample ids; {level} cluster-bootstrap interval "
            f"of {b} minus {a} (points); significant when it excludes 0."
        ),
        row_header="language",
        columns=["tier", "n", a, b, f"{b} - {a}", f"{level} interval", "winner", "significant"],
        rows=rows,
        kind="text",
    )
