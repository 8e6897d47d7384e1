"""M3Exam: multimodal exam questions from 7 countries' official exams (neulab/PangeaBench-m3exam, one
split per language name). Images are base64 text in image_0..image_9 ("None" where absent).

Every `(image)[id]` in the background, question or options is where an image is shown: the first
distinct id takes the first present image column, the next the next (the ids are file names whose
mapping to columns is UNVERIFIED; see README), images no reference names go before the text. Scoring:
`official` reads the reply and the answer as the fork does (tv_eval.scoring.m3exam_answers, with its
random last resort seeded by the sample id); `robust` extracts the chosen option with tv-eval's
multilingual choice extraction, where an unreadable reply is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    IMAGE_SLOT,
    DataPart,
    GenerativeTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    TaskConfigError,
    UnknownLanguageError,
    answer_letter,
    choice_score,
    language_from_name,
    reply_letter,
    segment_metric,
    standardized_options,
)

IMAGE_REFERENCE = re.compile(r"\(image\)\[([^\]]+)\]")
IMAGE_ROLES = tuple(f"image_{number}" for number in range(10))
PROMPT_LANGUAGE = "prompt_language"


class M3examTask(GenerativeTask):
    name = "m3exam"
    description = "M3Exam: multimodal exam MCQ in 7 languages, images where the text refers to them"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True, description="the chosen letter is the answer"),)
    breakdowns = ("category",)
    scoring_modes = (ScoringMode.OFFICIAL, ScoringMode.ROBUST)
    default_scoring = ScoringMode.OFFICIAL
    image_roles = ()  # base64 text, not image features
    optional_roles = IMAGE_ROLES
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "official": "the fork's letter parsing and answer standardisation; its random fallback seeded by id",
        "robust": "tv-eval's option extraction; an unreadable reply is wrong",
    }
    option_help: ClassVar[Mapping[str, str]] = {
        PROMPT_LANGUAGE: "native (the fork's in-language instructions, default) or english (English for all)"
    }

    def configure(self, options: Mapping[str, Any], source: Any = None) -> None:
        super().configure(options, source)
        if self.options.setdefault(PROMPT_LANGUAGE, "native") not in ("native", "english"):
            raise TaskConfigError(f"task m3exam: {PROMPT_LANGUAGE} must be native or english")

    def prompt_templates(self) -> Mapping[str, str]:
        texts = {"exam": self.template("exam"), **{f"hint/{k}": v for k, v in self.config["hints"].items()}}
        return {**texts, **{f"cue/{k}": v for k, v in self.config["answer_cues"].items()}}

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        return f"{part.split}/{position}"

    def sample_from_row(self, row: RowReader) -> Sample:
        name = row.text("language") or row.part.split
        try:
            language = language_from_name(name)
        except UnknownLanguageError:
            language = "und"
        if name not in self.config["hints"]:
            row.error(f"unknown language name {name!r}")
        options = tuple(str(option) for option in row.cell("options") or ())
        answer = answer_letter(row.text("answer"))
        if len(options) < 2 or not "A" <= answer[:1] <= chr(ord("A") + len(options) - 1):
            row.error(f"answer {row.text('answer')!r} names none of {len(options)} options")
        subject = row.text("subject")
        if subject not in self.config.value("subjects", "english"):
            row.error(f"unknown subject category {subject!r}")
        background = [str(line) for line in row.cell("background") or ()]
        ids = IMAGE_REFERENCE.findall("\n".join([*background, row.text("question"), *options]))
        leading, roles = _image_roles(row, ids)
        images = tuple(row.base64_image(role) for role in roles)
        return row.sample(
            language,
            category=subject,
            question_type="mcq",
            choices=tuple(re.sub(r"^\(\w\) ", "", option) for option in standardized_options(options)),
            images=() if row.errors else images,  # type: ignore[arg-type]
            text=row.text("question"),
            reference=answer,
            metadata={
                "options": options,
                "background": background,
                "leading_images": leading,
                "language_name": name,
            },
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        """The fork's prompt with every image reference made a slot, unreferenced images first."""
        native = str(sample.metadata["language_name"])
        key = native if self.options.get(PROMPT_LANGUAGE, "native") == "native" else "english"
        background = sample.metadata["background"]
        text = self.template("exam").format(
            hint=self.config.value("hints", key).format(
                subject=self.config.value("subjects", key, str(sample.category))
            ),
            background="\n" + "\n".join(background) if background else "",
            question=sample.text,
            options="\n".join(standardized_options(sample.metadata["options"])),
            answer_cue=self.config.value("answer_cues", key),
        )
        if not sample.images:
            return text
        return IMAGE_SLOT * sample.metadata["leading_images"] + IMAGE_REFERENCE.sub(IMAGE_SLOT, text)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring == ScoringMode.ROBUST:
            return choice_score(sample, prediction)
        letter = reply_letter(prediction, sample.metadata["options"], sample.sample_id)
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(letter == sample.reference)},
            extracted=letter,
            details={"guessed": reply_letter(prediction, sample.metadata["options"], None) is None},
        )


def _image_roles(row: RowReader, ids: list[str]) -> tuple[int, list[str]]:
    """The image columns in slot order: those no reference names first, then one per reference (the
    k-th distinct id is the k-th present column); their count before the references comes first."""
    present = [role for role in IMAGE_ROLES if str(row.optional_cell(role) or "None") != "None"]
    distinct = list(dict.fromkeys(ids))
    if len(distinct) > len(present):
        row.error(f"{len(distinct)} images referred to, {len(present)} given")
        return 0, []
    by_id = dict(zip(distinct, present, strict=False))
    leading = present[len(distinct) :]
    return len(leading), [*leading, *(by_id[image_id] for image_id in ids)]
