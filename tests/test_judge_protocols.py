"""Judge prompts in the benchmarks' own wording, and parsers that refuse what they cannot read."""

from __future__ import annotations

import pytest

from tasks.alm_bench.task import AlmBenchTask
from tv_eval.core.task import DataSource
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.judge.parsers import parse_lave, parse_score_out_of_10, parse_video_chatgpt
from tv_eval.judge.protocols import LAVE_TASK_DEFINITION, lave_prompt, video_qa_prompt


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("8", 0.8),
        (" 10\n", 1.0),
        ("0", 0.0),
        ("7.5", 0.75),
        ("Score: 9", 0.9),
        ("8/10", 0.8),
        ("11", None),
        ("no score here", None),
        ("", None),
    ],
)
def test_score_out_of_10(reply: str, expected: float | None) -> None:
    parsed = parse_score_out_of_10(reply)
    assert (parsed["score"] if parsed else None) == (
        pytest.approx(expected) if expected is not None else None
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("The candidate answer is correct. So rating=3", 1.0),
        ("Ambiguous. So rating=2", 0.5),
        ("It is wrong. Rating: 1", 0.0),
        ("rating=3 ... actually So rating=1", 0.0),
        ("3", 1.0),
        ("The answer is wrong.", None),
        ("rating=4", None),
        ("13", None),
    ],
)
def test_lave_parser(reply: str, expected: float | None) -> None:
    parsed = parse_lave(reply)
    assert (parsed["lave"] if parsed else None) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("{'pred': 'yes', 'score': 4}", {"accuracy": 1.0, "judge_score": 0.8}),
        ("{'pred': 'no', 'score': 1.5}", {"accuracy": 0.0, "judge_score": 0.3}),
        ('```python\n{"pred": "yes", "score": 5}\n```', {"accuracy": 1.0, "judge_score": 1.0}),
        ("Sure! 'pred': 'no', 'score': 0", {"accuracy": 0.0, "judge_score": 0.0}),
        ("{'pred': 'maybe', 'score': 3}", None),
        ("{'pred': 'yes', 'score': 7}", None),
        ("{'pred': 'yes'}", None),
        ("yes", None),
    ],
)
def test_video_chatgpt_parser(reply: str, expected: dict | None) -> None:
    assert parse_video_chatgpt(reply) == expected


def test_lave_prompt_follows_lave() -> None:
    prompt = lave_prompt(
        "What is served at this festival?", ["injera"] * 4 + ["bread", "injera", "kitfo", "kitfo"], "injera"
    )
    assert prompt.startswith(LAVE_TASK_DEFINITION + "\n\nQuestion: 'What is the color of the car?'")
    assert prompt.count("So rating=") == 8
    # 'bread' (1 against injera's 5: at most a quarter) is dropped, 'kitfo' (2 of 5) kept, as LAVE does
    assert prompt.endswith(
        "Question: 'What is served at this festival?'\nReference answers: "
        + ", ".join(["'injera'"] * 5 + ["'kitfo'"] * 2)
        + "\n"
        "Candidate answer: 'injera'\nOutput:"
    )
    binary = lave_prompt("Is this a wedding?", ["yes", "yes", "no"], "yes")
    assert "Question: 'Is the man wearing skis?'" in binary and "What is the color of the car?" not in binary
    with pytest.raises(ValueError, match="at least one reference"):
        lave_prompt("q", [], "a")


def test_video_qa_prompt_is_video_chatgpt() -> None:
    prompt = video_qa_prompt("What colour?", "red", "It is red.")
    assert prompt.system is not None and prompt.system.startswith("You are an intelligent chatbot")
    assert "Question: What colour?\nCorrect Answer: red\nPredicted Answer: It is red.\n\n" in prompt.user
    assert prompt.user.endswith("{'pred': 'yes', 'score': 4.8}.")


def test_alm_bench_judge_protocol_by_scoring_mode() -> None:
    """Hash values and their changes: tests/test_prompts_hash.py."""
    task = AlmBenchTask()
    assert task.judge_protocol("robust") == task.judge_protocol("official")
    assert task.judge_protocol("paper") is None


def test_alm_bench_judge_prompts_by_scoring_mode() -> None:
    task = AlmBenchTask()
    samples = task.load(DataSource(use_sample=True), joshi_tier_map()).samples
    by_type = {sample.question_type: sample for sample in samples if sample.language == "en"}
    long = task.judge_prompt(by_type["long"], "A red circle.", "robust")
    assert long is not None and long.user.startswith(
        "Evaluate the following answer based on Consistency, Fluency, and Relevance"
    )
    assert (
        f"Question: {by_type['long'].text}\nGround Truth: {by_type['long'].reference}\n"
        "Model Prediction: A red circle." in long.user
    )
    short = task.judge_prompt(by_type["short"], "red", "robust")
    assert short is not None and short.user.startswith(
        "Evaluate the following answer based on accuracy and correctness"
    )
    assert task.judge_prompt(by_type["mcq"], "x", "robust") is None
    official = task.judge_prompt(by_type["mcq"], "x", "official")
    # GPTScoring.py's MCQ ground truth: the text before the bracket, its space kept.
    assert official is not None and f"Ground Truth: {by_type['mcq'].reference} \n" in official.user
    assert "(Options" not in official.user
    assert task.score(by_type["mcq"], "x", "official").status.value == "needs_judge"
    assert task.score(by_type["long"], "x", "robust").status.value == "needs_judge"
