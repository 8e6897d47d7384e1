"""From scored samples to the numbers people read: overall, per language, per tier, per facet.

Tiers are looked up here from each sample's language, not trusted from the record, so the same
saved samples can be re-aggregated under another tier map without re-scoring.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from tv_eval.core.metrics import MetricKind, MetricSpec
from tv_eval.core.pairs import PIVOT_FOR, is_pivot
from tv_eval.core.types import MetricValue, SampleStatus, ScoredSample
from tv_eval.data.languages import language_info
from tv_eval.data.tiers import TIER_GROUP_ORDER, TierMap
from tv_eval.results.corpus_aggregation import corpus_macro_value, corpus_value
from tv_eval.results.statistics import DEFAULT_RESAMPLES, bootstrap_macro_ci, bootstrap_mean_ci
from tv_eval.scoring.corpus_metrics import CorpusMetric, SegmentTable

MACRO_SUFFIX = "_macro"
# The facet holding a task's pivot samples (tv_eval/core/pairs.py), grouped by their target's language.
PIVOT_FACET = "pivot_target"


def status_counts(records: Iterable[ScoredSample]) -> dict[str, int]:
    """Samples per status; `needs_reference` only where there are some (runs on data with references,
    nearly all of them, keep the counts they always had)."""
    counts = Counter(record.status.value for record in records)
    return {
        "total": sum(counts.values()),
        **{
            status.value: counts.get(status.value, 0)
            for status in SampleStatus
            if status is not SampleStatus.NEEDS_REFERENCE or counts.get(status.value)
        },
    }


def _cluster_of(record: ScoredSample) -> str:
    return record.cluster_id or record.sample_id


def metric_value(
    records: Sequence[ScoredSample], metric: str, *, seed: int, n_resamples: int = DEFAULT_RESAMPLES
) -> MetricValue:
    """Micro mean of one metric over the records that carry it, with its cluster-bootstrap CI."""
    scored = [record for record in records if metric in record.scores]
    if not scored:
        return MetricValue(value=None, n=0, ci95=None)
    values = [record.scores[metric] for record in scored]
    interval = bootstrap_mean_ci(values, [_cluster_of(r) for r in scored], n_resamples=n_resamples, seed=seed)
    return MetricValue(value=float(np.mean(values)), n=len(values), ci95=interval)


def macro_value(
    records: Sequence[ScoredSample],
    metric: str,
    group_of: Callable[[ScoredSample], str],
    *,
    seed: int,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> MetricValue:
    """Mean over groups (languages) of per-group means: every language weighs the same."""
    scored = [record for record in records if metric in record.scores]
    if not scored:
        return MetricValue(value=None, n=0, ci95=None)
    by_group: dict[str, list[float]] = defaultdict(list)
    for record in scored:
        by_group[group_of(record)].append(record.scores[metric])
    value = float(np.mean([np.mean(group) for group in by_group.values()]))
    interval = bootstrap_macro_ci(
        [r.scores[metric] for r in scored],
        [_cluster_of(r) for r in scored],
        [group_of(r) for r in scored],
        n_resamples=n_resamples,
        seed=seed,
    )
    return MetricValue(value=value, n=len(scored), ci95=interval)


def _metric_names(
    records: Iterable[ScoredSample], specs: Sequence[MetricSpec], corpus: Sequence[CorpusMetric]
) -> list[str]:
    """The segment metrics to average: every declared one (shown with n = 0 where no record carries
    it, e.g. a scorer that failed), and any other score the records carry."""
    declared = {spec.name for spec in specs if spec.kind is MetricKind.SEGMENT}
    carried = {name for record in records for name in record.scores}
    return sorted((declared | carried) - {metric.name for metric in corpus})


def _metrics_block(
    records: Sequence[ScoredSample],
    metrics: Sequence[str],
    *,
    seed: int,
    n_resamples: int,
    with_macro: bool,
    corpus: Sequence[SegmentTable] = (),
) -> dict[str, Any]:
    block: dict[str, Any] = {}
    for metric in metrics:
        block[metric] = metric_value(records, metric, seed=seed, n_resamples=n_resamples).to_json()
        if with_macro:
            block[metric + MACRO_SUFFIX] = macro_value(
                records, metric, lambda r: r.language, seed=seed, n_resamples=n_resamples
            ).to_json()
    for table in corpus:
        name = table.metric.name
        block[name] = corpus_value(table, records, seed=seed, n_resamples=n_resamples).to_json()
        if with_macro:
            block[name + MACRO_SUFFIX] = corpus_macro_value(
                table, records, lambda r: r.language, seed=seed, n_resamples=n_resamples
            ).to_json()
    return block


def _by_language(
    records: Sequence[ScoredSample],
    metrics: Sequence[str],
    tier_map: TierMap,
    tier_of: dict[str, str],
    options: dict[str, Any],
) -> dict[str, Any]:
    """One block per language, highest-resourced tier first."""
    by_language: dict[str, Any] = {}
    languages = sorted(tier_of, key=lambda code: (_tier_rank(tier_map, tier_of[code]), code))
    for language in languages:
        members = [record for record in records if record.language == language]
        info = language_info(language)
        by_language[language] = {
            "name": info.name,
            "script": info.script,
            "tier": tier_of[language],
            "tier_group": tier_map.group_of(tier_of[language]),
            "counts": status_counts(members),
            "metrics": _metrics_block(members, metrics, with_macro=False, **options),
        }
    return by_language


def _grouped(
    records: Sequence[ScoredSample],
    key: Callable[[ScoredSample], str | None],
    metrics: Sequence[str],
    *,
    with_macro: bool,
    options: dict[str, Any],
) -> dict[str, Any]:
    """One metrics block per label of `key` (records it labels None are left out)."""
    groups: dict[str, list[ScoredSample]] = defaultdict(list)
    for record in records:
        label = key(record)
        if label is not None:
            groups[label].append(record)
    return {
        label: _metrics_block(members, metrics, with_macro=with_macro, **options)
        for label, members in groups.items()
    }


def aggregate_task(
    records: Sequence[ScoredSample],
    *,
    tier_map: TierMap,
    breakdowns: Sequence[str] = (),
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    corpus_metrics: Sequence[CorpusMetric] = (),
    specs: Sequence[MetricSpec] = (),
) -> dict[str, Any]:
    """The `tasks.<task>` block of results.json (minus task metadata the runner adds).

    Per-sample metrics (from each record's `scores`, and every declared segment spec) are micro
    means; `corpus_metrics` are scored on each group's summed segment statistics. Both get the same
    groups, macro variants and intervals. Pivot samples (a task's extra pivot-language twins of its
    items) count in `counts` but stay out of every group, so the pivot language's row holds only
    its own items; they are reported apart, by their target's language, under `by_pivot_target`.
    """
    every = records
    pivots = [record for record in every if is_pivot(record.metadata)]
    records = [record for record in every if not is_pivot(record.metadata)]
    metrics = _metric_names(every, specs, corpus_metrics)
    tier_of = {language: tier_map.tier_of(language) for language in {record.language for record in records}}
    tables = [SegmentTable.build(metric, every) for metric in corpus_metrics]
    options: dict[str, Any] = {"seed": seed, "n_resamples": n_resamples, "corpus": tables}

    by_language = _by_language(records, metrics, tier_map, tier_of, options)

    def grouped(
        key: Callable[[ScoredSample], str | None], with_macro: bool, members: Sequence[ScoredSample] = records
    ) -> dict[str, Any]:
        return _grouped(members, key, metrics, with_macro=with_macro, options=options)

    by_tier = grouped(lambda r: tier_of[r.language], with_macro=True)
    by_tier_group = grouped(lambda r: tier_map.group_of(tier_of[r.language]), with_macro=True)
    block: dict[str, Any] = {
        "counts": status_counts(every),
        "overall": _metrics_block(records, metrics, with_macro=True, **options),
        "by_language": by_language,
        "by_tier": {tier: by_tier[tier] for tier in tier_map.tier_order() if tier in by_tier},
        "by_tier_group": {
            group: by_tier_group[group] for group in _group_order(tier_map) if group in by_tier_group
        },
    }
    for facet in breakdowns:
        block[f"by_{facet}"] = dict(
            sorted(grouped(lambda r, f=facet: getattr(r, f), with_macro=False).items())
        )
    if pivots:
        by_target = grouped(lambda r: str(r.metadata.get(PIVOT_FOR)), with_macro=False, members=pivots)
        block[f"by_{PIVOT_FACET}"] = dict(sorted(by_target.items()))
    return block


def _tier_rank(tier_map: TierMap, tier: str) -> int:
    order = tier_map.tier_order()
    return order.index(tier) if tier in order else len(order)


def _group_order(tier_map: TierMap) -> list[str]:
    if tier_map.is_joshi:
        return list(TIER_GROUP_ORDER)
    return tier_map.tier_order()
