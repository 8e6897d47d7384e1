"""Edit distance and the normalised edit similarity that CC-OCR's document parsing reports.

The distance is Levenshtein's (insertions, deletions and substitutions of one character, each costing
1), from rapidfuzz; it equals `nltk.edit_distance` with its defaults, which CC-OCR's evaluator and
upstream lmms-eval (`lmms_eval/tasks/cc_ocr/evaluators/doc_parsing_metric.py`) call. The similarity is
1 - distance / the longer string's length, in [0, 1].
"""

from __future__ import annotations


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance between two strings, counted in Unicode code points."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(first, second))


def edit_similarity(prediction: str, reference: str, *, both_empty: float = 0.0) -> float:
    """1 - edit distance / max(length): 1 for equal strings, 0 for nothing in common. Two empty strings
    score `both_empty` (CC-OCR's document op gives 1, its formula and molecule ops 0)."""
    longest = max(len(prediction), len(reference))
    if longest == 0:
        return both_empty
    return 1.0 - edit_distance(prediction, reference) / longest
