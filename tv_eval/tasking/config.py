"""A task's YAML configuration, read once, whose missing entries are one-line configuration errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tv_eval.core.task import TaskConfigError, read_task_config


class TaskConfig(Mapping[str, Any]):
    """A read-only view of config.yaml: `config["split"]` or `config.value("prompts", "mcq")` name the
    file and the missing key instead of raising a bare KeyError from deep inside a run."""

    def __init__(self, path: Path, data: Mapping[str, Any]) -> None:
        self.path = path
        self._data = dict(data)

    @classmethod
    def read(cls, path: Path) -> TaskConfig:
        return cls(path, read_task_config(path))

    def __getitem__(self, key: str) -> Any:
        return self.value(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def value(self, *keys: str) -> Any:
        """The entry at `keys` (a path into nested mappings)."""
        node: Any = self._data
        for depth, key in enumerate(keys):
            if not isinstance(node, Mapping) or key not in node:
                where = ".".join(keys[: depth + 1])
                raise TaskConfigError(f"task configuration {self.path} has no entry {where!r}")
            node = node[key]
        return node

    def columns(self) -> dict[str, str]:
        """Role -> dataset column: the `columns` mapping, or a list of columns that are their own roles.
        The roles are what the task's code reads; every listed column must exist in the data."""
        columns = self.value("columns")
        if isinstance(columns, list):
            return {str(column): str(column) for column in columns}
        if not isinstance(columns, Mapping):
            raise TaskConfigError(f"task configuration {self.path}: 'columns' must be a mapping or a list")
        return {str(role): str(column) for role, column in columns.items()}
