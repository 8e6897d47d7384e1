"""CC-OCR: OCR in many languages and scenes, and document parsing (wulipc/CC-OCR, split `test`).

The config (`--task-option cc_ocr.config=`) is multi_lan_ocr (default), multi_scene_ocr or
doc_parsing. OCR answers are scored by CC-OCR's token F1 (tv_eval.scoring.ocr_tokens): `f1` per sample
(its mean is CC-OCR's macro F1) and `micro_f1` over each group; the language comes from the row's
`split` (a language name). Document parsing scores each answer's edit similarity after its operation's
cleaning (tv_eval.scoring.doc_parsing); tables (TEDS) are left out. See README.md beside this file.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    DOC_PARSING_OPERATIONS,
    UNKNOWN_LANGUAGE,
    CorpusMetric,
    DataPart,
    DataSource,
    GenerativeTask,
    ImageInput,
    MetricSpec,
    OcrMicroF1,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    TaskConfigError,
    check_specs,
    doc_parsing_score,
    f1_of,
    micro_f1_spec,
    segment_metric,
    token_counts,
)


class CcOcrTask(GenerativeTask):
    name = "cc_ocr"
    description = "CC-OCR: multilingual OCR (token F1 per language), multi-scene OCR, document parsing"
    config_path = Path(__file__).parent / "config.yaml"
    breakdowns = ("category",)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "CC-OCR's official metrics: token F1 (f1, micro_f1) for OCR; edit similarity for "
        "doc_parsing's doc, formula and molecular (tables, scored by TEDS upstream, are excluded)"
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "config": "multi_lan_ocr (default), multi_scene_ocr or doc_parsing (kie is not implemented)",
        "prompt": "fork (the TowerVision fork's, default) or upstream (lmms-eval's: the question alone)",
    }

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        super().configure(options, source)
        for option, known in (("config", self.config["configs"]), ("prompt", self.config["prompts"])):
            if option in options and options[option] not in known:
                raise TaskConfigError(f"task cc_ocr: {option} must be one of {', '.join(known)}")

    @property
    def subset(self) -> str:
        return str(self.options.get("config", self.config["default_config"]))

    @property
    def track(self) -> str:
        return str(self.config.value("configs", self.subset))

    def parts(self) -> Sequence[DataPart]:
        return [DataPart(split=str(self.config["split"]), config_name=self.subset)]

    def language_of(self, subset: str) -> str:
        table = self.config["languages"]
        return str(table.get(subset) or table.get(subset.split("_")[0]) or UNKNOWN_LANGUAGE)

    def sample_from_row(self, row: RowReader) -> Sample:
        answer = row.text("answer")
        if not answer:
            row.error("empty answer")
        return row.sample(
            self.language_of(row.text("subset")),
            category=row.text("category") or None,
            image=_image(row),
            text=row.text("question"),
            reference=answer,
            metadata={"image_name": row.text("image_name"), "subset": row.text("subset")},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        name = str(self.options.get("prompt", self.config["default_prompt"]))
        return self.template(name).format(question=sample.text)

    def needs_model(self, sample: Sample, scoring: str) -> bool:
        return self.track == "ocr" or sample.category in DOC_PARSING_OPERATIONS

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        extracted = prediction.strip()
        if self.track == "ocr":
            value = f1_of(*token_counts(extracted, sample.reference, sample.language, self.subset))
            return Score(status=SampleStatus.SCORED, scores={"f1": value}, extracted=extracted)
        value = doc_parsing_score(str(sample.category), prediction, sample.reference)
        return Score(status=SampleStatus.SCORED, scores={"edit_score": value}, extracted=extracted)

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        if self.track == "ocr":
            f1 = segment_metric("f1", primary=True, description="token F1 per sample (CC-OCR macro F1)")
            return check_specs((f1, micro_f1_spec(self.subset)), self.name)
        edit = segment_metric("edit_score", primary=True, description="1 - edit distance / max length")
        return check_specs((edit,), self.name)

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        return [OcrMicroF1(self.subset)] if self.track == "ocr" else []


def _image(row: RowReader) -> ImageInput | None:
    """The row's image: a base64 string as the Hub stores it (a data-URL header allowed), or an
    encoded image cell where a copy holds one."""
    cell = row.cell("encoded_image")
    if not isinstance(cell, str):
        return row.image("encoded_image")
    try:
        data = base64.b64decode(cell.split("base64,", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        row.error("image is not valid base64")
        return None
    return ImageInput.from_bytes(data)
