"""Digests of files by their bytes, remembered so a 20 GB checkpoint is read once, not every run.

Identity must follow content (a retrained checkpoint or an edited data file is a different thing,
whatever its path), yet reading every weight on every run would cost minutes. So each file's
SHA-256 is stored in the cache folder under its resolved path, size, modification time, change
time and inode: while all five stay the same the stored digest is used; any write to the file
changes its change time (which no tool can set back), so the next run reads it again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from tv_eval.core.cache_root import cache_root
from tv_eval.core.store import CacheError, SqliteStore

DIGEST_FILE = "digests.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_digests (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""
_READ_CHUNK = 8 * 1024 * 1024


def _stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _read_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class DigestCache:
    """File digests stored by path and stat; a file whose stat changed is read again."""

    def __init__(self, path: Path | None = None) -> None:
        self._store = SqliteStore(path or cache_root() / DIGEST_FILE, _SCHEMA, label="digest cache")

    def file_digest(self, path: Path) -> str:
        resolved = path.resolve()
        before = _stat_key(resolved.stat())
        rows = self._store.query(
            "SELECT size, mtime_ns, ctime_ns, inode, sha256 FROM file_digests WHERE path = ?",
            (str(resolved),),
        )
        if rows and tuple(rows[0][:4]) == before:
            return str(rows[0][4])
        digest = _read_digest(resolved)
        if _stat_key(resolved.stat()) == before:  # not written while we read it
            self._store.write(
                "INSERT OR REPLACE INTO file_digests VALUES (?, ?, ?, ?, ?, ?)",
                [(str(resolved), *before, digest)],
            )
        return digest

    def close(self) -> None:
        self._store.close()


def files_digest(root: Path, files: Iterable[Path], cache: DigestCache | None = None) -> str:
    """One digest over files under `root`: their paths relative to it and their bytes, so a copy of
    the same files elsewhere (other path, other times) has the same digest and one changed byte
    changes it. Without a usable digest cache (read-only cache folder) every file is read."""
    digests = cache or _open_default()
    try:
        digest = hashlib.sha256()
        for path in sorted(files, key=lambda item: item.relative_to(root).as_posix()):
            file_digest = digests.file_digest(path) if digests else _read_digest(path.resolve())
            digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(file_digest.encode("ascii") + b"\n")
        return digest.hexdigest()
    finally:
        if cache is None and digests is not None:
            digests.close()


def _open_default() -> DigestCache | None:
    try:
        return DigestCache()
    except CacheError:
        return None
