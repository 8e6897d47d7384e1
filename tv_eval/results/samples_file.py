"""samples.jsonl, one scored record per line: the only module that writes it.

The runner appends as chunks finish (each batch durable before the next); every later stage (batch
scorers, the judge, re-scoring, re-aggregation under another tier map) replaces the file through
`write_samples`, in the same commit as results.json and run.json (core/staged_files.py), so the file
always holds the records the results came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tv_eval.core import io
from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.types import ScoredSample

SAMPLES_FILE = "samples.jsonl"


def _line(record: ScoredSample) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False) + "\n"


class SamplesAppender:
    """Appends records to a run's samples.jsonl; each batch is on disk before the call returns."""

    def __init__(self, run_dir: Path) -> None:
        self._appender = io.JsonlAppender(run_dir / SAMPLES_FILE)

    def write(self, records: Iterable[ScoredSample]) -> None:
        self._appender.write_batch(record.to_json() for record in records)

    def close(self) -> None:
        self._appender.close()

    def __enter__(self) -> SamplesAppender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def write_samples(staged: StagedFiles, records: Mapping[str, Sequence[ScoredSample]]) -> None:
    """Stage samples.jsonl with these records (task by task); it replaces the file when `staged` commits."""
    staged.write_text(SAMPLES_FILE, "".join(_line(record) for group in records.values() for record in group))


class SampleRecordError(ValueError):
    """A samples.jsonl line that is not a scored record."""


@dataclass(frozen=True)
class SamplesReading:
    """The records of a samples.jsonl, and one line for each part of the file that is not a record."""

    path: Path
    records: list[ScoredSample]
    damage: list[str]


def _record_of(raw: bytes) -> ScoredSample:
    try:
        return ScoredSample.from_json(json.loads(raw.decode("utf-8")))
    except UnicodeDecodeError as error:
        raise SampleRecordError(f"is not UTF-8 text ({error.reason} at byte {error.start})") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SampleRecordError(f"is not a sample record: {type(error).__name__}: {error}") from error


def read_samples_checked(path: Path) -> SamplesReading:
    """Every record of the file; what cannot be read (a line cut off mid-record, a line that is no
    record, an empty file) is named by its line number, never dropped silently."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    unterminated = lines.pop()
    records: list[ScoredSample] = []
    damage = [] if data.strip() else ["the file is empty"]
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            records.append(_record_of(raw))
        except SampleRecordError as error:
            damage.append(f"line {number} {error}")
    if unterminated.strip():
        damage.append(f"line {len(lines) + 1} is cut off mid-record (no end of line)")
    return SamplesReading(path=path, records=records, damage=damage)


def read_samples(path: Path) -> list[ScoredSample]:
    """The records of a finished run's samples.jsonl; any damage raises SampleRecordError naming it."""
    reading = read_samples_checked(path)
    if reading.damage:
        more = f" (and {len(reading.damage) - 1} more)" if len(reading.damage) > 1 else ""
        raise SampleRecordError(f"{path}: {reading.damage[0]}{more}")
    return reading.records


def load_finished_records(run_dir: Path) -> dict[tuple[str, str], ScoredSample]:
    """Records already in samples.jsonl, by (task, sample id; a later record of a sample replaces an
    earlier one). A last line cut off by a crash is dropped from the file so appending continues on a
    clean line; damage anywhere else raises SampleRecordError."""
    path = run_dir / SAMPLES_FILE
    if not path.exists():
        return {}
    io.truncate_partial_line(path)
    records = read_samples(path) if path.stat().st_size else []
    return {(record.task, record.sample_id): record for record in records}


def records_by_task(records: Iterable[ScoredSample], tasks: Iterable[str]) -> dict[str, list[ScoredSample]]:
    """Records grouped by task, in the order of `tasks` (tasks without records get an empty list)."""
    grouped: dict[str, list[ScoredSample]] = {name: [] for name in tasks}
    for record in records:
        grouped.setdefault(record.task, []).append(record)
    return grouped
