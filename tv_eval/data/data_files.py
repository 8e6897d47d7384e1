"""Checks on a split's files before and after `datasets` reads them, so bad data ends in one clear line.

`datasets` fails on a parquet file with no rows, or on files whose columns differ, deep inside its
builder with a generic message; and it keeps text that is not valid UTF-8 until a row is read, which
then raises mid-load. A README's `configs: data_files:` may also name files outside the folder it
sits in (`../other/*.parquet`, an absolute path, a URL), which would make a local run read rows from
elsewhere. Each of these is a `DataFileError` naming the file, column or row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tv_eval.core.io import first_line

if TYPE_CHECKING:
    import pyarrow as pa


class DataFileError(ValueError):
    """A data file or column that cannot be read as the split it belongs to."""


def check_local_files(root: Path, files_by_split: Mapping[str, Sequence[str]]) -> None:
    """Every file of every split lies inside `root`; parquet files hold rows and the same columns.

    Inside means by the path the data names, symlinks not followed, so a folder of links into the
    Hugging Face cache still loads. Every split is checked, since `datasets` prepares them all.
    """
    folder = Path(os.path.abspath(root))
    named = [(split, name) for split, names in files_by_split.items() for name in names]
    for split, name in named:
        if "://" in name or not Path(os.path.abspath(name)).is_relative_to(folder):
            shown = name if "://" in name else os.path.abspath(name)
            raise DataFileError(
                f"README.md `configs: data_files` points split {split!r} at {shown}, outside the data "
                "folder; local data must stay inside it"
            )
    parquet = [Path(os.path.abspath(name)) for _, name in named if name.endswith(".parquet")]
    _check_parquet_files(folder, parquet)


def _check_parquet_files(folder: Path, paths: Sequence[Path]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    first: tuple[str, list[str]] | None = None
    for path in paths:
        name = str(path.relative_to(folder))
        try:
            metadata = pq.read_metadata(path)
        except (pa.ArrowException, OSError) as error:
            raise DataFileError(f"{name} is not a readable parquet file: {first_line(error)}") from error
        if metadata.num_rows == 0:
            raise DataFileError(f"{name} holds no rows; remove it or fill it")
        columns = metadata.schema.to_arrow_schema().names
        if first is None:
            first = (name, columns)
        elif set(columns) != set(first[1]):
            raise DataFileError(
                f"{name} has other columns than {first[0]} ({_difference(first[1], columns)})"
            )


def _difference(expected: Iterable[str], found: Iterable[str]) -> str:
    missing = [column for column in expected if column not in set(found)]
    extra = [column for column in found if column not in set(expected)]
    parts = [f"lacks {', '.join(missing)}" if missing else "", f"adds {', '.join(extra)}" if extra else ""]
    return "; ".join(part for part in parts if part)


def check_text_columns(table: pa.Table) -> None:
    """Every text cell is valid UTF-8; otherwise the column and the first bad row (0-based)."""
    import pyarrow as pa

    for name in table.column_names:
        column = table.column(name)
        try:
            column.validate(full=True)
        except pa.ArrowInvalid as error:
            row = _first_invalid_row(column)
            raise DataFileError(
                f"column {name!r} holds text that is not valid UTF-8 (row {row})"
                if "UTF8" in str(error)
                else f"column {name!r} is damaged (row {row}): {first_line(error)}"
            ) from error


def _first_invalid_row(column: pa.ChunkedArray) -> int:
    """Bisects the failing chunk: validating a slice checks only its rows."""
    import pyarrow as pa

    offset = 0
    for chunk in column.chunks:
        try:
            chunk.validate(full=True)
        except pa.ArrowInvalid:
            low, high = 0, len(chunk)  # chunk[low:high] holds a bad row
            while high - low > 1:
                middle = (low + high) // 2
                try:
                    chunk.slice(low, middle - low).validate(full=True)
                    low = middle
                except pa.ArrowInvalid:
                    high = middle
            return offset + low
        offset += len(chunk)
    return offset
