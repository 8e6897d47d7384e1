"""CulturalVQA: open-ended cultural questions about images from 11 countries (mair-lab/CulturalVQA, `test`).

Questions are in English; the country the image comes from is a breakdown alongside language. Every
answer is scored by LAVE through the judge (`--judge`): the judge rates the answer 1-3 against the
annotators' reference answers, mapped to 0, 0.5 and 1 (`lave`). Without a judge, answers are generated
and counted as `needs_judge`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from tv_eval.api import (
    GenerativeTask,
    JudgePrompt,
    JudgeProtocol,
    RowReader,
    Sample,
    ScoringMode,
    lave_prompt,
    lave_protocol,
    segment_metric,
)


class CulturalVqaTask(GenerativeTask):
    name = "cultural_vqa"
    description = "CulturalVQA: open-ended cultural VQA on images from 11 countries (LAVE via the judge)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.LAVE, ScoringMode.OFFICIAL)
    default_scoring = ScoringMode.LAVE
    metrics = (segment_metric("lave", primary=True, description="LAVE rating mapped to 0, 0.5, 1"),)
    breakdowns = ("country",)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "lave": "LAVE (Mañas et al. 2024) through the judge: 1-3 rating against the reference answers",
        "official": "LAVE through the judge, its reply read as lave_ft5.py reads it (last token, else 2)",
    }

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        answers = _answers(row.cell("answers"))
        if not answers:
            row.error("no reference answers")
        question = row.text("question")
        if not question:
            row.error("empty question")
        return row.sample(
            self.config["language"],
            country=row.text("country") or None,
            question_type="open",
            image=image,
            text=question,
            reference=" | ".join(answers),
            metadata={"answers": answers},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template("open").format(question=sample.text)

    def judged(self, sample: Sample, scoring: str) -> bool:
        return True

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return lave_protocol(official=scoring == ScoringMode.OFFICIAL)

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        return JudgePrompt(user=lave_prompt(sample.text, sample.metadata["answers"], prediction.strip()))


def _answers(cell: object) -> tuple[str, ...]:
    """The reference answers: a list (the dataset's form) or a single string."""
    values: Sequence[object] = (
        [cell] if isinstance(cell, str) else (cell if isinstance(cell, list | tuple) else [])
    )
    return tuple(str(value).strip() for value in values if value is not None and str(value).strip())
