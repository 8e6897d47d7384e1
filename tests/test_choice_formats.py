"""Answers in a requested format (tv_eval/scoring/choice_formats.py): the strict reading against
vectors recorded from upstream lmms-eval's Kaleidoscope `extract_choice`, run outside the repository
(tests/data/kaleidoscope_upstream_choices.json), and the unwrapping the robust extractor starts from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tv_eval.scoring.choice_formats import answer_payload, json_choice, strict_choice

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "kaleidoscope_upstream_choices.json").read_text(encoding="utf-8")
)
# Upstream's MAP_NON_LATIN, as tasks/kaleidoscope/config.yaml holds it.
NON_LATIN = {"Б": "B", "Ц": "C", "Д": "D", "Г": "D", "أ": "A", "ب": "B", "ج": "C", "د": "D"}


@pytest.mark.parametrize(("reply", "expected"), VECTORS["vectors"])
def test_strict_reading_matches_upstream(reply: str, expected: int | None) -> None:
    assert strict_choice(reply, VECTORS["num_options"], NON_LATIN) == expected


def test_strict_reading_respects_the_option_count() -> None:
    assert strict_choice('{"choice": "C"}', 2, {}) is None
    assert strict_choice("<ANSWER> 3 </ANSWER>", 2, {}) is None
    assert strict_choice("<ANSWER> 2 </ANSWER>", 2, {}) == 1


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        ('{"choice": "B. Ribosome"}', "B. Ribosome"),
        ('```json\n{"choice": "the red one"}\n```', "the red one"),
        ("Thinking... <ANSWER> A </ANSWER> no, <ANSWER> C </ANSWER>", "C"),
        ("The answer is B) Paris", "The answer is B) Paris"),
        ('{"choice": 3}', '{"choice": 3}'),
    ],
)
def test_payload_unwraps_the_requested_forms_only(reply: str, payload: str) -> None:
    assert answer_payload(reply) == payload


def test_json_choice_needs_a_string_choice() -> None:
    assert json_choice('{"answer": "B"}') is None
    assert json_choice('x {"choice": "D"} y') == "D"
    assert json_choice('{"choice": ') is None
