"""M3Exam's reading of replies and answers, as the TowerVision fork scores the benchmark.

Behaviour follows deep-spin/lmms-eval (branch multiling_multimodal_tasks_add)
`lmms_eval/tasks/m3exam/utils.py`: `parse_multi_choice_response` and `standardize_answer`; written
anew here and checked against vectors recorded from those functions (tests/data/m3exam_vectors.json).
As for MMMU, the fork's last resort (a random letter) is drawn here from a generator seeded by the
caller, or refused.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

_LETTERED = re.compile(r"\(?([A-D])[).:\s]", re.IGNORECASE)
_ANY_LETTER = re.compile(r"[ABCD]", re.IGNORECASE)
_OPTION_LABEL = re.compile(r"^[A-D]\.\s*")
_NUMBER_AT_START = re.compile(r"\(?(\d)\)?")
_SIMILAR_ENOUGH = 0.7
LETTERS = ("A", "B", "C", "D")


def reply_letter(reply: str, options: Sequence[str], guess_seed: str | None) -> str | None:
    """The fork's reading: a letter A-D followed by `)`, `.`, `:` or a space (optionally after `(`), else
    the first a-d anywhere (either case), else the option whose text is more than 0.7 similar to the
    reply (difflib ratio; the best, the first of equals); else a guess (seeded) or None."""
    text = reply.strip()
    for pattern in (_LETTERED, _ANY_LETTER):
        match = pattern.search(text)
        if match:
            return match.group(match.lastindex or 0).upper()
    best, best_ratio = None, 0.0
    for index, option in enumerate(options):
        ratio = SequenceMatcher(None, text, _OPTION_LABEL.sub("", option).strip()).ratio()
        if ratio > best_ratio:
            best, best_ratio = chr(ord("A") + index), ratio
    if best is not None and best_ratio > _SIMILAR_ENOUGH:
        return best
    return random.Random(guess_seed).choice(LETTERS) if guess_seed is not None else None


def answer_letter(answer: str) -> str:
    """The answer as the fork compares it: a letter kept, `1`..`8` (or `(3)`) made `A`..`H`, anything
    else unchanged. Kept to the letter of the fork's substring tests: "" counts as a letter."""
    if answer in "ABCDEFGH":
        return answer
    if answer in "12345678":
        return chr(64 + int(answer))
    match = _NUMBER_AT_START.match(answer)
    return chr(64 + int(match.group(1))) if match else answer


_OPTION_IDENTIFIER = re.compile(r"^[\(（]?[A-Da-d\d][\)）\.\s]+\s*")


def standardized_options(options: Sequence[str]) -> list[str]:
    """The options as the fork shows them: any leading identifier (`(1)`, `B.`, `（3）`, `c)`) replaced
    by `(A)`, `(B)`, ... in order."""
    return [
        f"({chr(ord('A') + index)}) {_OPTION_IDENTIFIER.sub('', option).strip()}"
        for index, option in enumerate(options)
    ]
