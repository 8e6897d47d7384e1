"""The normalised exact-match family against the reference scorers' own outputs (recorded by running their
functions outside the repository: tests/data/exact_match_vectors.json names the files and commits) and
against values worked out by hand from the VQA evaluation's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tv_eval.scoring.exact_match import (
    contains_match,
    exact_match,
    fork_relaxed_match,
    lowered,
    mtvqa_form,
    robust_answer,
    vqa_normalize,
    vqa_punctuation,
    vqa_words,
)

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "exact_match_vectors.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(("text", "expected"), sorted(VECTORS["vqa_clean"].items()))
def test_vqa_steps_reproduce_the_forks_vqa_clean(text: str, expected: str) -> None:
    """vqa_clean deletes newlines and strips apostrophes around the result; the steps are the VQA ones."""
    cleaned = vqa_words(vqa_punctuation(text.replace("\n", "").replace("\t", "").strip())).strip("'")
    assert cleaned == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Worked by hand from vqaEval.py: '-' touches a space, so every mark is deleted, not spaced.
        ("left - right", "left right"),
        # No mark touches a space: '-' becomes a space.
        ("hi-fi", "hi fi"),
        # A digit-comma-digit anywhere: all marks deleted, so '1,000' stays one number.
        ("1,000 people", "1000 people"),
        # A period before a digit stays (3.5); others go.
        ("3.5 m.", "3.5 m"),
        # vqaEval.py reads a newline as a space (the fork's vqa_clean deletes it).
        ("an apple\nand more", "apple and more"),
        ("Two dogs", "2 dogs"),
        ("the isnt", "isn't"),
    ],
)
def test_vqa_normalize_by_hand(text: str, expected: str) -> None:
    assert vqa_normalize(text) == expected


def test_at_most_32_periods_go_as_in_vqaeval() -> None:
    """vqaEval.py passes re.UNICODE (32) as `count`: a 33rd period survives."""
    assert vqa_punctuation("." * 33) == "."


@pytest.mark.parametrize("case", VECTORS["maxm"], ids=lambda case: repr(case["prediction"]))
def test_fork_relaxed_match_reproduces_the_forks_relaxed_accuracy(case: dict) -> None:
    assert fork_relaxed_match(case["prediction"], case["answers"]) == case["relaxed_accuracy"]
    # The fork's exact_match is plain membership, no normalisation (what maxm's paper mode scores).
    assert float(case["prediction"] in case["answers"]) == case["exact_match"]


@pytest.mark.parametrize("case", VECTORS["xgqa"], ids=lambda case: repr(case["prediction"]))
def test_lowered_containment_reproduces_the_forks_xgqa_scorer(case: dict) -> None:
    assert contains_match(case["prediction"], [case["answer"]], lowered) == case["exact_match"]


@pytest.mark.parametrize("case", VECTORS["mtvqa"], ids=lambda case: repr(case["prediction"]))
def test_mtvqa_form_containment_reproduces_lmms_evals_mtvqa_scorer(case: dict) -> None:
    assert contains_match(case["prediction"], [case["answer"]], mtvqa_form) == case["score"]


@pytest.mark.parametrize(
    ("prediction", "references", "expected"),
    [
        ("Rouge.", ["rouge"], 1.0),
        ("ＲＯＵＧＥ", ["rouge"], 1.0),
        ('"The Eiffel Tower"', ["eiffel tower"], 1.0),
        ("红色。", ["红色"], 1.0),
        ("٣", ["3"], 1.0),
        ("two", ["2"], 1.0),
        ("red car", ["red"], 0.0),
        ("blue", ["red", "Blue"], 1.0),
        ("", ["red"], 0.0),
    ],
)
def test_robust_exact_match(prediction: str, references: list[str], expected: float) -> None:
    assert exact_match(prediction, references, robust_answer) == expected


def test_a_reference_that_normalises_to_nothing_matches_nothing() -> None:
    """An empty reference would otherwise match an empty answer (exact) or any answer (containment)."""
    assert contains_match("anything", ["."], mtvqa_form) == 0.0
    assert exact_match("", ["?"], robust_answer) == 0.0
    assert contains_match("a red car", [".", "red"], mtvqa_form) == 1.0


def test_prompts_recorded_from_the_reference_code() -> None:
    """The task templates render what the reference prompt functions returned."""
    from tasks.mtvqa.task import MtvqaTask
    from tasks.xgqa.task import XgqaTask

    xgqa = XgqaTask().template("open").format(question="Is it red?")
    assert xgqa == VECTORS["xgqa_prompt"]
    assert MtvqaTask().template("open").format(question="Wo?") == VECTORS["mtvqa_prompt"]
