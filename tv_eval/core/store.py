"""The SQLite layer under every tv-eval cache (model responses, judge answers, content digests).

One file per cache in WAL mode with a long busy timeout, so several runs on one machine can read
and write it at once: WAL lets readers go on while one writer commits, and the timeout serialises
writers instead of failing them. Every write is one transaction, so a crash keeps every batch
that was committed before it. Failures to open or write surface as `CacheError`, which the CLI
reports in one line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

_BUSY_TIMEOUT_S = 60.0


def is_answer_text(text: str | None) -> bool:
    """Whether a model's or a judge's text is an answer worth caching: None, empty or blank is not
    (from an API it is a fault, and caching it would keep a rerun from asking again)."""
    return text is not None and bool(text.strip())


class CacheError(RuntimeError):
    """A cache file cannot be opened or written (permissions, disk full, not a database)."""


class SqliteStore:
    """A SQLite file with tv-eval's settings and the schema its owner gives."""

    def __init__(self, path: Path, schema: str, *, label: str) -> None:
        self.path = path
        self.label = label
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
            self._connection.executescript(schema)
        except (OSError, sqlite3.Error) as error:
            raise CacheError(f"cannot open the {label} {path}: {error}") from error

    def ensure_column(self, table: str, column: str, definition: str) -> None:
        """Add a column that a file made by an older tv-eval lacks. Checked again under the write
        lock, so two processes opening the same old file add it once."""
        if column in self._columns(table):
            return
        try:
            with self._connection:
                self._connection.execute("BEGIN IMMEDIATE")
                if column not in self._columns(table):
                    self._connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        except sqlite3.Error as error:
            raise CacheError(f"cannot upgrade the {self.label} {self.path}: {error}") from error

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.query(f"PRAGMA table_info({table})")}

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise CacheError(f"cannot read the {self.label} {self.path}: {error}") from error

    def query_in(self, sql: str, values: Sequence[Any], chunk: int = 500) -> list[tuple[Any, ...]]:
        """`sql` with one `{placeholders}` slot run over `values` in chunks (SQLite caps parameters)."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), chunk):
            part = list(values[start : start + chunk])
            rows.extend(self.query(sql.format(placeholders=",".join("?" * len(part))), part))
        return rows

    def write(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run `sql` once per row in one transaction; returns the number of rows it changed."""
        try:
            with self._connection:
                self._connection.execute("BEGIN IMMEDIATE")
                cursor = self._connection.executemany(sql, list(rows))
                return cursor.rowcount
        except sqlite3.Error as error:
            raise CacheError(f"cannot write to the {self.label} {self.path}: {error}") from error

    def delete(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Delete rows and give the space back to the disk."""
        removed = self.write(sql, [parameters])
        self.query("VACUUM")
        return removed

    def size_bytes(self) -> int:
        """The database with its WAL and shared-memory files."""
        return sum(
            path.stat().st_size for path in self.path.parent.glob(self.path.name + "*") if path.is_file()
        )

    def close(self) -> None:
        self._connection.close()
