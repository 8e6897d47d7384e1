"""xMMMU: college-level multi-discipline questions on one to seven images, in 7 languages
(neulab/PangeaBench-xmmmu, splits ar, en, fr, hi, id, ja, pt).

Each `<image N>` in the question or its options is where image_N is shown to the model (a repeated
reference repeats the image, as the fork's `mmmu_doc_to_visual` does). Replies are read and matched as
MMMU's own evaluation does (tv_eval.scoring.mmmu_answers): `official` guesses a letter where none can be
read from a multiple-choice reply (MMMU's random fallback, seeded here by the sample id), `robust`
counts such a reply wrong. `accuracy` is MMMU's instance-level accuracy; `by_question_type` gives the
multiple-choice and open accuracy apart, `by_category` the subject.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    IMAGE_SLOT,
    GenerativeTask,
    ImageInput,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    lettered_options,
    multiple_choice_letter,
    open_answer_candidates,
    open_answer_correct,
    segment_metric,
)

IMAGE_REFERENCE = re.compile(r"<image (\d+)>")
MULTIPLE_CHOICE = "multiple-choice"
IMAGE_ROLES = tuple(f"image_{number}" for number in range(1, 8))


class XmmmuTask(GenerativeTask):
    name = "xmmmu"
    description = "xMMMU: MMMU in 7 languages, multi-image (MMMU's answer parsing)"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True, description="MMMU's parsed answer matches"),)
    breakdowns = ("question_type", "category")
    scoring_modes = (ScoringMode.OFFICIAL, ScoringMode.ROBUST)
    default_scoring = ScoringMode.OFFICIAL
    image_roles = IMAGE_ROLES
    optional_roles = IMAGE_ROLES
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "official": "MMMU eval_utils parsing; an unreadable MCQ reply gets MMMU's guess, seeded by id",
        "robust": "MMMU eval_utils parsing; an unreadable MCQ reply is wrong (no guess)",
    }

    def sample_from_row(self, row: RowReader) -> Sample:
        question, kind = row.text("question"), row.text("question_type")
        kind = kind if kind == MULTIPLE_CHOICE else "open"
        options = _options(row) if kind == MULTIPLE_CHOICE else ()
        numbers = IMAGE_REFERENCE.findall(self._rendered(kind, question, options))
        images = _referenced_images(row, numbers)
        answer = row.text("answer")
        if not question or not answer:
            row.error("empty question or answer")
        return row.sample(
            row.part.split,
            category=_subject(row.text("id")),
            question_type=kind,
            choices=options,
            images=images,
            text=question,
            reference=answer,
            metadata={"image_sha256": [image.sha256 for image in images]},
        )

    def _rendered(self, kind: str, question: str, options: tuple[str, ...]) -> str:
        return self.template(kind).format(question=question, options=lettered_options(options))

    def prompt(self, sample: Sample, scoring: str) -> str:
        """The fork's prompt with each `<image N>` made the slot its image goes into."""
        rendered = self._rendered(str(sample.question_type), sample.text, sample.choices)
        return IMAGE_REFERENCE.sub(IMAGE_SLOT, rendered) if sample.images else rendered

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if sample.question_type == MULTIPLE_CHOICE:
            letters = {chr(ord("A") + index): option for index, option in enumerate(sample.choices)}
            seed = sample.sample_id if scoring == ScoringMode.OFFICIAL else None
            letter = multiple_choice_letter(prediction, letters, seed)
            return Score(
                status=SampleStatus.SCORED,
                scores={"accuracy": float(letter == sample.reference)},
                extracted=letter,
                details={
                    "guessed": letter is not None
                    and multiple_choice_letter(prediction, letters, None) is None
                },
            )
        candidates = open_answer_candidates(prediction)
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(open_answer_correct(sample.reference, candidates))},
            extracted=" | ".join(str(candidate) for candidate in candidates),
        )


def _options(row: RowReader) -> tuple[str, ...]:
    """The options: a list, or (MMMU's form) a Python list literal in a string, read with its newlines
    made spaces as the fork does."""
    cell: Any = row.cell("options")
    if isinstance(cell, str):
        try:
            cell = ast.literal_eval(cell.replace("\n", " "))
        except (ValueError, SyntaxError):
            row.error("options are not a list")
            return ()
    if not isinstance(cell, list | tuple) or not cell:
        row.error("a multiple-choice question without options")
        return ()
    return tuple(str(option) for option in cell)


def _referenced_images(row: RowReader, numbers: list[str]) -> tuple[ImageInput, ...]:
    """The image of each reference, in order; one that names no image is the sample's error."""
    images = []
    for number in numbers:
        role = f"image_{number}"
        if role not in row.columns or row.optional_cell(role) is None:
            row.error(f"<image {number}> refers to no image")
        elif (image := row.image(role)) is not None:
            images.append(image)
    return tuple(images) if len(images) == len(numbers) else ()


def _subject(sample_id: str) -> str | None:
    """MMMU's subject, from an id such as `validation_Art_Theory_12`."""
    match = re.fullmatch(r"[^_]+_(.+?)_\d+", sample_id)
    return match.group(1) if match else None
