"""MaXM: open-ended VQA in 7 languages (neulab/PangeaBench-maxm, one split per language).

Each question has a list of reference answers; a prediction is right when it matches any of them.
- `robust` (default): exact match after normalisation (`robust_answer`: Unicode folding, then the VQA
  evaluation's punctuation, number-word and article rules), so `Rouge.` matches `rouge`.
- `paper`: the TowerVision fork's scorer (lmms_eval/tasks/maxm/utils.py): `exact_match` is the raw
  prediction being one of the answers, with no normalisation at all (exact_match_with_multiple_references);
  its `relaxed_accuracy` (the VQA form of the prediction starting or ending with an answer) is reported
  beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DataPart,
    GenerativeTask,
    MetricSpec,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    check_specs,
    exact_match,
    fork_relaxed_match,
    normalize_language,
    robust_answer,
    segment_metric,
)

RELAXED = segment_metric(
    "relaxed_accuracy", description="the fork's relaxed match: its VQA form starts or ends with an answer"
)


class MaxmTask(GenerativeTask):
    name = "maxm"
    description = "MaXM: open VQA in 7 languages (exact match against any reference answer)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.PAPER)
    answer_language_modes = (ScoringMode.ROBUST, ScoringMode.PAPER)
    metrics = (
        segment_metric("exact_match", primary=True, description="the answer matches a reference answer"),
    )
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "exact match against any reference after Unicode folding and VQA normalisation",
        "paper": "TowerVision fork (maxm/utils.py): raw prediction in the answers; relaxed_accuracy beside",
    }

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        extra = (RELAXED,) if scoring == ScoringMode.PAPER else ()
        return check_specs((*self.metrics, *extra), self.name)

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        """`<split>/<image_id>`; a second question on one image gets `#2` (`UniqueIds`)."""
        return f"{part.split}/{row[self.config.columns()['id']]}"

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        question = row.text("question")
        if not question:
            row.error("empty question")
        answers = answer_list(row.cell("answers"))
        if not any(answer.strip() for answer in answers):
            row.error("no reference answers")
        return row.sample(
            normalize_language(row.part.split),
            question_type="open",
            image=image,
            text=question,
            reference=" | ".join(answers),
            metadata={
                "answers": answers,
                "image_id": row.text("id"),
                "split": row.part.split,
                # Same image and question order in two languages -> same key (UNVERIFIED: see README).
                "parallel_id": row.sample_id.split("/", 1)[1],
            },
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        language = self.config.value("answer_languages", sample.metadata["split"])
        return self.template("open").format(question=sample.text, answer_language=language)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        answers = sample.metadata["answers"]
        if scoring == ScoringMode.PAPER:
            scores = {
                "exact_match": float(prediction in answers),
                "relaxed_accuracy": fork_relaxed_match(prediction, answers),
            }
            return Score(status=SampleStatus.SCORED, scores=scores)
        return Score(
            status=SampleStatus.SCORED,
            scores={"exact_match": exact_match(prediction, answers, robust_answer)},
            extracted=robust_answer(prediction),
        )


def answer_list(cell: object) -> tuple[str, ...]:
    """The reference answers as stored (a list of strings; one string is one answer), unstripped: the
    fork's exact match compares them as they are."""
    values: Sequence[object] = (
        [cell] if isinstance(cell, str) else cell if isinstance(cell, list | tuple) else []
    )
    return tuple(str(value) for value in values if value is not None)
