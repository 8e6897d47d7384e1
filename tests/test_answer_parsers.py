"""MMMU's and M3Exam's answer reading against vectors recorded by running the TowerVision fork's own
functions (deep-spin/lmms-eval@multiling_multimodal_tasks_add, lmms_eval/tasks/xmmmu/utils.py and
lmms_eval/tasks/m3exam/utils.py, with `random.choice` replaced by a marker): tests/data/*_vectors.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tv_eval.scoring.m3exam_answers import answer_letter, reply_letter, standardized_options
from tv_eval.scoring.mmmu_answers import (
    multiple_choice_letter,
    normalized,
    open_answer_candidates,
    open_answer_correct,
)

DATA = Path(__file__).parent / "data"
MMMU = json.loads((DATA / "mmmu_vectors.json").read_text(encoding="utf-8"))
M3EXAM = json.loads((DATA / "m3exam_vectors.json").read_text(encoding="utf-8"))
GUESS = "<guess>"


@pytest.mark.parametrize("case", MMMU["multiple_choice"], ids=lambda case: repr(case["reply"]))
def test_mmmu_multiple_choice_letter(case: dict) -> None:
    options = {chr(ord("A") + index): option for index, option in enumerate(case["options"])}
    letter = multiple_choice_letter(case["reply"], options, guess_seed=None)
    assert letter == (None if case["letter"] == GUESS else case["letter"])
    guessed = multiple_choice_letter(case["reply"], options, guess_seed="item-7")
    assert guessed == (letter or multiple_choice_letter(case["reply"], options, "item-7"))
    assert guessed in options


def test_mmmu_guess_is_seeded_by_the_caller() -> None:
    options = dict(zip("ABCD", ("w", "x", "y", "z"), strict=True))
    guesses = {multiple_choice_letter("no idea", options, f"item-{k}") for k in range(40)}
    assert guesses == set("ABCD")  # a guess, not a fixed letter
    assert multiple_choice_letter("no idea", options, "item-3") == multiple_choice_letter(
        "no idea", options, "item-3"
    )


@pytest.mark.parametrize("case", MMMU["open"], ids=lambda case: repr(case["reply"]))
def test_mmmu_open_answers(case: dict) -> None:
    candidates = open_answer_candidates(case["reply"])
    assert sorted(candidates, key=repr) == sorted(case["candidates"], key=repr)
    for gold, correct in case["correct"].items():
        assert open_answer_correct(gold, candidates) is correct, gold


def test_mmmu_normalization() -> None:
    for text, expected in MMMU["normalized"].items():
        assert [repr(value) for value in normalized(text)] == expected


@pytest.mark.parametrize(
    "case", M3EXAM["replies"], ids=lambda case: f"{case['reply']!r}-{case['options'][0]}"
)
def test_m3exam_reply_letter(case: dict) -> None:
    letter = reply_letter(case["reply"], case["options"], guess_seed=None)
    assert letter == (None if case["letter"] == GUESS else case["letter"])
    assert reply_letter(case["reply"], case["options"], guess_seed="x") in "ABCD"


def test_m3exam_answers_and_options() -> None:
    assert {answer: answer_letter(answer) for answer in M3EXAM["answers"]} == M3EXAM["answers"]
    raw = ["(1) one", "B. two", "（3） three", "c) four", "5 five", "plain"]
    assert standardized_options(raw) == M3EXAM["standardized_options"]
