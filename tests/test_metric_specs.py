"""Metric specs: a task's set must name exactly one primary metric, and specs survive results.json."""

from __future__ import annotations

import pytest

from tv_eval.api import MetricKind, MetricScale, MetricSpec, MetricSpecError, check_specs, primary_spec
from tv_eval.core.metrics import Aggregation

BLEU = MetricSpec("bleu", MetricKind.CORPUS, MetricScale.PERCENT)
XCOMET = MetricSpec("xcomet", MetricKind.SEGMENT, primary=True)


def test_a_valid_set_names_its_primary() -> None:
    specs = check_specs([BLEU, XCOMET], "multi30k")
    assert primary_spec(specs) is XCOMET
    assert BLEU.aggregation is Aggregation.CORPUS_STATISTIC
    assert XCOMET.aggregation is Aggregation.MEAN


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([BLEU], "exactly one primary metric (found: none)"),
        ([XCOMET, MetricSpec("chrf", MetricKind.CORPUS, primary=True)], "(found: xcomet, chrf)"),
        ([XCOMET, XCOMET], "declares metric(s) twice: xcomet"),
    ],
)
def test_invalid_sets_are_rejected_with_the_reason(specs: list[MetricSpec], message: str) -> None:
    with pytest.raises(MetricSpecError) as caught:
        check_specs(specs, "multi30k")
    assert message in str(caught.value)


def test_specs_round_trip_through_json() -> None:
    spec = MetricSpec(
        "chrf", MetricKind.CORPUS, MetricScale.PERCENT, higher_is_better=True, description="chrF"
    )
    data = spec.to_json()
    assert data["aggregation"] == "corpus_statistic"
    assert data["kind"] == "corpus"
    assert MetricSpec.from_json(data) == spec
