"""Which language an lmms-eval document is in: lmms-eval tasks have no language field of their own.

In order: a doc field named by the `language_field` option (a code such as `sw` or a name such as
`Swahili`); the `languages` option, a mapping from lmms-eval task name to language; the `language`
option for every doc; the task's name, whose last `-` or `_` part is a two-letter code (`multi30k-fr`,
`alm-bench-de`) or a language name (`alm_bench_swahili`); else `und`, never a guess. A field
that is empty or holds no known language gives `und` too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tv_eval.api import (
    UNKNOWN_LANGUAGE,
    TaskConfigError,
    UnknownLanguageError,
    language_from_name,
    normalize_language,
)


def parse_language_map(text: str) -> dict[str, str]:
    """`task-a:de,task-b:fr` as {task: language}; a malformed pair is a configuration error."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (piece.strip() for piece in text.split(","))):
        task, separator, language = pair.rpartition(":")
        if not separator or not task or not language:
            raise TaskConfigError(f"languages: {pair!r} is not TASK:LANGUAGE")
        mapping[task.strip()] = _code(language.strip(), f"languages entry {pair!r}")
    return mapping


def _code(value: str, where: str) -> str:
    try:
        return normalize_language(value)
    except UnknownLanguageError:
        try:
            return language_from_name(value)
        except UnknownLanguageError as error:
            raise TaskConfigError(f"{where}: {value!r} is neither a language code nor a name") from error


def language_of_task_name(name: str) -> str | None:
    """The language a task name ends with, or None where it ends with none."""
    last = re.split(r"[-_]", name)[-1]
    if len(last) == 2 and last.isalpha():
        try:
            return normalize_language(last)
        except UnknownLanguageError:
            return None
    try:
        return language_from_name(last)
    except UnknownLanguageError:
        return None


@dataclass(frozen=True)
class LanguageRule:
    field_name: str | None = None
    by_task: Mapping[str, str] = field(default_factory=dict)
    fixed: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> LanguageRule:
        fixed = options.get("language")
        return cls(
            field_name=options.get("language_field") or None,
            by_task=parse_language_map(str(options.get("languages") or "")),
            fixed=_code(str(fixed), "language") if fixed else None,
        )

    def language(self, task: str, fields: Mapping[str, Any]) -> str:
        """The doc's language; `und` where its field is empty or holds no known language."""
        if self.field_name is not None:
            value = str(fields.get(self.field_name) or "").strip()
            try:
                return _code(value, f"field {self.field_name}") if value else UNKNOWN_LANGUAGE
            except TaskConfigError:
                return UNKNOWN_LANGUAGE
        if task in self.by_task:
            return self.by_task[task]
        if self.fixed is not None:
            return self.fixed
        return language_of_task_name(task) or UNKNOWN_LANGUAGE
