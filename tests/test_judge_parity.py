"""Judge parsers against test vectors that state what each protocol's official code returns.

tests/judge_vectors/*.yaml name their source (repository, commit, lines). The official readings
must equal the official code on every vector; the robust readings must give their stated value, and
each vector where robust and official differ must say why.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.cultural_vqa.task import CulturalVqaTask
from tasks.vimul_bench.task import VimulBenchTask
from tv_eval.judge.parsers import (
    parse_lave,
    parse_lave_official,
    parse_score_out_of_10,
    parse_video_chatgpt,
    parse_video_chatgpt_official,
)
from tv_eval.judge.protocols import LAVE_MAX_NEW_TOKENS, lave_protocol, video_qa_protocol

VECTORS = Path(__file__).parent / "judge_vectors"
MIN_VECTORS = 20


def vectors(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((VECTORS / f"{name}.yaml").read_text(encoding="utf-8"))


def approx(expected: Any) -> Any:
    if isinstance(expected, dict):
        return {key: pytest.approx(value) for key, value in expected.items()}
    return expected if expected is None else pytest.approx(expected)


@pytest.mark.parametrize("name", ["score_out_of_10", "lave", "video_chatgpt"])
def test_each_parser_has_enough_distinct_vectors_with_reasons(name: str) -> None:
    cases = vectors(name)
    assert len(cases) >= MIN_VECTORS
    assert len({case["reply"] for case in cases}) == len(cases)
    official_key = "stored_number" if name == "score_out_of_10" else "official"
    for case in cases:
        official = case[official_key]
        if name == "score_out_of_10" and official is not None:
            official = official / 10 if math.isfinite(official) and 0 <= official <= 10 else None
        if official != case["robust"] and not (
            isinstance(official, float) and official == pytest.approx(case["robust"])
        ):
            assert case.get("why"), f"{case['reply']!r}: robust differs from official without a reason"


@pytest.mark.parametrize("case", vectors("score_out_of_10"), ids=lambda case: repr(case["reply"]))
def test_alm_bench_score_parser(case: dict[str, Any]) -> None:
    """GPTScoring.py records the stripped reply; where float() reads a 0-10 score from it, tv-eval
    reads the same unless the vector says why not (signed zero, exponent notation)."""
    assert case["reply"].strip() == case["stored"]
    parsed = parse_score_out_of_10(case["reply"])
    assert (parsed["score"] if parsed else None) == approx(case["robust"])
    number = case["stored_number"]
    if number is not None and math.isfinite(number) and 0 <= number <= 10 and "why" not in case:
        assert parsed == {"score": pytest.approx(number / 10)}


@pytest.mark.parametrize("case", vectors("lave"), ids=lambda case: repr(case["reply"]))
def test_lave_parsers(case: dict[str, Any]) -> None:
    assert parse_lave_official(case["reply"]) == {"lave": case["official"]}
    robust = parse_lave(case["reply"])
    assert (robust["lave"] if robust else None) == case["robust"]


@pytest.mark.parametrize("case", vectors("video_chatgpt"), ids=lambda case: repr(case["reply"]))
def test_video_chatgpt_parsers(case: dict[str, Any]) -> None:
    assert parse_video_chatgpt_official(case["reply"]) == approx(case["official"])
    assert parse_video_chatgpt(case["reply"]) == approx(case["robust"])
    if case["official"] is None:
        assert case["outcome"]


def test_faithful_modes_read_replies_as_the_official_code() -> None:
    assert CulturalVqaTask().judge_protocol("lave").parser == "lave_rating_1_3"
    assert CulturalVqaTask().judge_protocol("official").parser == "lave_official"
    assert VimulBenchTask().judge_protocol("robust").parser == "video_chatgpt_pred_score"
    assert VimulBenchTask().judge_protocol("official").parser == "video_chatgpt_official"
    assert lave_protocol(official=True).parse("So rating=3.") == {"lave": 0.5}
    assert video_qa_protocol(official=True).parse("{'pred': 'yes', 'score': 4.8}") == {
        "accuracy": 1.0,
        "judge_score": 0.8,
    }
    assert lave_protocol().templates_hash() != lave_protocol(official=True).templates_hash()


def test_lave_budget_leaves_room_for_the_longest_demonstration_rationale() -> None:
    """A rationale cut off before its rating is unreadable (robust) or read as 2 (official)."""
    demos = yaml.safe_load(lave_protocol().templates["demos"])
    longest = max(
        len(f"{demo['explanation']} So rating={demo['output']}")
        for group in ("general", "binary")
        for demo in demos[group]
    )
    assert (
        lave_protocol().max_new_tokens == lave_protocol(official=True).max_new_tokens == LAVE_MAX_NEW_TOKENS
    )
    # a token holds at least one character: twice the longest demonstrated output fits at that rate
    assert LAVE_MAX_NEW_TOKENS >= 2 * longest > 128
