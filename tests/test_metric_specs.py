"""Metric specs: a task's set must name exactly one primary metric, and specs survive results.json."""

from __future__ import annotations

import pytest

from tv_eval.api import MetricKind, MetricScale, MetricSpec, MetricSpecError, check_specs, primary_spec
from tv_eval.core.metrics import Aggregation, spec_named, specs_of_task

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


def test_results_blocks_are_read_through_their_specs_and_old_ones_as_they_were_understood() -> None:
    chrf = MetricSpec("chrf", MetricKind.CORPUS, MetricScale.PERCENT, primary=True, params={"x": "y"})
    assert specs_of_task({"metrics": [chrf.to_json(), XCOMET.to_json()], "primary_metric": "chrf"}) == (
        chrf,
        XCOMET,
    )
    legacy = {
        "primary_metric": "bleu",
        "overall": {"bleu": {}, "bleu_macro": {}, "accuracy": {}},
        "metric_info": {"bleu": {"kind": "corpus", "scale": "0-100"}},
    }
    specs = specs_of_task(legacy)
    assert primary_spec(specs) == MetricSpec("bleu", MetricKind.CORPUS, MetricScale.PERCENT, primary=True)
    assert spec_named(specs, "accuracy") == MetricSpec("accuracy", MetricKind.SEGMENT)
    assert spec_named(specs, "bleu_macro") is None
    assert spec_named(specs, "bleu").unit_factor == 0.01 and XCOMET.unit_factor == 1.0


def test_every_task_declares_a_valid_set_without_loading_data() -> None:
    from tv_eval.core import registry

    expected = {
        "alm_bench": "score",
        "commute": "accuracy",
        "cultural_vqa": "lave",
        "vimul_bench": "accuracy",
    }
    for name, primary in expected.items():
        task = registry.load_task(name)
        task.configure({})
        assert primary_spec(task.metric_specs(task.default_scoring)).name == primary
