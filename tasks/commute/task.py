"""CoMMuTE: does the image help the model choose the right translation of an ambiguous sentence?

Each item is an ambiguous English sentence, an image that resolves the ambiguity, and a correct and
an incorrect translation (`Unbabel/commute_multimodal_mt`, one split per target language: ar, cs, de,
es, fr, ru, zh). The model scores both translations as continuations of the translation prompt with
the image; the item is correct when the correct translation's summed log-likelihood is strictly
higher. Every English sentence appears with two images (one per reading), so the two items share a
bootstrap cluster, across languages too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    PROMPT_OPTION,
    DataPart,
    DataSource,
    LoglikelihoodTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    TranslationPrompt,
    normalize_language,
    segment_metric,
)

CONTINUATIONS = ("correct", "incorrect")


class CommuteTask(TranslationPrompt, LoglikelihoodTask):
    name = "commute"
    description = "CoMMuTE: contrastive multimodal translation of ambiguous English (7 target languages)"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True, description="correct translation scored higher"),)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "correct when the correct translation's summed log-likelihood is strictly higher"
    }
    option_help: ClassVar[Mapping[str, str]] = PROMPT_OPTION

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        super().configure(options, source)
        self.configure_prompt(options)

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        return f"{part.split}:{position:05d}"

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        source, correct, incorrect = (row.text(role) for role in ("source", *CONTINUATIONS))
        if not (source and correct and incorrect):
            row.error("empty source or translation")
        elif correct == incorrect:
            row.error("correct and incorrect translations are identical")
        return row.sample(
            normalize_language(row.part.split),
            cluster_id="source:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16],
            choices=(correct, incorrect),
            image=image,
            text=source,
            reference=correct,
            metadata={"image_name": str(row.cell("image_name") or "")},
        )

    def continuations(self, sample: Sample) -> Sequence[tuple[str, str]]:
        """The correct translation first, then the incorrect one, each after the same prompt and image."""
        return list(zip(CONTINUATIONS, sample.choices, strict=True))

    def score_loglikelihoods(self, sample: Sample, values: Sequence[float], scoring: str) -> Score:
        correct_value, incorrect_value = values
        chose_correct = correct_value > incorrect_value
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(chose_correct)},
            extracted=sample.choices[0 if chose_correct else 1],
            details={"loglikelihood_correct": correct_value, "loglikelihood_incorrect": incorrect_value},
        )
