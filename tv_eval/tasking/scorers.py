"""Verdicts that several benchmarks reach the same way."""

from __future__ import annotations

from collections.abc import Sequence

from tv_eval.core.task import Score
from tv_eval.core.types import Sample, SampleStatus
from tv_eval.scoring.choices import answer_index, extract_choice


def choice_score(sample: Sample, prediction: str, metrics: Sequence[str] = ("accuracy",)) -> Score:
    """Multiple choice by extraction: right when the option the prediction picks is the reference's
    (given as the option's text or its letter); an answer that picks no single option is wrong."""
    expected = answer_index(sample.reference, sample.choices)
    index = extract_choice(prediction, sample.choices, language=sample.language)
    correct = float(index is not None and index == expected)
    return Score(
        status=SampleStatus.SCORED,
        scores=dict.fromkeys(metrics, correct),
        extracted=sample.choices[index] if index is not None else None,
    )
