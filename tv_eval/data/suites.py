"""Suites: named sets of tasks, read from one data file (`tv_eval/data/suites.toml`).

`--tasks towervision` runs every member as it would run alone, with the member's scoring mode,
task options and languages where the suite gives them; the command line still wins. Suites are
checked against the task registry when first read, so a suite naming a task that is not installed,
or sharing its name with a task, is an error before anything runs rather than a surprise later.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tv_eval.core import registry
from tv_eval.data.languages import UnknownLanguageError, normalize_language

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

SUITES_FILE = "suites.toml"


class SuiteError(registry.RegistryError):
    """A suite file that is wrong, or a --tasks name that is neither a task nor a suite."""


class SuiteMember(BaseModel):
    """One task of a suite and how the suite runs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = Field(min_length=1)
    scoring: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    languages: tuple[str, ...] = ()


class Suite(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    source: str
    tasks: tuple[SuiteMember, ...] = Field(min_length=1)

    @property
    def task_names(self) -> list[str]:
        return [member.task for member in self.tasks]


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


def _checked_member(suite: str, member: SuiteMember, tasks: Collection[str], origin: str) -> SuiteMember:
    if member.task not in tasks:
        raise SuiteError(
            f"{origin}: suite {suite!r} names task {member.task!r}, which is not registered "
            f"(registered: {', '.join(sorted(tasks))})"
        )
    try:
        languages = tuple(normalize_language(code) for code in member.languages)
    except UnknownLanguageError as error:
        raise SuiteError(f"{origin}: suite {suite!r}, task {member.task!r}: {error}") from error
    return member.model_copy(update={"languages": languages})


def parse_suites(text: str, tasks: Collection[str], origin: str = SUITES_FILE) -> dict[str, Suite]:
    """The suites of a TOML text, checked against the registered task names `tasks`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{origin} is not valid TOML: {error}") from error
    suites: dict[str, Suite] = {}
    for name, body in data.items():
        if name in tasks:
            raise SuiteError(f"{origin}: {name!r} is both a task and a suite; rename the suite")
        try:
            suite = Suite.model_validate({"name": name, **(body if isinstance(body, dict) else {})})
        except ValidationError as error:
            raise SuiteError(f"{origin}: suite {name!r}: {_problem(error)}") from error
        members = [_checked_member(name, member, tasks, origin) for member in suite.tasks]
        repeated = sorted({task for task in suite.task_names if suite.task_names.count(task) > 1})
        if repeated:
            raise SuiteError(f"{origin}: suite {name!r} lists {', '.join(repeated)} more than once")
        suites[name] = suite.model_copy(update={"tasks": tuple(members)})
    return suites


@cache
def suites() -> dict[str, Suite]:
    """Every suite of the package's suites file, checked against the installed tasks."""
    text = resources.files("tv_eval.data").joinpath(SUITES_FILE).read_text(encoding="utf-8")
    return parse_suites(text, registry.task_names())


@dataclass(frozen=True)
class TaskSelection:
    """What `--tasks` names, expanded: the tasks in order, and for those a suite brought in, the
    suite and what it sets (scoring mode, task options, languages)."""

    tasks: tuple[str, ...]
    suite_of: dict[str, str] = field(default_factory=dict)
    scoring: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    languages: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _unknown_names(unknown: Sequence[str], tasks: Collection[str], known: Mapping[str, Suite]) -> SuiteError:
    close = [match for name in unknown for match in difflib.get_close_matches(name, [*tasks, *known], n=3)]
    hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
    return SuiteError(
        f"unknown task or suite {', '.join(repr(name) for name in unknown)}{hint}; "
        f"tasks: {', '.join(sorted(tasks))}; suites: {', '.join(sorted(known)) or 'none'}"
    )


def select_tasks(
    names: Sequence[str], known: Mapping[str, Suite] | None = None, tasks: Collection[str] | None = None
) -> TaskSelection:
    """Expand suite names among `names`. A task named twice (directly and through a suite, or by two
    suites) runs once, under the first suite that brings it in; two suites that would run it
    differently are an error, since one run cannot honour both."""
    known = suites() if known is None else known
    tasks = registry.task_names() if tasks is None else tasks
    unknown = [
        name
        for name in names
        if name not in known and name not in tasks and not registry.is_prefixed_task(name)
    ]
    if unknown:
        raise _unknown_names(unknown, tasks, known)
    members: dict[str, SuiteMember | None] = {}
    suite_of: dict[str, str] = {}
    for name in names:
        if name not in known:
            members.setdefault(name, None)
            continue
        for member in known[name].tasks:
            earlier = members.get(member.task)
            if earlier is not None and earlier != member:
                raise SuiteError(
                    f"suites {suite_of[member.task]} and {name} run {member.task} differently; "
                    "name one of them"
                )
            if earlier is None:
                members[member.task] = member
                suite_of[member.task] = name
    chosen = {task: member for task, member in members.items() if member is not None}
    return TaskSelection(
        tasks=tuple(members),
        suite_of=suite_of,
        scoring={task: member.scoring for task, member in chosen.items() if member.scoring},
        options={task: dict(member.options) for task, member in chosen.items() if member.options},
        languages={task: member.languages for task, member in chosen.items() if member.languages},
    )
