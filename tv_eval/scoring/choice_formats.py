"""Answers in a requested format: a `{"choice": "B"}` JSON object, or an `<ANSWER> B </ANSWER>` tag
(the chain-of-thought form), as benchmarks that ask for one read them.

`strict_choice` reads only those forms and a lone letter or digit, anything else being a format error;
it follows upstream lmms-eval's Kaleidoscope reading (lmms_eval/tasks/kaleidoscope/utils.py,
`extract_choice` with prompt_type "direct", itself mirroring the Kaleidoscope authors'
format_answer.py). `answer_payload` only unwraps those forms, for the robust extractor in choices.py.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping

_ANSWER_TAG = re.compile(r"<ANSWER>\s*([^\s<>]+)\s*</ANSWER>", re.IGNORECASE)
_CHOICE_OBJECT = re.compile(r"\{\s*\"choice\"\s*:\s*.*?\s*\}", re.DOTALL)


def json_choice(reply: str) -> str | None:
    """The `choice` string of a JSON object (a ```json fence allowed), else of the first
    `{"choice": ...}` inside the reply read as a Python literal; None where there is none."""
    payload = reply.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = None
    if not (isinstance(parsed, dict) and isinstance(parsed.get("choice"), str)):
        found = _CHOICE_OBJECT.search(payload)
        try:
            parsed = ast.literal_eval(found.group()) if found else None
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
    return parsed["choice"] if isinstance(parsed, dict) and isinstance(parsed.get("choice"), str) else None


def answer_payload(reply: str) -> str:
    """What the answer names: its JSON choice, else its last answer tag, else the reply itself."""
    choice = json_choice(reply)
    if choice is not None:
        return choice
    tags = _ANSWER_TAG.findall(reply)
    return tags[-1] if tags else reply


def letter_index(letter: str, count: int, non_latin: Mapping[str, str]) -> int | None:
    """A single letter A-Z (or a mapped non-Latin one) as an option index below `count`."""
    letter = non_latin.get(letter, letter).strip().upper()
    if len(letter) != 1 or not "A" <= letter <= "Z":
        return None
    index = ord(letter) - ord("A")
    return index if index < count else None


def strict_choice(reply: str, count: int, non_latin: Mapping[str, str]) -> int | None:
    """The option index `reply` names in one of the forms above, or None (a format error). `non_latin`
    maps letters of other scripts a model may answer with (Cyrillic Б) to A-Z."""
    if not reply.strip():
        return None
    choice = json_choice(reply)
    if choice is not None:
        choice = choice.strip().upper()
        index = letter_index(choice, count, non_latin)
        if index is not None:
            return index
        # "B. Ribosome": the one dot-separated piece that is a letter.
        pieces = [letter_index(piece.strip(), count, non_latin) for piece in choice.split(".")]
        letters = [piece for piece in pieces if piece is not None]
        if len(letters) == 1:
            return letters[0]
    for tag in reversed(_ANSWER_TAG.findall(reply)):
        index = _letter_or_number(tag.strip().strip(".)(").upper(), count, non_latin)
        if index is not None:
            return index
    return _letter_or_number(reply.strip(), count, non_latin) if len(reply.strip()) == 1 else None


def _letter_or_number(token: str, count: int, non_latin: Mapping[str, str]) -> int | None:
    index = letter_index(token, count, non_latin)
    if index is None and token.isdigit() and 1 <= int(token) <= count:
        return int(token) - 1
    return index
