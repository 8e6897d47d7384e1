"""Matching two runs' records of the same samples, for paired comparisons.

A paired test only compares like with like: the sample ids both runs hold. A sample that one run
scored and the other failed on (no answer, a crash) counts as 0 for the failing run: for a gate,
a model that stops answering has regressed. A sample left unscored for other reasons on either
side (waiting for a judge, excluded by protocol) cannot be paired and is counted apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tv_eval.core.types import SampleStatus, ScoredSample


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


def pair_scores(baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample], metric: str) -> Pairing:
    """Pairs in the baseline's order; language, tier and cluster are taken from the baseline record."""
    candidate_by_id = {record.sample_id: record for record in candidate}
    baseline_ids = {record.sample_id for record in baseline}
    pairs: list[PairedScore] = []
    shared: list[str] = []
    unpaired: list[str] = []
    for record in baseline:
        other = candidate_by_id.get(record.sample_id)
        if other is None:
            continue
        shared.append(record.sample_id)
        before, after = _value(record, metric), _value(other, metric)
        if before is None or after is None or (metric not in record.scores and metric not in other.scores):
            if metric in record.scores or metric in other.scores:
                unpaired.append(record.sample_id)
            continue
        pairs.append(
            PairedScore(
                sample_id=record.sample_id,
                language=record.language,
                tier=record.tier,
                cluster=record.cluster_id or record.sample_id,
                baseline=before,
                candidate=after,
            )
        )
    return Pairing(
        pairs=pairs,
        shared_ids=shared,
        baseline_only=[r.sample_id for r in baseline if r.sample_id not in candidate_by_id],
        candidate_only=[r.sample_id for r in candidate if r.sample_id not in baseline_ids],
        unpaired=unpaired,
    )
