"""A new multiple-choice VQA benchmark on the declarative base: a config and four short hooks."""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import (
    GenerativeTask,
    RowReader,
    Sample,
    Score,
    UnknownLanguageError,
    answer_index,
    choice_score,
    lettered_options,
    normalize_language,
    segment_metric,
)


class ToyVqaTask(GenerativeTask):
    name = "toy_vqa"
    description = "Toy multilingual multiple-choice VQA (test fixture)"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True),)

    def sample_from_row(self, row: RowReader) -> Sample:
        try:
            language = normalize_language(row.text("language"))
        except UnknownLanguageError as error:
            language = "und"
            row.error(str(error))
        choices = tuple(str(option) for option in row.cell("options") or ())
        if answer_index(row.text("answer"), choices) is None:
            row.error("the answer is not one of the options")
        return row.sample(
            language,
            question_type="mcq",
            choices=choices,
            image=row.image(),
            text=row.text("question"),
            reference=row.text("answer"),
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template("mcq").format(question=sample.text, options=lettered_options(sample.choices))

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        return choice_score(sample, prediction)
