"""CC-OCR's OCR metric: bag-of-tokens precision, recall and F1 between a transcription and the truth.

The protocol of CC-OCR's official `ocr_evaluator.py` (AlibabaResearch/AdvancedLiterateMachinery,
Benchmarks/CC-OCR/evaluation), as upstream lmms-eval (`lmms_eval/tasks/cc_ocr/evaluators/ocr_metric.py`)
and the TowerVision fork (deep-spin/lmms-eval `lmms_eval/tasks/cc_ocr/cc_ocr_eval/utils.py`) compute it:
tabs, newlines, `###` and `***` are removed, whitespace runs collapse, text is lower-cased and split
into words, or into characters for Arabic, Japanese, Korean and Chinese (spaces dropped); multi-scene
OCR keeps only ASCII letters and digits of each word. Matches are the multiset intersection of the
two token bags. `f1` is each sample's F1 (CC-OCR's "macro" F1 is its mean); `micro_f1` is the F1 of the
matches, truth tokens and predicted tokens summed over a group, a corpus metric here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tv_eval.core.metrics import MetricKind, MetricScale, MetricSpec
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.corpus_metrics import CorpusMetric

if TYPE_CHECKING:
    import numpy as np

MICRO_F1 = "micro_f1"
CHARACTER_LANGUAGES = frozenset({"ar", "ja", "ko", "zh"})
ALPHANUMERIC_TRACKS = frozenset({"multi_scene_ocr"})
_DROPPED = re.compile(r"###|\*\*\*")
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")


def character_level(language: str) -> bool:
    return language.split("-")[0].lower() in CHARACTER_LANGUAGES


def ocr_tokens(text: str, language: str, track: str) -> list[str]:
    """The tokens CC-OCR compares: see the module docstring."""
    text = re.sub(r"\s+", " ", _DROPPED.sub("", text.strip().replace("\t", " ").replace("\n", " ")))
    characters = character_level(language)
    tokens = list(text.replace(" ", "")) if characters else text.split(" ")
    tokens = [token.lower() for token in tokens]
    if track in ALPHANUMERIC_TRACKS and not characters:
        tokens = [_NOT_ALPHANUMERIC.sub("", token) for token in tokens]
    return [token for token in tokens if token]


def token_counts(prediction: str, truth: str, language: str, track: str) -> tuple[int, int, int]:
    """(matched tokens, truth tokens, predicted tokens) of one sample."""
    predicted, expected = ocr_tokens(prediction, language, track), ocr_tokens(truth, language, track)
    matched = sum((Counter(predicted) & Counter(expected)).values())
    return matched, len(expected), len(predicted)


def f1_of(matched: float, truth: float, predicted: float) -> float:
    """F1 of a match count; no truth or no prediction scores 0, as CC-OCR's epsilons make it."""
    recall = matched / truth if truth else 0.0
    precision = matched / predicted if predicted else 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def micro_f1_spec(track: str, *, primary: bool = False) -> MetricSpec:
    return MetricSpec(
        MICRO_F1,
        MetricKind.CORPUS,
        MetricScale.UNIT,
        primary=primary,
        description="CC-OCR micro F1: token matches, truth and predicted tokens summed over the group",
        params={"track": track},
    )


class OcrMicroF1(CorpusMetric):
    """Micro F1 over a group: each record's statistics are its (matched, truth, predicted) counts."""

    name = MICRO_F1

    def __init__(self, track: str) -> None:
        self.track = track

    def statistics(self, records: Sequence[ScoredSample]) -> np.ndarray:
        import numpy as np

        counts = [
            token_counts(record.extracted or "", record.reference, record.language, self.track)
            for record in records
        ]
        return np.asarray(counts, dtype=float).reshape(len(records), 3)

    def score(self, totals: np.ndarray) -> float:
        return f1_of(float(totals[0]), float(totals[1]), float(totals[2]))

    def describe(self, records: Sequence[ScoredSample]) -> dict[str, Any]:
        languages = sorted({record.language for record in records if self.applies(record)})
        return {
            "implementation": "tv-eval, CC-OCR ocr_evaluator protocol",
            "signature": f"track {self.track}; lower case; characters for ar/ja/ko/zh, else words",
            "tokens": {
                language: "character" if character_level(language) else "word" for language in languages
            },
        }
