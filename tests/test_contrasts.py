"""Paired differences and group contrasts: estimates equal plain arithmetic, intervals behave."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tv_eval.analysis.contrasts import group_mean_replicates, paired_difference
from tv_eval.results.statistics import percentile_interval


def test_identical_runs_have_zero_difference_and_a_zero_interval() -> None:
    difference = paired_difference([0.0] * 30, [str(i // 3) for i in range(30)])
    assert difference.value == 0.0
    assert difference.interval == (0.0, 0.0)
    assert not difference.significant


def test_a_consistent_drop_is_significant_and_a_noisy_one_is_not() -> None:
    clusters = [str(i // 2) for i in range(40)]
    drop = paired_difference([-1.0] * 40, clusters)
    assert drop.value == -1.0 and drop.significant and drop.interval[1] < 0
    generator = random.Random(3)
    noisy = [generator.choice([-1.0, 0.0, 1.0]) for _ in range(40)]
    result = paired_difference(noisy, clusters)
    assert result.value == pytest.approx(sum(noisy) / 40)
    assert result.interval[0] < result.value < result.interval[1]


def test_one_cluster_gives_no_interval() -> None:
    difference = paired_difference([-1.0, -1.0, 0.0], ["img", "img", "img"])
    assert difference.interval is None and not difference.significant
    assert difference.n_clusters == 1


def test_wider_confidence_gives_a_wider_interval() -> None:
    generator = random.Random(1)
    values = [generator.choice([-1.0, 0.0, 0.0, 1.0]) for _ in range(200)]
    clusters = [str(i) for i in range(200)]
    narrow = paired_difference(values, clusters, confidence=0.9).interval
    wide = paired_difference(values, clusters, confidence=0.999).interval
    assert wide[0] <= narrow[0] and wide[1] >= narrow[1] and wide != narrow


def test_clustering_widens_the_interval() -> None:
    """Perfectly correlated questions about one image carry the information of one question."""
    per_image = [1.0] * 5 + [-1.0] * 5
    values = per_image * 4
    clustered = paired_difference(values, [str(i // 5) for i in range(40)]).interval
    independent = paired_difference(values, [str(i) for i in range(40)]).interval
    assert clustered[1] - clustered[0] > independent[1] - independent[0]


def test_group_contrast_equals_difference_of_group_means() -> None:
    values = [1, 0, 1, 1, 0, 0, 1, 0, 0, 0]
    groups = ["en"] * 4 + ["sw"] * 6
    clusters = [f"img{i % 3}" for i in range(10)]
    replicates = group_mean_replicates(values, clusters, groups, n_resamples=500)
    value, interval = replicates.contrast({"sw": 1.0, "en": -1.0})
    assert value == pytest.approx(1 / 6 - 3 / 4)
    assert interval[0] <= value <= interval[1]
    assert replicates.counts.tolist() == [4, 6]


def test_percentile_interval_skips_nan_and_handles_empty() -> None:
    assert percentile_interval(np.array([np.nan, np.nan]), 0.95) is None
    assert percentile_interval(np.array([np.nan, 1.0, 1.0]), 0.95) == (1.0, 1.0)
