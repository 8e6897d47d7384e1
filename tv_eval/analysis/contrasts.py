"""Bootstrap intervals for differences: paired per-sample differences and contrasts of group means.

Two kinds of comparison need more than a mean's interval:

- the same samples under two runs (regression gate, model against model): the difference is taken
  per sample and clusters (images) are resampled, which respects both the pairing and the
  correlation between questions about one image;
- different groups of one run (a language against the pivot language): clusters are resampled
  jointly across groups, so an image shared by two languages moves both sides of the gap at once.

Both reuse the cluster machinery of `tv_eval.results.statistics`; intervals are percentile intervals at
any confidence level, because the gate corrects its level for the number of groups it tests.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tv_eval.results.statistics import (
    DEFAULT_RESAMPLES,
    RESAMPLE_CHUNK,
    cluster_index,
    cluster_mean_replicates,
    cluster_weights,
    percentile_interval,
)


@dataclass(frozen=True)
class Difference:
    """A mean difference with its interval; `interval` is None with fewer than two clusters."""

    value: float
    n: int
    n_clusters: int
    interval: tuple[float, float] | None

    @property
    def significant(self) -> bool:
        """The interval lies entirely on one side of zero."""
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)


@dataclass(frozen=True)
class Resampling:
    """How an interval is drawn: its confidence level, the number of resamples and the seed."""

    confidence: float
    n_resamples: int
    seed: int


def paired_difference(
    differences: Sequence[float],
    clusters: Sequence[str],
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Difference:
    """Mean of per-sample differences (candidate - baseline) and its cluster-bootstrap interval.

    One cluster cannot be resampled meaningfully (every replicate equals the estimate), so the
    interval is left out then rather than reported as a spuriously exact point.
    """
    if not differences:
        raise ValueError("paired_difference needs at least one paired sample")
    values = np.asarray(differences, dtype=float)
    _, n_clusters = cluster_index(clusters)
    estimate = float(values.mean())
    if n_clusters < 2:
        return Difference(value=estimate, n=len(values), n_clusters=n_clusters, interval=None)
    replicates = cluster_mean_replicates(values, clusters, n_resamples=n_resamples, seed=seed)
    interval = percentile_interval(replicates, confidence)
    return Difference(value=estimate, n=len(values), n_clusters=n_clusters, interval=interval)


def paired_corpus_difference(
    baseline_stats: np.ndarray,
    candidate_stats: np.ndarray,
    clusters: Sequence[str],
    score: Callable[[np.ndarray], float],
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Difference:
    """Difference of a corpus statistic (candidate - baseline) over the same segments, with a paired
    bootstrap interval: each replicate draws one set of clusters (images) and recomputes the statistic
    of both runs on it, as sacrebleu's paired bootstrap resampling (Koehn 2004) draws the same
    sentence indices for both systems. Rows of the two arrays are the same segments, in order."""
    if len(baseline_stats) == 0:
        raise ValueError("paired_corpus_difference needs at least one paired segment")
    estimate = float(score(candidate_stats.sum(axis=0)) - score(baseline_stats.sum(axis=0)))
    index, n_clusters = cluster_index(clusters)
    if n_clusters < 2:
        return Difference(value=estimate, n=len(baseline_stats), n_clusters=n_clusters, interval=None)
    totals = []
    for stats in (baseline_stats, candidate_stats):
        per_cluster = np.zeros((n_clusters, stats.shape[1]))
        np.add.at(per_cluster, index, stats)
        totals.append(per_cluster)
    generator = np.random.default_rng(seed)
    replicates: list[float] = []
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        drawn_baseline, drawn_candidate = weights @ totals[0], weights @ totals[1]
        replicates.extend(
            score(after) - score(before)
            for before, after in zip(drawn_baseline, drawn_candidate, strict=True)
        )
    interval = percentile_interval(np.asarray(replicates, dtype=float), confidence)
    return Difference(value=estimate, n=len(baseline_stats), n_clusters=n_clusters, interval=interval)


@dataclass(frozen=True)
class GroupReplicates:
    """Per-group means and their joint bootstrap replicates (one row per resample, one column per group)."""

    labels: tuple[str, ...]
    means: np.ndarray
    counts: np.ndarray
    replicates: np.ndarray

    def column(self, label: str) -> int:
        return self.labels.index(label)

    def contrast(
        self, weights: dict[str, float], confidence: float = 0.95
    ) -> tuple[float, tuple[float, float] | None]:
        """A linear combination of group means (e.g. {lang: 1, pivot: -1}) with its interval."""
        vector = np.zeros(len(self.labels))
        for label, weight in weights.items():
            vector[self.column(label)] += weight
        estimate = float(self.means @ vector)
        used = vector != 0
        with np.errstate(invalid="ignore"):
            replicates = self.replicates[:, used] @ vector[used]
        return estimate, percentile_interval(replicates, confidence)


def group_mean_replicates(
    values: Sequence[float],
    clusters: Sequence[str],
    groups: Sequence[str],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> GroupReplicates:
    """Resample clusters jointly across all groups and record every group's mean per resample.

    A resample that draws no member of a group gives NaN for it; intervals skip those replicates.
    With a single cluster there is nothing to resample and no replicates (so no intervals).
    """
    scores = np.asarray(values, dtype=float)
    index, n_clusters = cluster_index(clusters)
    labels, group_index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    n_groups = len(labels)
    sums = np.zeros((n_clusters, n_groups))
    sizes = np.zeros((n_clusters, n_groups))
    np.add.at(sums, (index, group_index), scores)
    np.add.at(sizes, (index, group_index), 1.0)
    counts = sizes.sum(axis=0)
    means = sums.sum(axis=0) / counts
    generator = np.random.default_rng(seed)
    chunks = []
    for start in range(0, n_resamples if n_clusters >= 2 else 0, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            chunks.append((weights @ sums) / (weights @ sizes))
    return GroupReplicates(
        labels=tuple(str(label) for label in labels),
        means=means,
        counts=counts.astype(int),
        replicates=np.concatenate(chunks) if chunks else np.empty((0, n_groups)),
    )
