"""xGQA: GQA questions in 8 languages with English answers (neulab/PangeaBench-xgqa, one split per language).

- `robust` (default): exact match of the answer after normalisation (`robust_answer`: Unicode folding, then
  the VQA evaluation's punctuation, number-word and article rules).
- `paper`: the TowerVision fork's scorer (lmms_eval/tasks/xgqa/utils.py, xgqa_process_result), which it
  calls exact_match: the stripped, lower-cased answer occurring anywhere in the stripped, lower-cased
  prediction (so `woman` counts for `man`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DataPart,
    GenerativeTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    contains_match,
    exact_match,
    lowered,
    normalize_language,
    robust_answer,
    segment_metric,
)


class XgqaTask(GenerativeTask):
    name = "xgqa"
    description = "xGQA: GQA in 8 languages, answers in English (exact match)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.PAPER)
    # xGQA's answers are English in every language (its data has English answers only).
    answer_language_modes = (ScoringMode.ROBUST, ScoringMode.PAPER)
    fixed_answer_language = "en"
    metrics = (
        segment_metric(
            "exact_match", primary=True, description="the answer matches the reference (rule by scoring mode)"
        ),
    )
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "exact match after Unicode folding and VQA normalisation",
        "paper": "TowerVision fork (xgqa/utils.py): lower-cased answer contained in the prediction",
    }

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        """`<split>/<image digest>`, later questions on the same picture getting `#2`, `#3`: the data has no
        question id, and the picture with the question's rank on it is what the languages share."""
        cell = row.get(self.config.columns()["image"])
        data = cell.get("bytes") if isinstance(cell, dict) else None
        return f"{part.split}/{hashlib.sha256(data).hexdigest()[:16] if data else f'row{position}'}"

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        question = row.text("question")
        if not question:
            row.error("empty question")
        answer = row.text("answer")
        if not robust_answer(answer):
            row.error("empty answer")
        return row.sample(
            normalize_language(row.part.split),
            question_type="open",
            image=image,
            text=question,
            reference=answer,
            # UNVERIFIED that the splits keep one order of questions per picture: see README.
            metadata={"split": row.part.split, "parallel_id": row.sample_id.split("/", 1)[1]},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        template = "open_en" if sample.metadata["split"] == "en" else "open"
        return self.template(template).format(question=sample.text)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring == ScoringMode.PAPER:
            value = contains_match(prediction, [sample.reference], lowered)
            return Score(status=SampleStatus.SCORED, scores={"exact_match": value})
        value = exact_match(prediction, [sample.reference], robust_answer)
        return Score(
            status=SampleStatus.SCORED, scores={"exact_match": value}, extracted=robust_answer(prediction)
        )
