"""CVQA: culturally diverse multilingual multiple-choice VQA (afaji/cvqa, split `test`).

Each row's `Subset` names its language and country ("('Japanese', 'Japan')"): the language becomes the
sample's BCP-47 tag (and so its tier), the country its `by_country` breakdown. The public test split
has `Label` -1 everywhere (its answers are scored only by the organisers' leaderboard): its questions
are answered, counted `needs_reference` and written to `cvqa.submission.csv` in the fork's form
(`ID,index` lines). With labels (a labelled copy's own `Label`, or `--task-option cvqa.labels=FILE`)
the chosen option is extracted from the answer and scored as `accuracy`.
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DataSource,
    GenerativeTask,
    LoadedTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoredSample,
    SubmissionFile,
    TaskConfigError,
    TierMap,
    extract_choice,
    lettered_options,
    segment_metric,
    with_file_fingerprint,
)

LABELS_OPTION, PROMPT_OPTION = "labels", "prompt"
PROMPT_COLUMNS = {
    "question": ("question", "options"),
    "translated": ("translated_question", "translated_options"),
}


class CvqaTask(GenerativeTask):
    name = "cvqa"
    description = "CVQA: culturally diverse multilingual MCQ VQA, by (language, country); leaderboard file"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True, description="the extracted option is the label"),)
    breakdowns = ("country", "category")
    option_help: ClassVar[Mapping[str, str]] = {
        LABELS_OPTION: "CSV file of `ID,label` lines (0-based option index), the public split has none",
        PROMPT_OPTION: "question (Question/Options, default) or translated (Translated Question/Options)",
    }

    def __init__(self) -> None:
        super().__init__()
        self._labels: dict[str, int] = {}

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        super().configure(options, source)
        if str(options.get(PROMPT_OPTION, "question")) not in PROMPT_COLUMNS:
            raise TaskConfigError(f"task cvqa: prompt must be one of {', '.join(PROMPT_COLUMNS)}")
        path = options.get(LABELS_OPTION)
        if path is not None and not Path(str(path)).expanduser().is_file():
            raise TaskConfigError(f"task cvqa: labels file {path} does not exist")

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        """The rows with their labels; a labels file's content joins the data's fingerprint."""
        path = (
            Path(str(self.options[LABELS_OPTION])).expanduser() if self.options.get(LABELS_OPTION) else None
        )
        if path is None and source.use_sample:
            path = self.sample_dir / str(self.config["sample_labels"])
        self._labels = read_labels(path) if path is not None else {}
        loaded = super().load(source, tier_map)
        return loaded if path is None else with_file_fingerprint(loaded, path)

    def sample_from_row(self, row: RowReader) -> Sample:
        language_name, country = _subset(row)
        language = row.language(language_name, by_name=True)
        question_role, options_role = PROMPT_COLUMNS[str(self.options.get(PROMPT_OPTION, "question"))]
        choices = tuple(str(option).strip() for option in row.cell(options_role) or ())
        label = self._labels.get(row.text("id"), int(row.cell("label")))
        if not row.text(question_role) or len(choices) < 2:
            row.error("no question or fewer than two options")
        if label >= len(choices):
            row.error(f"label {label} is not an option index (0-{len(choices) - 1})")
        return row.sample(
            language,
            country=country or None,
            category=row.text("category") or None,
            question_type="mcq",
            choices=choices,
            image=row.image(),
            text=row.text(question_role),
            reference=choices[label] if 0 <= label < len(choices) else "",
            metadata={"id": row.text("id"), "label": label, "language_name": language_name},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template("mcq").format(question=sample.text, options=lettered_options(sample.choices))

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """The option the answer picks (kept for the submission file); right when it is the label."""
        index = extract_choice(prediction, sample.choices, language=sample.language)
        extracted = sample.choices[index] if index is not None else None
        details = {"choice": index}
        if int(sample.metadata["label"]) < 0:
            return Score(SampleStatus.NEEDS_REFERENCE, extracted=extracted, details=details)
        correct = float(index == int(sample.metadata["label"]))
        return Score(SampleStatus.SCORED, {"accuracy": correct}, extracted, details=details)

    def submission(self, records: Sequence[ScoredSample], scoring: str) -> SubmissionFile:
        """`ID,index` per question as the fork writes cvqa_predictions.csv (0-based option index), -1
        where no single option was chosen or no answer came back, so every question is listed."""
        lines = []
        for record in records:
            choice = record.details.get("choice")
            lines.append(
                f"{record.metadata.get('id', record.sample_id)},{-1 if choice is None else choice}\n"
            )
        return SubmissionFile(text="".join(lines), extension="csv")


def _subset(row: RowReader) -> tuple[str, str]:
    """(language, country) from `Subset`, a Python tuple literal; ('', '') with the reason recorded
    where it is not one."""
    try:
        value = ast.literal_eval(str(row.cell("subset")))
    except (ValueError, SyntaxError):
        value = None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(part, str) for part in value):
        return value[0].strip(), value[1].strip()
    row.error(f"Subset {row.cell('subset')!r} is not a (language, country) pair")
    return "", ""


def read_labels(path: Path) -> dict[str, int]:
    """A labels file: `ID,label` rows (a first row whose label is not a number is a header)."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise TaskConfigError(f"task cvqa: labels file {path} is not readable: {error}") from error
    labels = {}
    for number, fields in enumerate(rows, start=1):
        if not fields or (number == 1 and len(fields) == 2 and not fields[1].strip().lstrip("-").isdigit()):
            continue
        if len(fields) != 2 or not fields[1].strip().isdigit():
            raise TaskConfigError(f"task cvqa: labels file {path} line {number} is not `ID,label`: {fields}")
        labels[fields[0].strip()] = int(fields[1])
    return labels
