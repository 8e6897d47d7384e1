"""Replacing several files of one folder together: after a crash a reader sees all old or all new.

Each new file is written and fsynced into a staging folder beside its target first. A commit record
naming them is then written atomically: that is the commit point. Only then are the files renamed
into place and the staging folder removed. A crash before the commit record leaves the old files as
they were (the next writer discards the staging folder); a crash after it leaves a commit that
`recover` finishes (rolling forward), and until then `committed_path` shows readers the new files.

Writers must be alone in the folder (a run directory's lock, a leaderboard folder's lock).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import TracebackType

STAGING_DIR = ".tv-eval-staging"
COMMIT_FILE = "COMMIT"


def _write_durable(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _committed_names(folder: Path) -> list[str] | None:
    """The files of a commit that was decided but not finished, or None when there is none."""
    try:
        names = json.loads((folder / STAGING_DIR / COMMIT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else None


def recover(folder: Path) -> None:
    """Finish a commit a crash interrupted, or discard files staged for one that never happened."""
    staging = folder / STAGING_DIR
    if not staging.exists():
        return
    for name in _committed_names(folder) or []:
        staged = staging / name
        if staged.exists():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, folder / name)
    _sync_folder(folder)
    shutil.rmtree(staging, ignore_errors=True)


def committed_path(folder: Path, name: str) -> Path:
    """Where a reader finds the current version of `name`: its staged copy while a commit that a
    crash interrupted is pending, else the file itself."""
    names = _committed_names(folder) if (folder / STAGING_DIR).exists() else None
    staged = folder / STAGING_DIR / name
    if names is not None and name in names and staged.exists():
        return staged
    return folder / name


class StagedFiles:
    """New versions of files in `folder`, made visible together by `commit` (or by the block's end)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._staging = folder / STAGING_DIR
        self._names: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        recover(folder)

    def write_bytes(self, name: str, data: bytes) -> None:
        """Stage `name` (a path relative to the folder, e.g. `plots/a.png`)."""
        _write_durable(self._staging / name, data)
        if name not in self._names:
            self._names.append(name)

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode("utf-8"))

    def write_json(self, name: str, data: object) -> None:
        self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def commit(self) -> None:
        """Write the commit record (the commit point), then move every staged file into place."""
        if not self._names:
            return
        record = self._staging / f".{COMMIT_FILE}.tmp"
        _write_durable(record, json.dumps(self._names).encode("utf-8"))
        os.replace(record, self._staging / COMMIT_FILE)
        _sync_folder(self._staging)
        recover(self.folder)
        self._names = []

    def discard(self) -> None:
        """Drop what was staged; a commit already decided is left for `recover` to finish."""
        if _committed_names(self.folder) is None:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._names = []

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, _error: BaseException | None, _trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
