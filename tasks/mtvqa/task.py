"""MTVQA: text-centric VQA in 9 languages (ByteDance/MTVQA, split `test`); one sample per question-answer
pair of an image's `qa_pairs`, the pairs of one image sharing its cluster.

- `official` (default): upstream lmms-eval's accuracy (lmms_eval/tasks/mtvqa/utils.py,
  mtvqa_process_results): right when the answer, stripped, lower-cased and without '.', occurs in the
  prediction treated the same way; the benchmark's number is the mean over all pairs.
- `robust`: the same containment on the Unicode-folded VQA form (`robust_answer`), so full-width letters
  and digits of other scripts match their plain forms.
Pairs without a question or an answer are left out, as upstream leaves them out.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    UNKNOWN_LANGUAGE,
    DataPart,
    GenerativeTask,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    UnknownLanguageError,
    contains_match,
    language_from_name,
    mtvqa_form,
    normalize_language,
    robust_answer,
    segment_metric,
)

PAIR_KEY, UNREADABLE = "_qa_pair", "_qa_pairs_error"


class MtvqaTask(GenerativeTask):
    name = "mtvqa"
    description = "MTVQA: text-centric VQA in 9 languages (answer contained in the prediction)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.OFFICIAL, ScoringMode.ROBUST)
    default_scoring = ScoringMode.OFFICIAL
    answer_language_modes = (ScoringMode.OFFICIAL, ScoringMode.ROBUST)
    metrics = (segment_metric("accuracy", primary=True, description="the answer occurs in the prediction"),)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "official": "lmms-eval mtvqa/utils.py: lower-cased answer without '.' contained in the prediction",
        "robust": "the answer's Unicode-folded VQA form contained in the prediction's",
    }

    def row_items(self, row: Mapping[str, Any], part: DataPart) -> Sequence[Mapping[str, Any]]:
        """One item per usable pair; a row whose `qa_pairs` cannot be read is one failed item."""
        try:
            pairs = qa_pairs(row[self.config.columns()["qa_pairs"]])
        except ValueError as error:
            return ({**row, PAIR_KEY: (0, "", ""), UNREADABLE: str(error)},)
        return tuple({**row, PAIR_KEY: (index, *pair)} for index, pair in enumerate(pairs))

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        """Upstream's question id: `<id>_<index of the pair among the usable ones>`."""
        return f"{_text(row[self.config.columns()['id']]) or f'mtvqa_{position}'}_{row[PAIR_KEY][0]}"

    def sample_from_row(self, row: RowReader) -> Sample:
        image = row.image()
        if UNREADABLE in row.row:
            row.error(row.row[UNREADABLE])
        _, question, answer = row.row[PAIR_KEY]
        return row.sample(
            self.language_of(row),
            question_type="open",
            image=image,
            text=question,
            reference=answer,
            metadata={"image_id": _text(row.cell("id")), "lang": row.text("language")},
        )

    def language_of(self, row: RowReader) -> str:
        """BCP-47 of the row's `lang` (the config's table, else a code or an English name)."""
        value = row.text("language")
        known = self.config["languages"].get(value.upper())
        if known:
            return str(known)
        for reader in (normalize_language, language_from_name):
            try:
                return reader(value)
            except UnknownLanguageError:
                continue
        row.error(f"unknown language {value!r}")
        return UNKNOWN_LANGUAGE

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template("open").format(question=sample.text)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        form = robust_answer if scoring == ScoringMode.ROBUST else mtvqa_form
        value = contains_match(prediction, [sample.reference], form)
        return Score(status=SampleStatus.SCORED, scores={"accuracy": value}, extracted=form(prediction))


def qa_pairs(cell: object) -> list[tuple[str, str]]:
    """(question, answer) of every pair with both, stripped; the cell is a list of mappings or its text
    (Python literal as upstream reads it, or JSON)."""
    if isinstance(cell, str):
        cell = _parsed(cell)
    if not isinstance(cell, list | tuple):
        raise ValueError(f"qa_pairs is not a list of question-answer pairs: {type(cell).__name__}")
    pairs = [item for item in cell if isinstance(item, Mapping)]
    found = ((str(p.get("question", "")).strip(), str(p.get("answer", "")).strip()) for p in pairs)
    return [(question, answer) for question, answer in found if question and answer]


def _text(value: object) -> str:
    """A cell as stripped text, None as '' (an id of 0 stays '0')."""
    return "" if value is None else str(value).strip()


def _parsed(text: str) -> object:
    if not text.strip():
        return []
    for parse in (ast.literal_eval, json.loads):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    raise ValueError("qa_pairs text is neither a Python nor a JSON list")
