"""Where a prediction states its answer: the text after its last "answer is", "答案是", "Ответ:"."""

from __future__ import annotations

import regex

from tv_eval.scoring.choice_markers import Markers
from tv_eval.scoring.normalization import normalize_answer
from tv_eval.scoring.option_mentions import ends_with_word, starts_with_word
from tv_eval.scoring.term_patterns import find_words

_SEPARATORS = " :：-–—=>"
_SENTENCE_END = regex.compile(r"(?<=\S)[.!?。！？](?=\s|$)|\n")


def _strip_copulas(text: str, copulas: tuple[str, ...]) -> str:
    """Drop the copulas that join the marker to the answer ("is", "是", "هي"), and one that
    closes the answer ("です"; not a one-letter word, which may be a label: "Vitamin A"), as long
    as something is left."""
    text = text.lstrip(_SEPARATORS)
    for _ in range(2):
        opening = [word for word in copulas if starts_with_word(text, word) and text[len(word) :].strip()]
        if not opening:
            break
        text = text[len(opening[0]) :].lstrip(_SEPARATORS)
    closing = [
        word
        for word in copulas
        if len(word) > 1 and ends_with_word(text, word) and text[: -len(word)].strip()
    ]
    return text[: -len(closing[0])].rstrip() if closing else text


def answer_candidates(prediction: str, markers: Markers) -> list[str]:
    """Texts to read the choice from, best first: the sentence after the last answer marker,
    all that follows it, then the whole (normalized) prediction."""
    whole = normalize_answer(prediction)
    markers_found = find_words(whole, markers.answer, markers.suffixes)
    candidates = [whole]
    if markers_found:
        rest = _strip_copulas(whole[max(end for _, end in markers_found) :], markers.copula)
        candidates = [_SENTENCE_END.split(rest, maxsplit=1)[0], rest, whole]
    normalized = (normalize_answer(candidate) for candidate in candidates)
    return [candidate for candidate in dict.fromkeys(normalized) if candidate]
