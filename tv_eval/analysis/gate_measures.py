"""What the gate measures on a group of paired samples: the primary metric of both runs and their
difference with a paired interval, computed as the metric's spec says it aggregates.

A segment metric is the mean of per-sample values, and its interval resamples the per-sample
differences by cluster. A corpus metric (BLEU, chrF) is recomputed on the group's summed segment
statistics, and its interval recomputes it for both runs on the same resampled clusters. Values are
brought onto the 0-1 scale so thresholds read as points for every metric.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from tv_eval.analysis.contrasts import Difference, Resampling, paired_corpus_difference, paired_difference
from tv_eval.analysis.pairing import PairedSegments, Pairing, pair_scores, pair_segments
from tv_eval.core.metrics import MetricKind, MetricSpec
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.corpus_metrics import CorpusMetric
from tv_eval.scoring.corpus_registry import corpus_metric_of


@dataclass(frozen=True)
class Measurement:
    """Both runs' values and candidate - baseline, on the 0-1 scale."""

    baseline: float
    candidate: float
    difference: Difference


def _scaled(difference: Difference, factor: float) -> Difference:
    interval = difference.interval
    return Difference(
        value=difference.value * factor,
        n=difference.n,
        n_clusters=difference.n_clusters,
        interval=(interval[0] * factor, interval[1] * factor) if interval else None,
    )


class PairedMeasure(ABC):
    """The primary metric over a task's paired samples; `rows` index `pairing.pairs`."""

    def __init__(self, spec: MetricSpec, pairing: Pairing) -> None:
        self.spec = spec
        self.pairing = pairing

    @abstractmethod
    def carries(self, record: ScoredSample) -> bool:
        """Whether a record has a value of the metric (a scored segment of a corpus metric)."""

    @abstractmethod
    def measure(self, rows: Sequence[int], resampling: Resampling) -> Measurement:
        """The group made of `rows` (at least one)."""


class MeanMeasure(PairedMeasure):
    def carries(self, record: ScoredSample) -> bool:
        return self.spec.name in record.scores

    def measure(self, rows: Sequence[int], resampling: Resampling) -> Measurement:
        pairs = [self.pairing.pairs[row] for row in rows]
        difference = paired_difference(
            [pair.difference for pair in pairs],
            [pair.cluster for pair in pairs],
            confidence=resampling.confidence,
            n_resamples=resampling.n_resamples,
            seed=resampling.seed,
        )
        factor = self.spec.unit_factor
        return Measurement(
            baseline=factor * sum(pair.baseline for pair in pairs) / len(pairs),
            candidate=factor * sum(pair.candidate for pair in pairs) / len(pairs),
            difference=_scaled(difference, factor),
        )


class CorpusMeasure(PairedMeasure):
    def __init__(self, spec: MetricSpec, metric: CorpusMetric, segments: PairedSegments) -> None:
        super().__init__(spec, segments.pairing)
        self.metric = metric
        self.segments = segments

    def carries(self, record: ScoredSample) -> bool:
        return self.metric.applies(record)

    def measure(self, rows: Sequence[int], resampling: Resampling) -> Measurement:
        before = self.segments.baseline_stats[list(rows)]
        after = self.segments.candidate_stats[list(rows)]
        difference = paired_corpus_difference(
            before,
            after,
            [self.pairing.pairs[row].cluster for row in rows],
            self.metric.score,
            confidence=resampling.confidence,
            n_resamples=resampling.n_resamples,
            seed=resampling.seed,
        )
        factor = self.spec.unit_factor
        return Measurement(
            baseline=factor * self.metric.score(before.sum(axis=0)),
            candidate=factor * self.metric.score(after.sum(axis=0)),
            difference=_scaled(difference, factor),
        )


def paired_measure(
    spec: MetricSpec, baseline: Sequence[ScoredSample], candidate: Sequence[ScoredSample]
) -> PairedMeasure:
    """The measure the spec's kind calls for, over the samples both runs share."""
    if spec.kind is MetricKind.CORPUS:
        metric = corpus_metric_of(spec)
        return CorpusMeasure(spec, metric, pair_segments(baseline, candidate, metric))
    return MeanMeasure(spec, pair_scores(baseline, candidate, spec.name))
