"""MMMU's answer parsing and matching, as the MMMU authors' evaluation defines them.

Behaviour follows MMMU-Benchmark/MMMU `eval/eval_utils.py` (commit 51ce7f3) as the TowerVision fork
runs it (deep-spin/lmms-eval, branch multiling_multimodal_tasks_add, `lmms_eval/tasks/xmmmu/utils.py`);
written anew here and checked against vectors recorded from the fork's functions
(tests/data/mmmu_vectors.json). One deliberate difference: where no option can be read from a reply,
MMMU guesses one with the process-wide `random`; here the guess is drawn from a generator seeded by the
caller (the sample id), so a run is reproducible, and the caller can refuse to guess at all.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

_EDGE_PUNCTUATION = (",", ".", "!", "?", ";", ":", "'")
_KEY_INDICATORS = ("could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ")
_TRIVIAL = {":", ",", ".", "!", "?", ";", "'"}
_NUMBER_PATTERNS = (
    re.compile(r"-?\b\d{1,3}(?:,\d{3})+\b"),  # with thousands separators
    re.compile(r"-?\d+(?:\.\d+)?[eE][+-]?\d+"),  # scientific notation
    re.compile(r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])"),  # plain
)
_SENTENCE_BREAK = re.compile(r"\.\s(?=[A-Z])|\n")

Normalized = str | float


def multiple_choice_letter(reply: str, options: Mapping[str, str], guess_seed: str | None) -> str | None:
    """The option letter MMMU reads from a reply: `(B)`, then `B `, then `B.`, then (replies of more
    than five words) an option's text; of several, the one written last. None where nothing is found
    and `guess_seed` is None; else a letter drawn by a generator seeded with it (MMMU guesses)."""
    text = reply
    for character in _EDGE_PUNCTUATION:
        text = text.strip(character)
    text = f" {text} "
    letters = list(options)
    found = [letter for letter in letters if f"({letter})" in text]
    bracketed, by_letter = bool(found), True
    if not found:
        found = [letter for letter in letters if f"{letter} " in text]
    if not found:
        found = [letter for letter in letters if f"{letter}." in text]
    if not found and len(text.split()) > 5:
        found = [letter for letter, option in options.items() if option.lower() in text.lower()]
        by_letter = False
    if not found:
        return random.Random(guess_seed).choice(letters) if guess_seed is not None and letters else None
    if len(found) == 1:
        return found[0]
    if not by_letter:
        positions = [text.lower().rfind(options[letter].lower()) for letter in found]
    elif bracketed:
        positions = [text.rfind(f"({letter})") for letter in found]
    else:
        positions = [text.rfind(f" {letter} ") for letter in found]
    return found[positions.index(max(positions))]


def normalized(value: str) -> list[Normalized]:
    """A number (commas dropped, rounded to 2 places), else lower-cased text; one character is padded
    with a space on either side, so it only matches as a word."""
    value = value.strip()
    try:
        return [round(float(value.replace(",", "")), 2)]
    except ValueError:
        pass
    value = value.lower()
    return [f" {value}", f"{value} "] if len(value) == 1 else [value]


def _key_parts(reply: str) -> list[str]:
    """The tail of each line after its answer indicator ("is ", "so ", ..., and "=" on the last line),
    the shortest where several apply; the whole reply where no line has one."""
    text = reply.strip().strip(".").lower()
    lines = _SENTENCE_BREAK.split(text)
    parts = []
    for index, line in enumerate(lines):
        indicators = _KEY_INDICATORS + (("=",) if index == len(lines) - 1 else ())
        shortest: str | None = None
        for indicator in indicators:
            if indicator in line:
                tail = line.split(indicator)[-1].strip()
                if not shortest or len(tail) < len(shortest):
                    shortest = tail
        if shortest and shortest.strip() not in _TRIVIAL:
            parts.append(shortest)
    return parts or [text]


def open_answer_candidates(reply: str) -> list[Normalized]:
    """What MMMU compares with an open question's answer: the key parts of the reply and every number
    in them, normalized, without repeats (MMMU's order is a set's; matching does not depend on it)."""
    parts = _key_parts(reply)
    pieces = parts + [number for part in parts for number in _numbers(part)]
    candidates: list[Normalized] = []
    for piece in pieces:
        for value in normalized(piece):
            if value not in candidates:
                candidates.append(value)
    return candidates


def _numbers(text: str) -> list[str]:
    return [number for pattern in _NUMBER_PATTERNS for number in pattern.findall(text)]


def open_answer_correct(answer: str | Sequence[str], candidates: Sequence[Normalized]) -> bool:
    """Right when a text candidate contains a normalized answer, or a number candidate equals one."""
    answers = [answer] if isinstance(answer, str) else list(answer)
    references = [value for item in answers for value in normalized(item)]
    for candidate in candidates:
        if isinstance(candidate, str):
            if any(isinstance(ref, str) and ref in candidate for ref in references):
                return True
        elif candidate in references:
            return True
    return False
