"""What `tv-eval list tasks` prints, kept so that listing imports no task module.

Importing the built-in tasks, and the scorers and language tables their modules import, was most of
`list tasks` (0.2 of 0.5 s), and checking the suites' languages loaded langcodes. The printed lines are
kept in the cache folder under a key that changes whenever they could: the task entry points with the
versions of the packages that declare them, the Python version, and the size and modification time of
every source file (.py, .yaml, .toml, .json) in tv_eval, whose data folder holds the suites, and in
each task's top-level package. Where the cache cannot be read or written, the tasks are imported and
listed as before; nothing but this listing ever comes from it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tv_eval.core import registry
from tv_eval.core.cache_root import cache_root
from tv_eval.core.io import atomic_write_json, read_json

LISTING_FOLDER = "listings"
SOURCE_SUFFIXES = (".py", ".yaml", ".toml", ".json")


def task_listing() -> list[str]:
    """The listing's lines from the cache when its key still matches, else from the tasks themselves
    (a suites file that does not check raises SuiteError, and nothing is kept)."""
    path = cache_root() / LISTING_FOLDER / f"tasks-{_listing_key()}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # none kept yet, or damaged
        lines = read_json(path)["lines"]
        if isinstance(lines, list) and all(isinstance(line, str) for line in lines):
            return lines
    lines = [*_task_lines(), *_suite_lines(), *_prefix_lines()]
    with contextlib.suppress(OSError):  # a read-only cache: the next listing imports the tasks again
        for stale in path.parent.glob("tasks-*.json"):
            stale.unlink()
        atomic_write_json(path, {"lines": lines})
    return lines


def _task_lines() -> Iterator[str]:
    for name in registry.task_names():
        task = registry.load_task(name)
        modes = ", ".join(task.scoring_modes)
        yield f"{name}\t{task.description} (scoring: {modes}; default {task.default_scoring})"
        for option, meaning in task.option_help.items():
            yield f"\t--task-option {name}.{option}=...\t{meaning}"


def _suite_lines() -> Iterator[str]:
    """Each suite with its member tasks, and what the suite sets for a member (`--tasks SUITE`)."""
    from tv_eval.data.suites import suites

    for name, suite in suites().items():
        yield f"{name}\tsuite: {suite.description}"
        for member in suite.tasks:
            settings = [f"scoring {member.scoring}"] if member.scoring else []
            settings += [f"{key}={value}" for key, value in member.options.items()]
            settings += [f"languages {','.join(member.languages)}"] if member.languages else []
            detail = f" ({'; '.join(settings)})" if settings else ""
            yield f"\t{member.task}{detail}"


def _prefix_lines() -> Iterator[str]:
    for prefix, description in registry.task_prefixes().items():
        yield f"{prefix}:<name>\t{description}"


def _listing_key() -> str:
    digest = hashlib.sha256(sys.version.encode())
    folders = {Path(__file__).resolve().parent.parent}
    for group in (registry.TASK_GROUP, registry.TASK_PREFIX_GROUP):
        for name, point in sorted(registry.entry_points_of(group).items()):
            distribution = getattr(point, "dist", None)
            release = _release(distribution) if distribution is not None else ""
            digest.update(f"{group}\0{name}\0{point.value}\0{release}\n".encode())
            folders.update(_package_folders(point.module.split(".")[0]))
    for folder in sorted(folders):
        for path in _source_files(folder):
            status = path.stat()
            digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


@functools.cache
def _release(distribution: importlib.metadata.Distribution) -> str:
    """A distribution's name and version, its metadata read once: every `name` or `version` parses the
    whole METADATA file again, tv-eval's README included (0.002 s each, twice per task entry point)."""
    metadata = distribution.metadata
    return f"{metadata['Name']} {metadata['Version']}"


def _package_folders(top_level: str) -> list[Path]:
    """Where a top-level module's source lies, found without importing it."""
    spec = importlib.util.find_spec(top_level)
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [Path(location).resolve() for location in spec.submodule_search_locations]
    return [Path(spec.origin).resolve().parent] if spec.origin else []


def _source_files(folder: Path) -> Iterator[Path]:
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                yield Path(directory, name)
