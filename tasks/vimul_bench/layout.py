"""ViMUL-Bench's columns read tolerantly: its card, file layout and column names are UNVERIFIED.

Each role (`id`, `video`, ...) accepts the column names plausible for an MBZUAI video-QA release
(`column_aliases` in config.yaml, the canonical name first). Options may come as a list, as a string
holding a list or one option a line, or as one column per letter; an answer may be the option's
text, its letter, or both (`B. red`); a video cell may be a file name, a path under the videos folder
or a `{"path": ...}` mapping. A role that no column fills fails the load with one line naming the
names tried and listing the columns the data has.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tv_eval.api import TaskConfigError

OPTION_LETTERS = "ABCDEFGH"
_LETTER_LABEL = re.compile(r"^\s*[(\[]?([A-H])[)\].:：]\s*(.+)$", re.DOTALL)


def resolve_columns(
    found: Sequence[str], aliases: Mapping[str, Sequence[str]], required: Sequence[str], where: str
) -> dict[str, str]:
    """Role -> the data's column for it (the first alias present, case-insensitively); a required
    role none of whose names is present is a configuration error that lists what the data has."""
    by_folded = {column.casefold(): column for column in found}
    resolved: dict[str, str] = {}
    for role, names in aliases.items():
        column = next((by_folded[name.casefold()] for name in names if name.casefold() in by_folded), None)
        if column is not None:
            resolved[role] = column
        elif role in required:
            raise TaskConfigError(
                f"{where} has no column for {role!r} (tried {', '.join(names)}); "
                f"columns found: {', '.join(found) or 'none'}"
            )
    return resolved


def letter_columns(found: Sequence[str]) -> list[str]:
    """Per-letter option columns (`A`..`H`, or `option_a`..), in letter order, when the data has them."""
    by_folded = {column.casefold(): column for column in found}
    for pattern in ("{letter}", "option_{letter}", "option{letter}"):
        columns = [by_folded.get(pattern.format(letter=letter).casefold()) for letter in OPTION_LETTERS]
        present = [column for column in columns if column is not None]
        if len(present) >= 2:
            return present
    return []


def options_from_cell(cell: Any) -> tuple[str, ...]:
    """A list cell as it is; a string holding a JSON or Python list parsed; any other string one
    option a line. Leading letter labels (`A. `, `(B)`) are dropped when every option has its own."""
    if isinstance(cell, str):
        cell = _parsed_list(cell)
    options = tuple(str(option).strip() for option in (cell or ()) if str(option).strip())
    labels = [_LETTER_LABEL.match(option) for option in options]
    if options and all(labels) and [m.group(1) for m in labels if m] == list(OPTION_LETTERS[: len(options)]):
        return tuple(m.group(2).strip() for m in labels if m)
    return options


def _parsed_list(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("["):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(stripped)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, list):
                return value
    return stripped.splitlines()


def answer_candidates(answer: str) -> list[str]:
    """The answer as given, then (for `B. red`) its letter and its text."""
    labelled = _LETTER_LABEL.match(answer)
    return [answer, labelled.group(1), labelled.group(2).strip()] if labelled else [answer]


def video_name(cell: Any) -> str:
    """The clip a video cell names: the string, or a `{"path": ...}` mapping's path."""
    name = cell.get("path") if isinstance(cell, Mapping) else cell
    return str(name or "").strip().removeprefix("./")


def video_path(name: str, video_dir: str) -> str:
    """The clip's path inside the dataset: a bare name goes under `video_dir`, a path that already
    starts with it is kept."""
    return name if name.startswith(f"{video_dir}/") else f"{video_dir}/{name}"
