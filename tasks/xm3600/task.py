"""XM3600 captioning in 36 languages (neulab/PangeaBench-xm100, one split per language code).

Each row is one image with one reference caption in its split's language; the image id is shared
across languages, kept as `metadata["parallel_id"]` so answers on the same image can be paired
across languages. The model's caption (whitespace collapsed) is scored by CIDEr over each language's
images (tv_eval.scoring.cider: pycocoevalcap's scorer, document frequencies per language, words or
grapheme clusters by script). See README.md beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    CiderMetric,
    CorpusMetric,
    DataPart,
    GenerativeTask,
    MetricSpec,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    check_specs,
    cider_spec,
    clean_hypothesis,
    normalize_language,
)


class Xm3600Task(GenerativeTask):
    name = "xm3600"
    description = "XM3600: image captioning in 36 languages (CIDEr per language)"
    config_path = Path(__file__).parent / "config.yaml"
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "the fork's prompt, greedy, 128 new tokens; CIDEr (pycocoevalcap) with document "
        "frequencies per language, words or grapheme clusters (zh, ja, th) instead of the PTB tokenizer"
    }
    answer_language_modes = (ScoringMode.ROBUST,)

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        return f"{part.split}/{row[self.config.columns()['id']]}"

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        references = _captions(row.cell("caption"))
        if not references:
            row.error("empty caption")
        return row.sample(
            normalize_language(row.part.split),
            question_type="caption",
            image=image,
            text="",
            reference=" | ".join(references),
            metadata={"references": references, "parallel_id": row.text("id"), "split": row.part.split},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        split = sample.metadata["split"]
        if split == "en":
            return self.template("caption_en")
        return self.template("caption").format(language=self.config.value("languages", split))

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """The caption only: CIDEr is computed later, over each language's images."""
        return Score(status=SampleStatus.SCORED, extracted=clean_hypothesis(prediction))

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        return check_specs((cider_spec(primary=True),), self.name)

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        return [CiderMetric()]


def _captions(cell: object) -> tuple[str, ...]:
    """The reference captions: the dataset's one string, or a list where a copy holds several."""
    values = cell if isinstance(cell, list | tuple) else [cell]
    return tuple(str(value).strip() for value in values if value is not None and str(value).strip())
