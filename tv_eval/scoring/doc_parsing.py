"""CC-OCR document parsing: the cleaning each operation applies before the edit similarity.

In the core beside `edit_distance` because it is the official metric of a benchmark family (document
and formula transcription), not one task's glue.

As upstream lmms-eval's `lmms_eval/tasks/cc_ocr/evaluators/doc_parsing_metric.py` (from CC-OCR's
official evaluator) does it: documents drop a LaTeX preamble, keep a ```latex block's content and lose
all spaces and newlines; formulas and molecules (SMILES) lose spaces, newlines, code fences and
`<smiles>` tags. Tables are scored by TEDS there, which tv-eval does not implement.
"""

from __future__ import annotations

import re

from tv_eval.scoring.edit_distance import edit_similarity

DOC_PARSING_OPERATIONS = ("doc", "formula", "molecular")
_PREAMBLE = re.compile(
    r"\\documentclass\{.*?\}|\\usepackage\[.*?\]\{.*?\}|\\usepackage\{.*?\}|\\geometry\{.*?\}"
    r"|\\begin\{document\}|\\end\{document\}|\\noindent"
)
_LATEX_BLOCK = re.compile(r"```latex(.+?)```", re.DOTALL)


def _without(text: str, *parts: str) -> str:
    for part in parts:
        text = text.replace(part, "")
    return text


def _document(prediction: str) -> str:
    prediction = _PREAMBLE.sub("", prediction)
    block = _LATEX_BLOCK.search(prediction)
    if block is not None:
        prediction = block.group(1)
    elif "```latex" in prediction:
        prediction = prediction.split("```latex", 1)[1]
    return _without(prediction, " ", "\n")


def doc_parsing_score(operation: str, prediction: str, truth: str) -> float:
    """The edit similarity of one answer under its operation's cleaning (see the module docstring)."""
    if operation == "doc":
        return edit_similarity(_document(prediction), _without(truth, " ", "\n"), both_empty=1.0)
    if operation == "formula":
        cleaned = _without(prediction.replace("\n", " ").replace("\t", " "), "```latex", "```", " ")
    else:
        cleaned = _without(prediction, "\n", " ", "<smiles>", "</smiles>")
    return edit_similarity(cleaned, _without(truth, " "))
