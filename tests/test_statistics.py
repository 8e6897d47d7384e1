import numpy as np
import pytest

from tv_eval.results.statistics import bootstrap_macro_ci, bootstrap_mean_ci


def test_interval_contains_mean_and_is_deterministic() -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2, 400).astype(float)
    clusters = [str(i) for i in range(400)]
    low, high = bootstrap_mean_ci(values, clusters, seed=3)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_mean_ci(values, clusters, seed=3)
    # independent samples: close to the normal-approximation interval
    half_width = 1.96 * values.std() / np.sqrt(len(values))
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.15)


def test_clustering_widens_the_interval() -> None:
    # 50 images x 4 questions, all questions of an image share their outcome
    outcomes = np.repeat(np.random.default_rng(0).integers(0, 2, 50), 4).astype(float)
    per_question = bootstrap_mean_ci(outcomes, [str(i) for i in range(200)], seed=0)
    per_image = bootstrap_mean_ci(outcomes, [str(i // 4) for i in range(200)], seed=0)
    assert (per_image[1] - per_image[0]) > 1.5 * (per_question[1] - per_question[0])


def test_too_few_values() -> None:
    assert bootstrap_mean_ci([1.0], ["a"]) is None
    assert bootstrap_macro_ci([1.0], ["a"], ["en"]) is None


def test_constant_values_give_degenerate_interval() -> None:
    assert bootstrap_mean_ci([1.0] * 10, [str(i) for i in range(10)]) == (1.0, 1.0)


def test_macro_interval_contains_macro_mean() -> None:
    values = [1.0] * 90 + [0.0] * 10 + [0.0] * 8 + [1.0] * 2
    groups = ["en"] * 100 + ["sw"] * 10
    clusters = [str(i) for i in range(110)]
    macro = (0.9 + 0.2) / 2
    low, high = bootstrap_macro_ci(values, clusters, groups, seed=0)
    assert low < macro < high
    micro_low, micro_high = bootstrap_mean_ci(values, clusters, seed=0)
    assert not (micro_low < macro < micro_high)  # the micro mean (0.836) is a different quantity
