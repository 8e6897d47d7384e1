import pytest

from tests.conftest import results_document
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.aggregation import aggregate_task, status_counts
from tv_eval.results.document import ResultsSchemaError, validate_results


def record(
    sample_id: str,
    language: str,
    correct: float | None,
    *,
    status: SampleStatus = SampleStatus.SCORED,
    cluster: str | None = None,
    question_type: str = "mcq",
) -> ScoredSample:
    return ScoredSample(
        sample_id=sample_id,
        task="t",
        language=language,
        tier="?",
        status=status,
        prompt="p",
        prediction="x",
        reference="y",
        scores={} if correct is None else {"accuracy": correct},
        cluster_id=cluster,
        question_type=question_type,
        category="Food",
    )


RECORDS = [
    record("1", "en", 1.0),
    record("2", "en", 1.0),
    record("3", "en", 0.0),
    record("4", "en", 1.0),
    record("5", "sw", 0.0),
    record("6", "sw", 1.0),
    record("7", "si", 0.0),
    record("8", "si", None, status=SampleStatus.NEEDS_JUDGE, question_type="long"),
    record("9", "si", None, status=SampleStatus.FAILED),
]


def test_counts() -> None:
    assert status_counts(RECORDS) == {
        "total": 9,
        "scored": 7,
        "needs_judge": 1,
        "failed": 1,
        "excluded": 0,
        "judge_failed": 0,
    }


def test_aggregate_by_language_tier_and_group() -> None:
    block = aggregate_task(RECORDS, tier_map=joshi_tier_map(), breakdowns=("question_type",))
    assert block["overall"]["accuracy"]["value"] == pytest.approx(4 / 7)
    assert block["overall"]["accuracy"]["n"] == 7
    assert block["overall"]["accuracy_macro"]["value"] == pytest.approx((0.75 + 0.5 + 0.0) / 3)
    assert block["by_language"]["en"]["tier"] == "5"
    assert block["by_language"]["si"]["tier"] == "1"
    assert block["by_language"]["sw"]["metrics"]["accuracy"]["value"] == 0.5
    assert block["by_language"]["si"]["counts"]["needs_judge"] == 1
    assert list(block["by_language"]) == ["en", "sw", "si"]  # ordered by tier, highest first
    assert block["by_tier"]["5"]["accuracy"]["value"] == 0.75
    assert block["by_tier_group"]["low"]["accuracy"]["value"] == pytest.approx(1 / 3)
    assert block["by_tier_group"]["low"]["accuracy_macro"]["value"] == pytest.approx(0.25)
    assert block["by_question_type"]["mcq"]["accuracy"]["n"] == 7
    assert block["by_question_type"]["long"]["accuracy"]["n"] == 0


def test_results_schema_accepts_aggregate_and_rejects_bare_numbers() -> None:
    block = aggregate_task(RECORDS, tier_map=joshi_tier_map())
    results = results_document(block)
    validate_results(results)
    results["tasks"]["t"]["by_tier"]["5"]["accuracy"] = 0.75
    with pytest.raises(ResultsSchemaError, match="by_tier/5/accuracy"):
        validate_results(results)
