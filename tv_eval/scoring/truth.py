"""True/false answers: the language's words for true and false, and which one a prediction says."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from tv_eval.scoring.normalization import normalize_answer

_FINAL_ANSWER = re.compile(r"(?:final answer|answer)\s*[:：]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


def _is_unspaced(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(_UNSPACED_SCRIPTS)


def _find_word(haystack: str, needle: str) -> int:
    """Position of `needle` as a whole word (letters may not touch it, except in unspaced scripts)."""
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = start == 0 or not haystack[start - 1].isalnum() or _is_unspaced(needle[0])
        after_ok = end == len(haystack) or not haystack[end].isalnum() or _is_unspaced(needle[-1])
        if before_ok and after_ok:
            return start
        start = haystack.find(needle, start + 1)
    return -1


def _candidate_texts(prediction: str) -> list[str]:
    """The whole prediction, then what follows an 'Answer:' marker, each normalized."""
    candidates = [normalize_answer(prediction)]
    marker = _FINAL_ANSWER.search(prediction)
    if marker:
        candidates.insert(0, normalize_answer(marker.group(1)))
    return [candidate for candidate in candidates if candidate]


@dataclass(frozen=True)
class TruthWords:
    true: tuple[str, ...]
    false: tuple[str, ...]


@lru_cache(maxsize=1)
def _truth_table() -> dict[str, TruthWords]:
    raw = yaml.safe_load(
        (resources.files("tv_eval") / "data" / "truth_words.yaml").read_text(encoding="utf-8")
    )
    return {
        language: TruthWords(
            true=tuple(normalize_answer(word) for word in words["true"]),
            false=tuple(normalize_answer(word) for word in words["false"]),
        )
        for language, words in raw.items()
    }


def truth_words(language: str) -> TruthWords:
    """The language's words for true/yes and false/no, together with the English ones."""
    table = _truth_table()
    base = language.split("-")[0]
    own = table.get(language) or table.get(base) or TruthWords((), ())
    english = table["en"]
    return TruthWords(true=own.true + english.true, false=own.false + english.false)


def extract_truth(prediction: str, language: str, extra: TruthWords | None = None) -> bool | None:
    """True/False from a free-text answer: the earliest true or false word in it decides."""
    words = truth_words(language)
    if extra is not None:
        words = TruthWords(true=extra.true + words.true, false=extra.false + words.false)
    for candidate in _candidate_texts(prediction):
        best: tuple[int, int, bool] | None = None
        for verdict, vocabulary in ((True, words.true), (False, words.false)):
            for word in vocabulary:
                position = _find_word(candidate, word) if word else -1
                if position >= 0:
                    key = (position, -len(word), verdict)
                    if best is None or key[:2] < best[:2]:
                        best = key
        if best is not None:
            return best[2]
    return None
