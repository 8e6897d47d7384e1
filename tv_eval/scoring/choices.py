"""Multiple-choice and true/false answers: parsing option lists and finding the model's choice.

Shared by every benchmark with closed answers. Models answer in free text, in any script, with
full-width punctuation, quotes, "Final Answer:" prefixes or an option letter; the robust
extractor recovers the choice from all of these, and returns None (never a guess) otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

# `answer (Options: a, b, c)`: the word "Options" is written in the item's language, CJK items
# use full-width brackets and colons (ALM-Bench; see tasks/alm_bench/README.md).
_OPTIONS_SUFFIX = re.compile(
    r"^(?P<answer>.*?)\s*[(（](?P<label>[^:：()（）]{1,40}?)\s*[:：]\s*(?P<options>.+?)\s*[)）]\s*[.。]?\s*$",
    re.DOTALL,
)
_OPTION_SEPARATOR = re.compile(r"\s*[,，、،;；]\s*")
_WRAPPERS = "\"'`«»“”‘’„‚‹›「」『』【】*_ \t\n"
_TRAILING_PUNCTUATION = ".。．!！?？:：;；,，、।॥۔"
_LETTER_OR_NUMBER = re.compile(r"^(?:option|choice)?\s*[(\[]?([a-z]|\d{1,2})[)\].:]?$")
_LEADING_LETTER = re.compile(r"^[(\[]?([a-z])[)\].:]\s+\S")
_FINAL_ANSWER = re.compile(r"(?:final answer|answer)\s*[:：]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@dataclass(frozen=True)
class ParsedOptions:
    answer: str
    options: tuple[str, ...]
    label: str


def parse_answer_with_options(text: str) -> ParsedOptions | None:
    """Split `answer (Options: a, b, c)` into the answer and its options; None if not that form.

    Option texts may themselves contain commas, so when the answer is not among the split
    pieces, adjacent pieces are re-joined until it is.
    """
    match = _OPTIONS_SUFFIX.match(text.strip())
    if not match:
        return None
    answer = match.group("answer").strip().rstrip(".。").strip()
    pieces = [piece for piece in _OPTION_SEPARATOR.split(match.group("options")) if piece]
    if not answer or len(pieces) < 2:
        return None
    options = _rejoin_to_contain(pieces, answer, match.group("options"))
    return ParsedOptions(answer=answer, options=tuple(options), label=match.group("label").strip())


def _rejoin_to_contain(pieces: list[str], answer: str, raw: str) -> list[str]:
    target = normalize_answer(answer)
    if any(normalize_answer(piece) == target for piece in pieces):
        return pieces
    for start in range(len(pieces)):
        for end in range(start + 2, len(pieces) + 1):
            joined = _joined_as_in(raw, pieces[start:end])
            if normalize_answer(joined) == target:
                return [*pieces[:start], joined, *pieces[end:]]
    return pieces


def _joined_as_in(raw: str, parts: list[str]) -> str:
    """Re-join split pieces with the separators they had in the raw option list."""
    pattern = r"\s*[,，、،;；]\s*".join(re.escape(part) for part in parts)
    found = re.search(pattern, raw)
    return found.group(0) if found else ", ".join(parts)


def _to_ascii_digits(text: str) -> str:
    return "".join(
        str(unicodedata.digit(char)) if char.isdigit() and not char.isascii() else char for char in text
    )


def normalize_answer(text: str) -> str:
    """Compatibility-folded, case-folded, with wrapping quotes and final punctuation removed."""
    folded = _to_ascii_digits(unicodedata.normalize("NFKC", text))
    folded = re.sub(r"\s+", " ", folded)
    previous = None
    while previous != folded:
        previous = folded
        folded = folded.strip(_WRAPPERS).rstrip(_TRAILING_PUNCTUATION).strip(_WRAPPERS)
    return folded.casefold()


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


def extract_choice(prediction: str, options: Sequence[str]) -> int | None:
    """Index of the option the prediction picks, or None when it picks none or several."""
    normalized_options = [normalize_answer(option) for option in options]
    options_are_labels = all(_LETTER_OR_NUMBER.match(option) for option in normalized_options)
    for candidate in _candidate_texts(prediction):
        if candidate in normalized_options:
            return normalized_options.index(candidate)
        if not options_are_labels:
            label = _LETTER_OR_NUMBER.match(candidate) or _LEADING_LETTER.match(candidate)
            if label:
                index = _label_index(label.group(1))
                if index is not None and index < len(options):
                    return index
        found = _options_mentioned(candidate, normalized_options)
        if len(found) == 1:
            return found[0]
    return None


def _label_index(label: str) -> int | None:
    if label.isdigit():
        return int(label) - 1 if int(label) >= 1 else None
    return ord(label) - ord("a")


def _options_mentioned(candidate: str, normalized_options: list[str]) -> list[int]:
    """Options whose text appears in the candidate, dropping ones contained in a longer match."""
    hits = [
        index
        for index, option in enumerate(normalized_options)
        if option and _find_word(candidate, option) >= 0
    ]
    return [
        index
        for index in hits
        if not any(
            other != index and normalized_options[index] in normalized_options[other] for other in hits
        )
    ]


OPTION_LETTERS = "ABCDEFGHIJ"


def lettered_options(choices: Sequence[str]) -> str:
    """The options one a line as `A. text`, the form most multiple-choice prompts show them in."""
    return "\n".join(f"{OPTION_LETTERS[index]}. {choice}" for index, choice in enumerate(choices))


def answer_index(answer: str, choices: Sequence[str]) -> int | None:
    """The correct option: the answer's text among the options, else an option letter (A, B, ...)."""
    normalized = [normalize_answer(choice) for choice in choices]
    target = normalize_answer(answer)
    if target in normalized:
        return normalized.index(target)
    letter = answer.strip().rstrip(".)").lstrip("(").upper()
    if len(letter) == 1 and letter in OPTION_LETTERS[: len(choices)]:
        return OPTION_LETTERS.index(letter)
    return None


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
