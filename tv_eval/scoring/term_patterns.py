"""Regular expressions that find a word or phrase as a reader would, in any script.

A term is found as a whole word: the letters next to it may not continue it. Whether a letter
continues a word depends on its script: in scripts written without spaces (Han, kana, Thai, Lao,
Khmer, Myanmar, Tibetan) any neighbour may, and a change of script always ends a word
(`Parisです`, `iPhone입니다`). Languages that write particles, case endings and prefixes
attached to a word (Korean `김치입니다`, Hebrew `בחיפה`, Turkish `Ankarada`) list them in the
marker table, and the term may carry them.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import regex

from tv_eval.scoring.choice_markers import Affixes

UNSPACED_SCRIPTS = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan")
_UNSPACED = regex.compile("[" + "".join(rf"\p{{Script={name}}}" for name in UNSPACED_SCRIPTS) + "]")
# Unicode names open with the script's name; CJK ideographs are the one script named otherwise.
_NAME_TO_SCRIPT = {"CJK": "Han"}
_MAX_AFFIXES = 3


def is_unspaced(char: str) -> bool:
    return bool(_UNSPACED.match(char))


@lru_cache(maxsize=4096)
def continuing(char: str) -> str | None:
    """A character class of what continues a word ending (or starting) with `char`; None where
    any neighbour may (unspaced scripts) or `char` is no letter or digit."""
    if is_unspaced(char):
        return None
    if char.isdigit():
        return "[0-9]"
    if not regex.match(r"[\w\p{M}]", char):
        return None
    first_word = unicodedata.name(char, "").split(" ")[0]
    script = _NAME_TO_SCRIPT.get(first_word, first_word.title())
    try:
        regex.compile(rf"\p{{Script={script}}}")
    except regex.error:
        return r"[\w\p{M}]"
    return rf"[\p{{Script={script}}}\p{{M}}\u200c\u200d]"


def before_boundary(term: str) -> str:
    """A look-behind: what precedes `term` does not continue it."""
    klass = continuing(term[0]) if term else None
    return f"(?<!{klass})" if klass else ""


def after_boundary(term: str) -> str:
    """A look-ahead: what follows `term` does not continue it."""
    klass = continuing(term[-1]) if term else None
    return f"(?!{klass})" if klass else ""


def alternation(words: Sequence[str]) -> str:
    """`(?:a|b|...)` of the escaped words, longest first; empty when there are none."""
    ordered = sorted(dict.fromkeys(word for word in words if word), key=lambda word: (-len(word), word))
    return "(?:" + "|".join(regex.escape(word) for word in ordered) + ")" if ordered else ""


def _word(word: str, affixes: Affixes) -> str:
    """One word of a term, with the attached endings its language allows."""
    suffixes = alternation(affixes.suffixes)
    suffixes = f"(?:\u200c?{suffixes})" if suffixes else ""
    if not suffixes or is_unspaced(word[-1]):
        return regex.escape(word)
    forms = [f"{regex.escape(word)}{suffixes}{{0,{_MAX_AFFIXES}}}"]
    stems = [
        word[: -len(drop)] for drop in affixes.stem_drop if word.endswith(drop) and len(word) - len(drop) >= 3
    ]
    forms += [f"{regex.escape(stem)}{suffixes}{{1,{_MAX_AFFIXES}}}" for stem in stems]
    return "(?:" + "|".join(forms) + ")"


def _first_word(word: str, affixes: Affixes) -> str:
    """The first word of a term, with the attached prefixes its language allows."""
    body = _word(word, affixes)
    prefixes = alternation(affixes.prefixes)
    if not prefixes or is_unspaced(word[0]):
        return body
    forms = [f"{prefixes}{{0,2}}{body}"]
    for drop in affixes.initial_drop:
        if word.startswith(drop) and len(word) - len(drop) >= 2:
            forms.append(f"{prefixes}{{1,2}}{_word(word[len(drop) :], affixes)}")
    return "(?:" + "|".join(forms) + ")"


def term_source(term: str, affixes: Affixes) -> str:
    """The pattern (as text) of a normalized term, attached affixes and word boundaries included."""
    words = term.split(" ")
    pattern = _first_word(words[0], affixes)
    for previous, word in itertools.pairwise(words):
        spacer = r"\s?" if is_unspaced(previous[-1]) and is_unspaced(word[0]) else r"\s+"
        pattern += spacer + _word(word, affixes)
    return before_boundary(term) + pattern + after_boundary(term)


def may_occur(term: str, affixes: Affixes, text: str) -> bool:
    """False when `term_pattern` cannot match `text`: every form it matches holds, for each word, the
    word less its longest droppable initial and ending, so a text without those cores is skipped
    without compiling the pattern (compiling is most of the cost of reading an answer)."""
    for word in term.split(" "):
        start = max((len(drop) for drop in affixes.initial_drop if word.startswith(drop)), default=0)
        end = max((len(drop) for drop in affixes.stem_drop if word.endswith(drop)), default=0)
        core = word[start : len(word) - end]
        if core and core not in text:
            return False
    return True


@lru_cache(maxsize=8192)
def term_pattern(term: str, affixes: Affixes) -> regex.Pattern[str]:
    """The compiled pattern of a normalized term (see term_source)."""
    return regex.compile(term_source(term, affixes))


def joins(char: str, neighbour: str) -> bool:
    """Whether `neighbour` continues a word that `char` starts or ends."""
    klass = continuing(char)
    return klass is not None and bool(regex.match(klass, neighbour))


@lru_cache(maxsize=256)
def _literals(words: tuple[str, ...]) -> regex.Pattern[str] | None:
    source = alternation(words)
    return regex.compile(source) if source else None


def _after_suffixes(text: str, end: int, suffixes: tuple[str, ...]) -> int:
    for _ in range(_MAX_AFFIXES):
        suffix = next((suffix for suffix in suffixes if text.startswith(suffix, end)), None)
        if suffix is None:
            break
        end += len(suffix)
    return end


def find_words(text: str, words: tuple[str, ...], suffixes: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Spans of the words in the text as whole words, each with the attached suffixes it carries.

    Marker words of every language are looked up at once, so this matches literals and checks
    word boundaries afterwards instead of compiling one large pattern with look-arounds.
    """
    pattern = _literals(words)
    spans = []
    for match in pattern.finditer(text, overlapped=True) if pattern else ():
        start, word = match.start(), match.group()
        if start > 0 and joins(word[0], text[start - 1]):
            continue
        end = _after_suffixes(text, match.end(), suffixes)
        if end < len(text) and joins(text[end - 1], text[end]):
            continue
        spans.append((start, end))
    return spans
