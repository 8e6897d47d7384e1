"""Matching two runs' records of the same samples, for paired comparisons.

A paired test only compares like with like: the sample ids both runs hold. A sample that one run
scored and the other failed on (no answer, a crash) counts as 0 for the failing run: for a gate,
a model that stops answering has regressed. A sample left unscored for other reasons on either
side (waiting for a judge, excluded by protocol) cannot be paired and is counted apart.

Corpus metrics (BLEU, chrF) pair segments instead: the same rule, with a failed answer entering its
run's corpus as an empty hypothesis, and each side's sufficient statistics kept per segment so the
gate can recompute the corpus statistic of both runs on the same resampled segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tv_eval.core.types import SampleStatus, ScoredSample

if TYPE_CHECKING:
    import numpy as np

    from tv_eval.scoring.corpus_metrics import CorpusMetric


@dataclass(frozen=True)
class PairedScore:
    sample_id: str
    language: str
    tier: str
    cluster: str
    baseline: float
    candidate: float

    @property
    def difference(self) -> float:
        return self.candidate - self.baseline


@dataclass(frozen=True)
class Pairing:
    pairs: list[PairedScore]
    shared_ids: list[str]
    baseline_only: list[str]
    candidate_only: list[str]
    unpaired: list[str]


def _value(record: ScoredSample, metric: str) -> float | None:
    if metric in record.scores:
        return float(record.scores[metric])
    if record.status is SampleStatus.FAILED:
        return 0.0
    return None


def _shared(
    baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample]
) -> list[tuple[ScoredSample, ScoredSample]]:
    """(baseline record, candidate record) of every sample id both runs hold, in the baseline's order."""
    candidate_by_id = {record.sample_id: record for record in candidate}
    return [
        (record, candidate_by_id[record.sample_id])
        for record in baseline
        if record.sample_id in candidate_by_id
    ]


def _pairing(
    baseline: Sequence[ScoredSample],
    candidate: Sequence[ScoredSample],
    pairs: list[PairedScore],
    shared: Sequence[tuple[ScoredSample, ScoredSample]],
    unpaired: list[str],
) -> Pairing:
    baseline_ids = {record.sample_id for record in baseline}
    candidate_ids = {record.sample_id for record in candidate}
    return Pairing(
        pairs=pairs,
        shared_ids=[record.sample_id for record, _ in shared],
        baseline_only=[r.sample_id for r in baseline if r.sample_id not in candidate_ids],
        candidate_only=[r.sample_id for r in candidate if r.sample_id not in baseline_ids],
        unpaired=unpaired,
    )


def _paired(record: ScoredSample, before: float, after: float) -> PairedScore:
    return PairedScore(
        sample_id=record.sample_id,
        language=record.language,
        tier=record.tier,
        cluster=record.cluster_id or record.sample_id,
        baseline=before,
        candidate=after,
    )


def pair_scores(baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], metric: str) -> Pairing:
    """Pairs in the baseline's order; language, tier and cluster are taken from the baseline record."""
    shared = _shared(baseline, candidate)
    pairs: list[PairedScore] = []
    unpaired: list[str] = []
    for record, other in shared:
        before, after = _value(record, metric), _value(other, metric)
        if before is None or after is None or (metric not in record.scores and metric not in other.scores):
            if metric in record.scores or metric in other.scores:
                unpaired.append(record.sample_id)
            continue
        pairs.append(_paired(record, before, after))
    return _pairing(baseline, candidate, pairs, shared, unpaired)


@dataclass(frozen=True)
class PairedSegments:
    """Segments of a corpus metric both runs can be compared on; row i of each array is pairs[i]."""

    pairing: Pairing
    baseline_stats: np.ndarray
    candidate_stats: np.ndarray


def _segment(record: ScoredSample, metric: CorpusMetric) -> ScoredSample | None:
    """The record as a segment of its run's corpus: its hypothesis, an empty one when it failed."""
    if metric.applies(record):
        return record
    if record.status is SampleStatus.FAILED:
        return replace(record, extracted="")
    return None


def pair_segments(
    baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], metric: CorpusMetric
) -> PairedSegments:
    """Pairs in the baseline's order, with each side's statistics. A pair's two values are the
    segment's own score under the metric (sentence-level), shown per sample only."""
    import numpy as np

    shared = _shared(baseline, candidate)
    kept: list[tuple[ScoredSample, ScoredSample, ScoredSample]] = []
    unpaired: list[str] = []
    for record, other in shared:
        before, after = _segment(record, metric), _segment(other, metric)
        carried = metric.applies(record) or metric.applies(other)
        if before is None or after is None or not carried:
            if carried:
                unpaired.append(record.sample_id)
            continue
        kept.append((record, before, after))
    width = (0, 1)
    baseline_stats = metric.statistics([b for _, b, _ in kept]) if kept else np.zeros(width)
    candidate_stats = metric.statistics([a for _, _, a in kept]) if kept else np.zeros(width)
    pairs = [
        _paired(record, metric.score(baseline_stats[row]), metric.score(candidate_stats[row]))
        for row, (record, _, _) in enumerate(kept)
    ]
    return PairedSegments(
        pairing=_pairing(baseline, candidate, pairs, shared, unpaired),
        baseline_stats=baseline_stats,
        candidate_stats=candidate_stats,
    )
