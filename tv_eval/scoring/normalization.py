"""One normal form for answers, options and marker words, so that they compare as a reader would."""

from __future__ import annotations

import re
import unicodedata

_WRAPPERS = "\"'`«»“”‘’„‚‹›「」『』【】*_ \t\n"
_TRAILING_PUNCTUATION = ".。．!！?？:：;；,，、।॥۔"


def to_ascii_digits(text: str) -> str:
    """Digits of every script (Arabic-Indic, Devanagari, full-width, ...) as ASCII digits."""
    return "".join(
        str(unicodedata.digit(char)) if char.isdigit() and not char.isascii() else char for char in text
    )


def normalize_answer(text: str) -> str:
    """Compatibility-folded, case-folded, with wrapping quotes and final punctuation removed."""
    folded = to_ascii_digits(unicodedata.normalize("NFKC", text))
    folded = re.sub(r"\s+", " ", folded)
    previous = None
    while previous != folded:
        previous = folded
        folded = folded.strip(_WRAPPERS).rstrip(_TRAILING_PUNCTUATION).strip(_WRAPPERS)
    return folded.casefold()
