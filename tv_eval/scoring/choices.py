"""Multiple-choice and true/false answers: parsing option lists and finding the model's choice.

Shared by every benchmark with closed answers. Models answer in free text, in any script, with
full-width punctuation, quotes, an answer marker in any language ("Final Answer:", "答案是",
"الإجابة هي"), an option label ("B", "option 2", "گزینه ۲", "2번"), particles and prefixes
attached to the option ("김치입니다", "בחיפה") or a rejected option ("not X", "לא X"). The
robust extractor reads the choice from all of these and returns None (never a guess) when the
prediction names no option, several, or only rejected ones. The words it knows per language
are data: tv_eval/data/choice_markers.toml.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tv_eval.scoring.answer_markers import answer_candidates
from tv_eval.scoring.choice_markers import markers_for
from tv_eval.scoring.normalization import normalize_answer
from tv_eval.scoring.option_labels import marked_labels, whole_label
from tv_eval.scoring.option_mentions import chosen_options, option_mentions
from tv_eval.scoring.truth import TruthWords, extract_truth, truth_words

__all__ = [
    "OPTION_LETTERS",
    "ParsedOptions",
    "TruthWords",
    "answer_index",
    "extract_choice",
    "extract_truth",
    "lettered_options",
    "normalize_answer",
    "parse_answer_with_options",
    "truth_words",
]

# `answer (Options: a, b, c)`: the word "Options" is written in the item's language, CJK items
# use full-width brackets and colons (ALM-Bench; see tasks/alm_bench/README.md).
_OPTIONS_SUFFIX = re.compile(
    r"^(?P<answer>.*?)\s*[(（](?P<label>[^:：()（）]{1,40}?)\s*[:：]\s*(?P<options>.+?)\s*[)）]\s*[.。]?\s*$",
    re.DOTALL,
)
_OPTION_SEPARATOR = re.compile(r"\s*[,，、،;；]\s*")
_LETTER_OR_NUMBER = re.compile(r"^(?:option|choice)?\s*[(\[]?([a-z]|\d{1,2})[)\].:]?$")


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


def extract_choice(prediction: str, options: Sequence[str], *, language: str | None = None) -> int | None:
    """Index of the option the prediction picks, or None when it picks none or several.

    `language` (BCP-47, the sample's) adds that language's negation words, attached clitics and
    option letters; without it they come from the non-Latin scripts the prediction is written in.
    """
    normalized_options = [normalize_answer(option) for option in options]
    options_are_labels = all(_LETTER_OR_NUMBER.match(option) for option in normalized_options)
    markers = markers_for(language, normalize_answer(prediction))
    for candidate in answer_candidates(prediction, markers):
        if candidate in normalized_options:
            return normalized_options.index(candidate)
        picks: set[int] = set()
        if not options_are_labels:
            label = whole_label(candidate, markers, len(options))
            if label is not None:
                return label
            picks |= marked_labels(candidate, markers, len(options))
        picks |= chosen_options(option_mentions(candidate, normalized_options, markers))
        if len(picks) == 1:
            return picks.pop()
    return None


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
