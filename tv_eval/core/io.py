"""Writing run outputs so a reader never sees half a file and a crash loses at most one batch; reading
the small text files a user names (tier maps, price tables, key files) so a bad one fails in one line."""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: changing the umask is process-wide, so doing it per write would race other threads.
_UMASK = _process_umask()


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target.

    The file gets the mode a plain `open` would give it (0666 less the umask), not mkstemp's 0600:
    every file of a run directory follows one rule, whichever way it was written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o666 & ~_UMASK)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


class JsonlAppender:
    """Appends records and makes each batch durable before the next one starts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def write_batch(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def truncate_partial_line(path: Path) -> None:
    """Drop a last line that a crash cut off mid-write, so appending continues on a clean line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file; a final line cut off by a crash is ignored, not fatal."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return
            if line.strip():
                yield json.loads(line)


USER_FILE_MAX_BYTES = 16 * 2**20


class UserFileError(ValueError):
    """A file the user named cannot be read as text; the message says which and why, in one line."""


def read_user_text(path: Path, what: str) -> str:
    """The text of a user-given file (UTF-8, a byte-order mark dropped), or UserFileError saying
    `cannot read WHAT PATH: REASON` when it is missing, a directory, unreadable, not text, or larger
    than any such file (a device such as /dev/zero never ends; a pipe, `<(...)`, is read as usual)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(USER_FILE_MAX_BYTES + 1)
    except OSError as error:
        raise UserFileError(f"cannot read {what} {path}: {error.strerror or error}") from error
    if len(data) > USER_FILE_MAX_BYTES:
        raise UserFileError(f"cannot read {what} {path}: larger than {USER_FILE_MAX_BYTES // 2**20} MiB")
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = len(data) - len(body) + error.start
        raise UserFileError(
            f"cannot read {what} {path}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset})"
        ) from error
    if "\x00" in text:
        raise UserFileError(f"cannot read {what} {path}: not text (it holds NUL bytes)")
    return text


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type where it has none), for one-line reports."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
