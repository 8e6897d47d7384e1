"""Corpus metrics per group: the group's summed segment statistics scored, with cluster-bootstrap intervals.

Kept apart from `scoring.corpus_metrics` (which defines what a corpus metric is) because the intervals
are statistics of the results, not of scoring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from tv_eval.core.metrics import MetricKind, MetricSpec
from tv_eval.core.types import MetricValue, ScoredSample
from tv_eval.results.statistics import bootstrap_corpus_ci, bootstrap_corpus_macro_ci
from tv_eval.scoring.corpus_metrics import CorpusMetric, SegmentTable
from tv_eval.scoring.lmms_aggregation import LmmsAggregation, is_lmms_spec
from tv_eval.scoring.sacrebleu_metrics import corpus_metric_of


def corpus_metrics_of(specs: Iterable[MetricSpec]) -> list[CorpusMetric]:
    """The corpus metrics a saved run declared, rebuilt from their specs to re-aggregate its segments."""
    return [
        LmmsAggregation(spec) if is_lmms_spec(spec) else corpus_metric_of(spec)
        for spec in specs
        if spec.kind is MetricKind.CORPUS
    ]


def _cluster_of(record: ScoredSample) -> str:
    return record.cluster_id or record.sample_id


def corpus_value(
    table: SegmentTable, records: Sequence[ScoredSample], *, seed: int, n_resamples: int
) -> MetricValue:
    """The metric over the group's segments, with a cluster-bootstrap interval."""
    members = table.members(records)
    if not members:
        return MetricValue(value=None, n=0, ci95=None)
    stats = table.stats[[row for _, row in members]]
    interval = bootstrap_corpus_ci(
        stats,
        [_cluster_of(record) for record, _ in members],
        table.metric.score,
        n_resamples=n_resamples,
        seed=seed,
    )
    return MetricValue(value=float(table.metric.score(stats.sum(axis=0))), n=len(members), ci95=interval)


def corpus_macro_value(
    table: SegmentTable,
    records: Sequence[ScoredSample],
    group_of: Callable[[ScoredSample], str],
    *,
    seed: int,
    n_resamples: int,
) -> MetricValue:
    """Mean over groups (languages) of each group's corpus score: every language weighs the same."""
    import numpy as np

    members = table.members(records)
    if not members:
        return MetricValue(value=None, n=0, ci95=None)
    stats = table.stats[[row for _, row in members]]
    groups = [group_of(record) for record, _ in members]
    labels = np.asarray(groups, dtype=object)
    value = float(
        np.mean([table.metric.score(stats[labels == label].sum(axis=0)) for label in sorted(set(groups))])
    )
    interval = bootstrap_corpus_macro_ci(
        stats,
        [_cluster_of(record) for record, _ in members],
        groups,
        table.metric.score,
        n_resamples=n_resamples,
        seed=seed,
    )
    return MetricValue(value=value, n=len(members), ci95=interval)
