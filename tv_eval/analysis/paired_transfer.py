"""Paired cross-lingual transfer: a language against the pivot language on the same items.

The unpaired gap (transfer.py) compares a language's mean with the pivot's mean over whatever items
each holds; when the item sets differ, the gap mixes a language effect with an item effect. Here
each item answered in both languages is a pair (tv_eval/core/pairs.py says how samples are linked:
a task's pivot samples by `pair_key`, parallel benchmarks by `parallel_id`), and the gap is the mean
over pairs of target minus pivot. Its interval is a paired bootstrap: pairs are resampled whole
(clustered by the target's image, as every tv-eval interval is), so both sides move together.

A pair needs the metric on both sides: an item whose target or pivot failed, waits for a judge, or
has no (or more than one) pivot partner is counted as unpaired, never scored as 0. The agreement
table counts pairs whose two values are exact verdicts (0 or 1); graded pairs (a judge's 0.7) are
counted apart rather than cut at an arbitrary threshold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tv_eval.analysis.contrasts import Resampling, group_mean_replicates, paired_difference
from tv_eval.analysis.transfer import TierGap, mean_tier_gaps
from tv_eval.core.pairs import PAIR_KEY, PARALLEL_ID, is_pivot
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import TierMap, order_languages

PAIRED_BY_PIVOT_SAMPLES = "pivot samples"
PAIRED_BY_PARALLEL_IDS = "parallel ids"
_SOURCE_OF = {"pair": PAIRED_BY_PIVOT_SAMPLES, "parallel": PAIRED_BY_PARALLEL_IDS}


@dataclass(frozen=True)
class ItemPair:
    """One item in a target language and in the pivot language: the primary metric on each side."""

    key: str
    source: str
    language: str
    cluster: str
    target: float
    pivot: float

    @property
    def difference(self) -> float:
        return self.target - self.pivot


@dataclass(frozen=True)
class Agreement:
    """Pairs by verdict: right in both, right only in the pivot, only in the target, in neither.
    `graded` pairs have a value other than 0 or 1 on a side and are in none of the four."""

    both: int
    only_pivot: int
    only_target: int
    neither: int
    graded: int


@dataclass(frozen=True)
class PairedGap:
    """`value` is the mean of target - pivot over the `n` pairs; `target_value` and `pivot_value`
    are the two sides' means on those same pairs; `unpaired` counts the language's items left out."""

    language: str
    tier: str
    n: int
    n_clusters: int
    target_value: float
    pivot_value: float
    value: float
    interval: tuple[float, float] | None
    agreement: Agreement
    unpaired: int


@dataclass(frozen=True)
class PairedProfile:
    model: str
    task: str
    metric: str
    pivot: str
    sources: list[str]
    gaps: list[PairedGap]
    tier_gaps: list[TierGap]
    confidence: float
    unpaired: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _pivot_key(record: ScoredSample, pivot: str) -> tuple[str, str] | None:
    """The key a pivot-language record answers for: its pair key if a task added it as a pivot
    sample, else its parallel id."""
    if record.language != pivot:
        return None
    if is_pivot(record.metadata):
        return ("pair", str(record.metadata.get(PAIR_KEY)))
    parallel = record.metadata.get(PARALLEL_ID)
    return ("parallel", str(parallel)) if parallel is not None else None


def _target_key(record: ScoredSample, pivot: str) -> tuple[str, str] | None:
    if record.language == pivot or is_pivot(record.metadata):
        return None
    if record.metadata.get(PAIR_KEY) is not None:
        return ("pair", str(record.metadata[PAIR_KEY]))
    parallel = record.metadata.get(PARALLEL_ID)
    return ("parallel", str(parallel)) if parallel is not None else None


def item_pairs(
    records: Sequence[ScoredSample], metric: str, pivot: str
) -> tuple[list[ItemPair], Counter[str]]:
    """Every target item with exactly one pivot partner, both scored on `metric` (in record order),
    and per language the items that have a pair key but no usable pair."""
    partners: dict[tuple[str, str], list[ScoredSample]] = defaultdict(list)
    for record in records:
        key = _pivot_key(record, pivot)
        if key is not None:
            partners[key].append(record)
    pairs: list[ItemPair] = []
    unpaired: Counter[str] = Counter()
    for record in records:
        key = _target_key(record, pivot)
        if key is None:
            continue
        found = partners.get(key, [])
        if len(found) != 1 or metric not in record.scores or metric not in found[0].scores:
            unpaired[record.language] += 1
            continue
        pairs.append(
            ItemPair(
                key=key[1],
                source=_SOURCE_OF[key[0]],
                language=record.language,
                cluster=record.cluster_id or record.sample_id,
                target=float(record.scores[metric]),
                pivot=float(found[0].scores[metric]),
            )
        )
    return pairs, unpaired


def agreement(pairs: Sequence[ItemPair]) -> Agreement:
    cells: Counter[tuple[bool, bool]] = Counter()
    graded = 0
    for pair in pairs:
        if {pair.target, pair.pivot} <= {0.0, 1.0}:
            cells[(pair.pivot == 1.0, pair.target == 1.0)] += 1
        else:
            graded += 1
    return Agreement(
        both=cells[(True, True)],
        only_pivot=cells[(True, False)],
        only_target=cells[(False, True)],
        neither=cells[(False, False)],
        graded=graded,
    )


def _language_gap(
    language: str, pairs: Sequence[ItemPair], unpaired: int, tier_map: TierMap, resampling: Resampling
) -> PairedGap:
    difference = paired_difference(
        [pair.difference for pair in pairs],
        [pair.cluster for pair in pairs],
        confidence=resampling.confidence,
        n_resamples=resampling.n_resamples,
        seed=resampling.seed,
    )
    return PairedGap(
        language=language,
        tier=tier_map.tier_of(language),
        n=len(pairs),
        n_clusters=difference.n_clusters,
        target_value=sum(pair.target for pair in pairs) / len(pairs),
        pivot_value=sum(pair.pivot for pair in pairs) / len(pairs),
        value=difference.value,
        interval=difference.interval,
        agreement=agreement(pairs),
        unpaired=unpaired,
    )


def _tier_gaps(
    pairs: Sequence[ItemPair], gaps: Sequence[PairedGap], tier_map: TierMap, resampling: Resampling
) -> list[TierGap]:
    """Each tier's mean of its languages' paired gaps; the interval resamples clusters jointly over
    all languages (a cluster shared by two languages moves both)."""
    replicates = group_mean_replicates(
        [pair.difference for pair in pairs],
        [pair.cluster for pair in pairs],
        [pair.language for pair in pairs],
        n_resamples=resampling.n_resamples,
        seed=resampling.seed,
    )
    return mean_tier_gaps(replicates, gaps, tier_map, resampling.confidence)


def paired_profile(
    records: Sequence[ScoredSample],
    *,
    model: str,
    task: str,
    metric: str,
    pivot: str,
    tier_map: TierMap,
    resampling: Resampling,
) -> PairedProfile | None:
    """The paired view of one model on one task, or None when no item is paired with the pivot."""
    pairs, unpaired = item_pairs(records, metric, pivot)
    if not pairs:
        return None
    by_language: dict[str, list[ItemPair]] = defaultdict(list)
    for pair in pairs:
        by_language[pair.language].append(pair)
    gaps = [
        _language_gap(language, by_language[language], unpaired[language], tier_map, resampling)
        for language in order_languages(by_language, tier_map)
    ]
    return PairedProfile(
        model=model,
        task=task,
        metric=metric,
        pivot=pivot,
        sources=sorted({pair.source for pair in pairs}),
        gaps=gaps,
        tier_gaps=_tier_gaps(pairs, gaps, tier_map, resampling),
        confidence=resampling.confidence,
        unpaired=dict(sorted(unpaired.items())),
    )
