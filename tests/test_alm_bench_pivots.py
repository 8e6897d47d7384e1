"""`alm_bench.pivot_pairs=true`: each item's English twin, as a sample of its own beside the item."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from tasks.alm_bench.task import AlmBenchTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import Sample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.preparation import select_samples

SOURCE = DataSource(use_sample=True)


def _load(options: dict[str, str]) -> list[Sample]:
    task = AlmBenchTask()
    task.configure(options, SOURCE)
    return task.load(SOURCE, joshi_tier_map()).samples


@pytest.fixture(scope="module")
def plain() -> list[Sample]:
    return _load({})


@pytest.fixture(scope="module")
def paired() -> list[Sample]:
    return _load({"pivot_pairs": "true"})


def test_without_the_option_samples_are_unchanged(plain: list[Sample]) -> None:
    assert len(plain) == 105
    assert _load({"pivot_pairs": "false"}) == plain
    assert not any("pair_key" in sample.metadata for sample in plain)


def test_each_item_is_followed_by_its_english_twin(plain: list[Sample], paired: list[Sample]) -> None:
    english_items = [s for s in plain if s.language == "en"]
    assert len(paired) == 2 * len(plain) - len(english_items)
    by_id = {sample.sample_id: sample for sample in paired}
    for item in plain:
        target = by_id[item.sample_id]
        assert target.metadata["pair_key"] == item.sample_id
        # the item itself is as it was, with only the pairing fields added
        assert {k: v for k, v in asdict(target).items() if k != "metadata"} == {
            k: v for k, v in asdict(item).items() if k != "metadata"
        }
        pivot = by_id.get(f"{item.sample_id}/pivot-en")
        if item.language == "en":
            assert pivot is None
            continue
        assert paired.index(pivot) == paired.index(target) + 1
        assert (pivot.language, pivot.tier, pivot.script) == ("en", "5", "Latn")
        assert pivot.cluster_id == item.cluster_id and pivot.image == item.image
        assert (pivot.question_type, pivot.category) == (item.question_type, item.category)
        assert pivot.metadata["pair_role"] == "pivot"
        assert pivot.metadata["pair_key"] == item.sample_id
        assert pivot.metadata["pivot_for"] == item.language
        assert pivot.metadata["language_name"] == "English"


def test_the_twin_asks_the_english_question(paired: list[Sample]) -> None:
    task = AlmBenchTask()
    task.configure({"pivot_pairs": "true"}, SOURCE)
    by_id = {sample.sample_id: sample for sample in paired}
    mcq = next(s for s in paired if s.language == "de" and s.question_type == "mcq")
    pivot = by_id[f"{mcq.sample_id}/pivot-en"]
    english = mcq.metadata["english_raw_answer"]
    assert pivot.text == mcq.metadata["english_question"].strip()
    assert pivot.reference == english.split(" (")[0]
    assert pivot.choices == tuple(english.split("Options: ")[1].rstrip(")").split(", "))
    prompt = task.build_request(pivot, "robust").messages[0].content[1].text
    assert prompt.endswith(pivot.text + "\n" + "\n".join(pivot.choices))
    short = next(s for s in paired if s.language == "sw" and s.question_type == "short")
    short_pivot = by_id[f"{short.sample_id}/pivot-en"]
    assert (
        task.build_request(short_pivot, "robust")
        .messages[0]
        .content[1]
        .text.endswith("Please provide brief, clear responses in English language.")
    )
    true_false = next(s for s in paired if s.language == "ko" and s.question_type == "true_false")
    tf_pivot = by_id[f"{true_false.sample_id}/pivot-en"]
    right = "True" if tf_pivot.metadata["english_answer"] == "True" else "False"
    assert task.score(tf_pivot, right, "robust").scores["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pivot_pairs": "maybe"}, "pivot_pairs takes true or false"),
        ({"pivot_pairs": "true", "data": "lang-split"}, "needs the English columns of data alm-bench"),
    ],
)
def test_bad_option_values(options: dict[str, str], message: str) -> None:
    with pytest.raises(TaskConfigError, match=message):
        AlmBenchTask().configure(options, SOURCE)


def test_filters_choose_items_and_pivots_follow(paired: list[Sample]) -> None:
    chosen = select_samples(paired, ["sw"], [], None)
    items = [s for s in chosen if "pair_role" not in s.metadata]
    assert {s.language for s in items} == {"sw"}
    assert [s.sample_id for s in chosen if s.language == "en"] == [f"{s.sample_id}/pivot-en" for s in items]
    limited = select_samples(paired, [], ["2"], 3)
    limited_items = [s for s in limited if "pair_role" not in s.metadata]
    assert len(limited_items) == 3 and len(limited) == 6


def test_filters_without_pivots_select_as_before(plain: list[Sample]) -> None:
    chosen = select_samples(plain, [], [], 20)
    assert len(chosen) == 20
    assert len({s.language for s in chosen}) == 15
