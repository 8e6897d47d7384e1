"""Files a dataset ships packed in one archive beside its rows (Kaleidoscope's images in `data.zip`).

The rows name each file by its path inside the dataset; a local copy may hold the extracted tree or the
archive itself, the Hub holds the archive. Reading members in place spares a second copy on disk.
"""

from __future__ import annotations

import threading
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

from tv_eval.core.task import DataSource
from tv_eval.data.hub import dataset_file

_LOCK = threading.Lock()


def packed_file(
    dataset_id: str,
    relative_path: str,
    source: DataSource,
    *,
    sample_dir: Path,
    archive: str,
    member_prefix: str = "",
) -> bytes:
    """A file the rows name: from the extracted tree where a local source has it, else from `archive`
    (member `member_prefix + path`, else the path itself). A path that is absolute, climbs out with
    `..`, or is found nowhere raises ValueError, which the task turns into a sample error."""
    cleaned = relative_path.strip().replace("\\", "/").removeprefix("./")
    if not cleaned:
        raise ValueError("missing file name")
    if PurePosixPath(cleaned).is_absolute() or ".." in PurePosixPath(cleaned).parts:
        raise ValueError(f"file path {relative_path!r} escapes the dataset folder")
    if source.use_sample or source.data_dir is not None:
        try:
            return dataset_file(dataset_id, cleaned, source, sample_dir=sample_dir).read_bytes()
        except ValueError:
            pass
    archive_path = dataset_file(dataset_id, archive, source, sample_dir=sample_dir)
    return archive_member(archive_path, (member_prefix + cleaned, cleaned))


def archive_member(archive_path: Path, names: tuple[str, ...]) -> bytes:
    """The first of `names` the zip archive holds; the archive is opened once and read under a lock."""
    with _LOCK:
        archive = _opened(str(archive_path.resolve()), archive_path.stat().st_mtime_ns)
        for name in names:
            try:
                return archive.read(name)
            except KeyError:
                continue
    raise ValueError(f"file {names[-1]!r} is not in {archive_path.name}")


@lru_cache(maxsize=4)
def _opened(path: str, modified_ns: int) -> zipfile.ZipFile:
    """One open handle per archive version (its modification time is part of the key)."""
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{Path(path).name} is not a readable zip archive: {error}") from error
