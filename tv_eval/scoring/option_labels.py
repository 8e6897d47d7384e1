"""Option labels: "B", "(c)", "option 2", "گزینه ۲", "选项B", "第二个", "2번", "ב".

A label is read where a label is expected: as the whole answer, after an option word or
before an option suffix (`2번`), or as a leading "A)". The language's own letters (Cyrillic а,
Hebrew א, Arabic أ...) and Han numerals count only there, never inside running text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

from tv_eval.scoring.choice_markers import Markers
from tv_eval.scoring.option_mentions import is_negated
from tv_eval.scoring.term_patterns import alternation, find_words


def _han_numerals() -> dict[str, int]:
    """Han characters whose numeric value is 1 to 10 (一, 二, ..., 十; 壹, 貳, ...)."""
    numerals = {}
    for code in range(0x4E00, 0xA000):
        value = unicodedata.numeric(chr(code), 0)
        if value == int(value) and 1 <= value <= 10:
            numerals[chr(code)] = int(value)
    return numerals


_HAN_NUMERALS = _han_numerals()
_LEADING_LETTER = regex.compile(r"^[(\[]?([a-z])[)\].:]\s+\S")
_OPENING = r"[(\[（#№]?\s*"
_CLOSING = r"\s*[)\]）]?"
_SPACE = regex.compile(r"\s+")


def _label_source(letters: tuple[tuple[str, int], ...], numeral_context: str | None = "") -> str:
    """A pattern with one `label` group: a Latin letter a-j, a number, a native letter, or a Han
    numeral followed by `numeral_context` (none where None: "一个" is "a", not "option 1")."""
    forms = [r"[a-j](?![\p{Latin}0-9'’])", r"[0-9]{1,2}(?![0-9])"]
    native = alternation([letter for letter, _ in letters])
    if native:
        forms.append(native + r"(?![\w\p{M}])")
    if numeral_context is not None:
        numerals = "".join(_HAN_NUMERALS)
        forms.append(f"[{numerals}](?![{numerals}百千]){numeral_context}")
    return "(?P<label>" + "|".join(forms) + ")"


def label_index(label: str, markers: Markers) -> int | None:
    """The 0-based option a label stands for."""
    if label.isdigit():
        return int(label) - 1 if int(label) >= 1 else None
    if label in _HAN_NUMERALS:
        return _HAN_NUMERALS[label] - 1
    native = dict(markers.letters)
    if label in native:
        return native[label]
    return ord(label) - ord("a") if len(label) == 1 and "a" <= label <= "z" else None


@lru_cache(maxsize=256)
def _whole_label(
    letters: tuple[tuple[str, int], ...], after: tuple[str, ...], suffixes: tuple[str, ...]
) -> regex.Pattern[str]:
    after_words = alternation(after)
    closing_words = f"(?:{after_words})?" if after_words else ""
    attached = alternation(suffixes)
    tail = f"{attached}{{0,3}}" if attached else ""
    return regex.compile(f"{_OPENING}{_label_source(letters)}{_CLOSING}[.:]?\\s*{closing_words}{tail}$")


@lru_cache(maxsize=256)
def _label_after(letters: tuple[tuple[str, int], ...], after: tuple[str, ...]) -> regex.Pattern[str]:
    """A label after an option word; a Han numeral there ends the phrase ("第二个", not "第一次")."""
    after_words = alternation(after)
    context = f"(?=$|[^\\w\\p{{M}}]{'|' + after_words if after_words else ''})"
    return regex.compile(f"\\s*{_OPENING}{_label_source(letters, context)}")


@lru_cache(maxsize=256)
def _label_before(letters: tuple[tuple[str, int], ...]) -> regex.Pattern[str]:
    return regex.compile(f"(?<![\\w\\p{{M}}]){_label_source(letters, None)}\\s*$")


def _in_range(index: int | None, count: int) -> int | None:
    return index if index is not None and 0 <= index < count else None


@lru_cache(maxsize=256)
def _whole_label_limit(
    letters: tuple[tuple[str, int], ...], after: tuple[str, ...], suffixes: tuple[str, ...]
) -> int:
    """The most characters other than white space that `_whole_label` can match: an opening and a
    closing bracket, the longest label, a full stop, the longest closing word and three suffixes."""
    label = max((2, *(len(letter) for letter, _ in letters)))
    longest = max((0, *map(len, after))) + 3 * max((0, *map(len, suffixes)))
    return 3 + label + longest


def whole_label(text: str, markers: Markers, count: int) -> int | None:
    """The option when the whole text is a label ("B", "(c)", "Option 2", "2번입니다").

    A text longer than any label can be is refused before the pattern is compiled: compiling one
    for each mix of languages is most of the cost of reading a long answer."""
    starts = [end for start, end in find_words(text, markers.option, markers.suffixes) if start == 0]
    rest = (text[max(starts) :] if starts else text).lstrip()
    limit = _whole_label_limit(markers.letters, markers.option_after, markers.suffixes)
    if len(rest) > limit and len(_SPACE.sub("", rest)) > limit:
        return None
    match = _whole_label(markers.letters, markers.option_after, markers.suffixes).match(rest)
    return _in_range(label_index(match.group("label"), markers), count) if match else None


def _labels_by_option_words(text: str, markers: Markers) -> list[tuple[str, int, int]]:
    """(label, start, end) of "option 2", "گزینه ۲", "第二" and of "2번", "2番"."""
    found = []
    for start, end in find_words(text, markers.option, markers.suffixes):
        match = _label_after(markers.letters, markers.option_after).match(text, end)
        if match:
            found.append((match.group("label"), start, match.end()))
    for start, end in find_words(text, markers.option_after, markers.suffixes):
        match = _label_before(markers.letters).search(text[:start])
        if match:
            found.append((match.group("label"), match.start(), end))
    return found


def marked_labels(text: str, markers: Markers, count: int) -> set[int]:
    """Options named by a label next to an option word anywhere in the text, unless rejected,
    and the option of a leading "A) ..."."""
    picks: set[int] = set()
    for label, start, end in _labels_by_option_words(text, markers):
        index = _in_range(label_index(label, markers), count)
        if index is not None and not is_negated(text, start, end, markers):
            picks.add(index)
    leading = _LEADING_LETTER.match(text)
    if leading:
        index = _in_range(label_index(leading.group(1), markers), count)
        picks |= {index} if index is not None else set()
    return picks
