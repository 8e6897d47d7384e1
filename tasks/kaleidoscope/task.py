"""Kaleidoscope: in-language exam MCQ in 18 languages (CohereLabs/kaleidoscope, split `train`).

The prompt and scoring are upstream lmms-eval's `direct` regime (lmms_eval/tasks/kaleidoscope/): an
English system message asking for `{"choice": "A"}`, the question and lettered options under in-language
keywords, `ANSWER:`. Questions without an image (`image` empty or "None") are asked as text only, as
upstream does. `accuracy` counts an unreadable answer wrong, `valid_accuracy` leaves it out and
`format_error` counts it; the paper's headline number is `accuracy_macro` (languages weigh the same).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DataPart,
    GenerativeTask,
    ImageInput,
    ImagePart,
    MetricKind,
    MetricSpec,
    Request,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    answer_payload,
    extract_choice,
    lettered_options,
    segment_metric,
    strict_choice,
)


class KaleidoscopeTask(GenerativeTask):
    name = "kaleidoscope"
    description = "Kaleidoscope: in-language exam MCQ in 18 languages (upstream lmms-eval's direct prompt)"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (
        segment_metric("accuracy", primary=True, description="right option; an unreadable answer is wrong"),
        segment_metric(
            "valid_accuracy", description="right option among the answers an option was read from"
        ),
        MetricSpec("format_error", MetricKind.SEGMENT, higher_is_better=False, description="no option read"),
    )
    breakdowns = ("country", "category", "question_type")
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "upstream's strict reading, else the core's option extraction on the JSON choice or reply",
        "official": "upstream lmms-eval's strict reading: JSON choice, <ANSWER> tag or a lone letter",
    }

    option_help: ClassVar[Mapping[str, str]] = {
        "max_new_tokens": "new tokens per answer (default 1024, upstream's limit; the JSON answer needs few)"
    }

    def __init__(self) -> None:
        super().__init__()
        self._option_images: dict[str, tuple[ImageInput, ...]] = {}

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        """The data has no id column: the row's position in the split."""
        return str(position)

    def sample_from_row(self, row: RowReader) -> Sample:
        language = row.language(row.text("language"))
        choices = _options(row.cell("options")) or ()
        answer = _index(row.cell("answer"), len(choices))
        if not row.text("question") or len(choices) < 2:
            row.error("no question or fewer than two options")
        if answer is None:
            row.error(f"answer {row.cell('answer')!r} is not an option index")
        image_path = row.text("image_path")
        multimodal = bool(image_path) and image_path.lower() != "none"
        image = self._packed_image(row, image_path) if multimodal else None
        suffixes = tuple(self.config["image_suffixes"])
        option_images = [
            self._packed_image(row, option) for option in choices if option.lower().endswith(suffixes)
        ]
        self._option_images[row.sample_id] = tuple(
            picture for picture in option_images if picture is not None
        )
        return row.sample(
            language,
            country=row.text("country") or None,
            category=row.text("category") or None,
            question_type="multimodal" if multimodal else "text_only",
            choices=choices,
            image=image,
            text=row.text("question"),
            reference=choices[answer] if answer is not None else "",
            metadata={
                "answer": answer,
                "level": row.text("level"),
                "general_category": row.text("general_category"),
                "image_type": row.text("image_type"),
            },
        )

    def _packed_image(self, row: RowReader, path: str) -> ImageInput | None:
        return row.packed_image(
            path, str(self.config["image_archive"]), str(self.config["archive_member_prefix"])
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        keywords = self.config["keywords"]
        question_word, options_word = keywords.get(sample.language, keywords["en"])
        return self.template("mcq").format(
            question_word=question_word,
            question=sample.text,
            options_word=options_word,
            options=lettered_options(sample.choices),
        )

    def build_request(self, sample: Sample, scoring: str) -> Request:
        """Option pictures follow the question's own, as upstream's visuals do (the system turn first)."""
        request = super().build_request(sample, scoring)
        system, user = request.messages
        extra = tuple(ImagePart(picture) for picture in self._option_images.get(sample.sample_id, ()))
        user = replace(user, content=(*user.content[:-1], *extra, user.content[-1]))
        return replace(request, messages=(system, user))

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        index = strict_choice(prediction, len(sample.choices), self.config["non_latin_letters"])
        if index is None and scoring == ScoringMode.ROBUST:
            index = extract_choice(answer_payload(prediction), sample.choices, language=sample.language)
        correct = float(index is not None and index == sample.metadata["answer"])
        scores = {"accuracy": correct, "format_error": float(index is None)}
        if index is not None:
            scores["valid_accuracy"] = correct
        return Score(SampleStatus.SCORED, scores, sample.choices[index] if index is not None else None)


def _options(cell: Any) -> tuple[str, ...] | None:
    """The option list; a string holding a Python list (some mirrors) is read; None where unreadable."""
    if isinstance(cell, str):
        try:
            cell = ast.literal_eval(cell)
        except (ValueError, SyntaxError):
            return None
    return tuple(str(option) for option in cell) if isinstance(cell, list | tuple) else None


def _index(cell: Any, count: int) -> int | None:
    """The answer cell as an option index (an int, or a string of digits), None where it is not one."""
    text = str(cell).strip()
    return int(text) if text.isdigit() and int(text) < count else None
