"""Cluster bootstrap intervals for means and means-of-means.

Several questions often share one image; their outcomes are correlated, so resampling
questions independently would give intervals that are too narrow. We resample clusters
(images) with replacement, weighting each cluster by how often it was drawn.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
RESAMPLE_CHUNK = 250


def cluster_index(clusters: Sequence[str]) -> tuple[np.ndarray, int]:
    """Each value's cluster as an integer, and the number of clusters."""
    _, index = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
    return index, int(index.max()) + 1 if len(index) else 0


def cluster_weights(generator: np.random.Generator, n_clusters: int, n_resamples: int) -> np.ndarray:
    """How often each cluster is drawn in each resample (rows: resamples)."""
    uniform = np.full(n_clusters, 1.0 / n_clusters)
    return generator.multinomial(n_clusters, uniform, size=n_resamples).astype(float)


def percentile_interval(replicates: np.ndarray, confidence: float = 0.95) -> tuple[float, float] | None:
    """Two-sided percentile interval of the finite replicates; None when there are none."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return (float(low), float(high))


def cluster_mean_replicates(
    values: Sequence[float], clusters: Sequence[str], *, n_resamples: int, seed: int
) -> np.ndarray:
    """Bootstrap replicates of the mean, resampling whole clusters."""
    index, n_clusters = cluster_index(clusters)
    scores = np.asarray(values, dtype=float)
    cluster_sums = np.bincount(index, weights=scores, minlength=n_clusters)
    cluster_sizes = np.bincount(index, minlength=n_clusters).astype(float)
    generator = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        with np.errstate(invalid="ignore", divide="ignore"):
            replicates.append((weights @ cluster_sums) / (weights @ cluster_sizes))
    return np.concatenate(replicates)


def bootstrap_mean_ci(
    values: Sequence[float],
    clusters: Sequence[str],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float] | None:
    """95% percentile interval of the mean, resampling clusters; None for fewer than 2 values."""
    if len(values) < 2:
        return None
    return percentile_interval(cluster_mean_replicates(values, clusters, n_resamples=n_resamples, seed=seed))


def bootstrap_macro_ci(
    values: Sequence[float],
    clusters: Sequence[str],
    groups: Sequence[str],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float] | None:
    """95% interval of the mean over groups of per-group means (e.g. macro over languages).

    Clusters are resampled jointly across groups, so a cluster shared by two groups moves both.
    """
    if len(values) < 2:
        return None
    index, n_clusters = cluster_index(clusters)
    scores = np.asarray(values, dtype=float)
    group_labels = np.asarray(groups, dtype=object).astype(str)
    per_group = []
    for label in np.unique(group_labels):
        member = group_labels == label
        per_group.append(
            (
                np.bincount(index[member], weights=scores[member], minlength=n_clusters),
                np.bincount(index[member], minlength=n_clusters).astype(float),
            )
        )
    generator = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            group_means = np.stack(
                [(weights @ sums) / (weights @ sizes) for sums, sizes in per_group], axis=1
            )
            replicates.append(np.nanmean(group_means, axis=1))
    return percentile_interval(np.concatenate(replicates))


def _weighted_totals(index: np.ndarray, n_clusters: int, stats: np.ndarray) -> np.ndarray:
    """Per-cluster sums of per-segment statistics: clusters x statistics."""
    totals = np.zeros((n_clusters, stats.shape[1]), dtype=float)
    np.add.at(totals, index, stats)
    return totals


def bootstrap_corpus_ci(
    stats: np.ndarray,
    clusters: Sequence[str],
    score: Callable[[np.ndarray], float],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float] | None:
    """95% interval of a corpus-level metric (BLEU, chrF) that is a function of summed segment statistics.

    Each replicate redraws clusters with replacement, sums the drawn segments' statistics and scores the
    sum, which is how sacrebleu's own bootstrap works (Koehn 2004), plus clustering by image.
    """
    if len(stats) < 2:
        return None
    index, n_clusters = cluster_index(clusters)
    cluster_totals = _weighted_totals(index, n_clusters, np.asarray(stats, dtype=float))
    generator = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        replicates.extend(score(row) for row in weights @ cluster_totals)
    return percentile_interval(np.asarray(replicates, dtype=float))


def bootstrap_corpus_macro_ci(
    stats: np.ndarray,
    clusters: Sequence[str],
    groups: Sequence[str],
    score: Callable[[np.ndarray], float],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float] | None:
    """95% interval of the mean over groups (languages) of each group's corpus-level score.

    Clusters are drawn jointly across groups, as in `bootstrap_macro_ci`; a group left empty by a draw
    is skipped in that replicate's mean.
    """
    if len(stats) < 2:
        return None
    index, n_clusters = cluster_index(clusters)
    values = np.asarray(stats, dtype=float)
    labels = np.asarray(groups, dtype=object).astype(str)
    per_group = []
    for label in np.unique(labels):
        member = labels == label
        per_group.append(
            (
                _weighted_totals(index[member], n_clusters, values[member]),
                np.bincount(index[member], minlength=n_clusters).astype(float),
            )
        )
    generator = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        weights = cluster_weights(generator, n_clusters, min(RESAMPLE_CHUNK, n_resamples - start))
        group_scores = np.full((weights.shape[0], len(per_group)), np.nan)
        for column, (totals, sizes) in enumerate(per_group):
            drawn = weights @ totals
            present = weights @ sizes > 0
            for row in np.flatnonzero(present):
                group_scores[row, column] = score(drawn[row])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            replicates.append(np.nanmean(group_scores, axis=1))
    return percentile_interval(np.concatenate(replicates))
