"""Answer-language fidelity: is a free-text answer in the language the sample expects?

The reference definition is the line-level pass rate of the Language Confusion Benchmark (Marchisio
et al. 2024, "Understanding and Mitigating Language Confusion in LLMs", EMNLP 2024,
arXiv:2406.20052): a response passes when every one of its lines is identified as the desired
language. Here each non-empty line is identified with `language_id.identify_answer`; lines that
cannot be identified (too short, low confidence) are skipped, and an answer none of whose lines can be
identified is *unidentified*: it carries no `answer_language` value (it is left out of the
denominator, never guessed) and is counted by `answer_language_unidentified` instead.

Each checked record carries:
- `scores.answer_language`: 1 when every identified line is in the expected language, else 0
  (absent when unidentified);
- `scores.answer_language_unidentified`: 1 when no line could be identified, else 0, so its mean is
  the share set apart and value x n their count;
- `details.answer_language`: the expected language, the languages detected (one per identified line,
  in order) and, when unidentified, why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tv_eval.core.metrics import ANSWER_LANGUAGE, ANSWER_LANGUAGE_UNIDENTIFIED
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.language_match import same_language
from tv_eval.scoring.language_id import Identification, identify_answer

LANGUAGE_METRICS = (ANSWER_LANGUAGE, ANSWER_LANGUAGE_UNIDENTIFIED)
# The language code of samples whose language is not known (tv_eval.tasking.rows).
UNKNOWN_LANGUAGE = "und"


@dataclass(frozen=True)
class AnswerLanguage:
    """One answer checked against the language its sample expects."""

    expected: str
    detected: tuple[str, ...]
    unidentified: str | None = None

    @property
    def passed(self) -> bool | None:
        """Whether every identified line is in the expected language; None when none was identified."""
        if not self.detected:
            return None
        return all(same_language(self.expected, language) for language in self.detected)

    def scores(self) -> dict[str, float]:
        passed = self.passed
        unidentified = {ANSWER_LANGUAGE_UNIDENTIFIED: float(passed is None)}
        return unidentified if passed is None else {ANSWER_LANGUAGE: float(passed), **unidentified}

    def details(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"expected": self.expected, "detected": list(self.detected)}
        if self.unidentified is not None:
            facts["unidentified"] = self.unidentified
        return {ANSWER_LANGUAGE: facts}


def check_answer_language(answer: str, expected: str) -> AnswerLanguage:
    """The answer's identified lines against `expected`; the first line's reason when none is identified."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    found: list[Identification] = [identify_answer(line) for line in lines]
    detected = tuple(item.language for item in found if item.language is not None)
    if detected:
        return AnswerLanguage(expected, detected)
    reason = found[0].unidentified if found else "empty answer"
    return AnswerLanguage(expected, (), reason)


def without_language_results(
    scores: Mapping[str, float], details: Mapping[str, Any]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Scores and details with any earlier answer-language result removed (before a new check)."""
    return (
        {name: value for name, value in scores.items() if name not in LANGUAGE_METRICS},
        {key: value for key, value in details.items() if key != ANSWER_LANGUAGE},
    )


def language_scores(scores: Mapping[str, float]) -> dict[str, float]:
    """Only the answer-language scores of a record (what a judge's verdict must keep)."""
    return {name: value for name, value in scores.items() if name in LANGUAGE_METRICS}


UNCHECKED_STATUSES = (SampleStatus.FAILED, SampleStatus.EXCLUDED)


def checked_record(record: ScoredSample, expected: str | None) -> ScoredSample:
    """The record with its answer checked against `expected`, any earlier check replaced. Left
    unchecked (and without an earlier check's results): no expectation (None or an unknown language),
    no answer, a failed or excluded sample."""
    scores, details = without_language_results(record.scores, record.details)
    answer = record.prediction or ""
    unchecked = record.status in UNCHECKED_STATUSES or not answer.strip()
    if expected is None or expected == UNKNOWN_LANGUAGE or unchecked:
        return replace(record, scores=scores, details=details)
    checked = check_answer_language(answer, expected)
    return replace(record, scores={**scores, **checked.scores()}, details={**details, **checked.details()})
