"""CulturalVQA: open-ended cultural questions about images from 11 countries (mair-lab/CulturalVQA, `test`).

The public data has `u_id`, `image` and `question` only: the answers are withheld for the organisers'
competition (dataset card). On it, answers are generated, counted as `needs_reference`, and written as
the competition's submission file (`cultural_vqa.submission.json`, u_id -> answer). With reference
answers (`--task-option cultural_vqa.answers=FILE`, or `answers`/`country` columns in a local copy),
every answer is scored by LAVE through the judge (`--judge`): the judge rates it 1-3 against the
references, mapped to 0, 0.5 and 1 (`lave`); without a judge such answers are `needs_judge`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DataSource,
    GenerativeTask,
    JudgePrompt,
    JudgeProtocol,
    LoadedTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoredSample,
    ScoringMode,
    TaskConfigError,
    TierMap,
    lave_prompt,
    lave_protocol,
    segment_metric,
)

ANSWERS_OPTION = "answers"


@dataclass(frozen=True)
class Reference:
    """One question's reference answers and, where known, its country."""

    answers: tuple[str, ...]
    country: str | None = None


class CulturalVqaTask(GenerativeTask):
    name = "cultural_vqa"
    description = "CulturalVQA: open-ended cultural VQA on images from 11 countries (LAVE via the judge)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.LAVE, ScoringMode.OFFICIAL)
    default_scoring = ScoringMode.LAVE
    answer_language_modes = (ScoringMode.LAVE, ScoringMode.OFFICIAL)
    metrics = (segment_metric("lave", primary=True, description="LAVE rating mapped to 0, 0.5, 1"),)
    breakdowns = ("country",)
    optional_roles = ("answers", "country")
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "lave": "LAVE (Mañas et al. 2024) through the judge: 1-3 rating against the reference answers",
        "official": "LAVE through the judge, its reply read as lave_ft5.py reads it (last token, else 2)",
    }
    option_help: ClassVar[Mapping[str, str]] = {
        ANSWERS_OPTION: "JSON file u_id -> reference answers (a list, or {answers, country}); "
        "the public data has none"
    }

    def __init__(self) -> None:
        super().__init__()
        self._references: dict[str, Reference] = {}

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        super().configure(options, source)
        path = options.get(ANSWERS_OPTION)
        if path is not None and not Path(str(path)).expanduser().is_file():
            raise TaskConfigError(f"task cultural_vqa: answers file {path} does not exist")

    def references_file(self, source: DataSource) -> Path | None:
        """The `answers` option, else the bundled sample's answers when reading the sample."""
        if self.options.get(ANSWERS_OPTION):
            return Path(str(self.options[ANSWERS_OPTION])).expanduser()
        return self.sample_dir / str(self.config["sample_answers"]) if source.use_sample else None

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        """The rows with their references; an answers file's content joins the data's fingerprint, so
        runs scored against different references never look like runs on the same data."""
        path = self.references_file(source)
        if path is None:
            self._references = {}
            return super().load(source, tier_map)
        self._references = read_references(path)
        loaded = super().load(source, tier_map)
        combined = hashlib.sha256(loaded.dataset.fingerprint.encode("utf-8") + path.read_bytes())
        return replace(loaded, dataset=replace(loaded.dataset, fingerprint=combined.hexdigest()[:16]))

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        u_id = row.text("id")
        question = row.text("question")
        if not question:
            row.error("empty question")
        reference = self._references.get(u_id) or _row_reference(row)
        if reference is not None and not reference.answers:
            row.error("no reference answers")
        answers = reference.answers if reference is not None else ()
        country = reference.country if reference is not None else None
        return row.sample(
            self.config["language"],
            country=country or None,
            question_type="open",
            image=image,
            text=question,
            reference=" | ".join(answers),
            metadata={"answers": answers, "u_id": u_id},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template("open").format(question=sample.text)

    def judged(self, sample: Sample, scoring: str) -> bool:
        """Only answers with references go to the judge; the others wait for one (`needs_reference`)."""
        return bool(sample.metadata.get("answers"))

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        return Score(status=SampleStatus.NEEDS_REFERENCE)

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return lave_protocol(official=scoring == ScoringMode.OFFICIAL)

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        return JudgePrompt(user=lave_prompt(sample.text, sample.metadata["answers"], prediction.strip()))

    def submission(self, records: Sequence[ScoredSample], scoring: str) -> Mapping[str, Any]:
        """u_id -> answer for every question, as the organisers take predictions ("" where the model gave
        none, so no question is missing from the file)."""
        return {
            str(record.metadata.get("u_id") or record.sample_id): (record.prediction or "").strip()
            for record in records
        }


def _row_reference(row: RowReader) -> Reference | None:
    """The references a local copy's own `answers` (and `country`) columns hold; None without them."""
    cell = row.optional_cell("answers")
    if cell is None:
        return None
    country = row.optional_cell("country")
    return Reference(_answers(cell), str(country).strip() if country else None)


def read_references(path: Path) -> dict[str, Reference]:
    """An answers file: a JSON object u_id -> list of answers, one answer, or {answers, country}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TaskConfigError(
            f"task cultural_vqa: answers file {path} is not readable JSON: {error}"
        ) from error
    if not isinstance(data, dict):
        raise TaskConfigError(f"task cultural_vqa: answers file {path} must be a JSON object u_id -> answers")
    references = {}
    for u_id, entry in data.items():
        if isinstance(entry, dict):
            country = entry.get("country")
            references[str(u_id)] = Reference(
                _answers(entry.get("answers")), str(country) if country else None
            )
        else:
            references[str(u_id)] = Reference(_answers(entry))
    return references


def _answers(cell: object) -> tuple[str, ...]:
    """The reference answers: a list (the dataset's form) or a single string."""
    values: Sequence[object] = (
        [cell] if isinstance(cell, str) else (cell if isinstance(cell, list | tuple) else [])
    )
    return tuple(str(value).strip() for value in values if value is not None and str(value).strip())
