"""samples.jsonl, one scored record per line: the only module that writes it.

The runner appends as chunks finish (each batch durable before the next); every later stage (batch
scorers, the judge, re-scoring, re-aggregation under another tier map) replaces the file in one
atomic step through `write_samples`, so the file always holds the records the results came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from tv_eval.core import io
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


def write_samples(run_dir: Path, records: Mapping[str, Sequence[ScoredSample]]) -> None:
    """Replace samples.jsonl with these records (task by task) in one atomic step."""
    lines = (_line(record) for group in records.values() for record in group)
    io.atomic_write_text(run_dir / SAMPLES_FILE, "".join(lines))


class SampleRecordError(ValueError):
    """A samples.jsonl line that is not a scored record."""


def read_samples(path: Path) -> Iterator[ScoredSample]:
    """The records of a samples.jsonl; a last line cut off by a crash is skipped."""
    for line_number, raw in enumerate(io.read_jsonl(path), start=1):
        try:
            yield ScoredSample.from_json(raw)
        except (KeyError, TypeError, ValueError) as error:
            raise SampleRecordError(f"{path} line {line_number} is not a sample record: {error}") from error


def load_finished_records(run_dir: Path) -> dict[tuple[str, str], ScoredSample]:
    """Records already in samples.jsonl, by (task, sample id); a line cut off by a crash is dropped
    from the file so appending continues on a clean line."""
    path = run_dir / SAMPLES_FILE
    if not path.exists():
        return {}
    io.truncate_partial_line(path)
    return {(record.task, record.sample_id): record for record in read_samples(path)}


def records_by_task(records: Iterable[ScoredSample], tasks: Iterable[str]) -> dict[str, list[ScoredSample]]:
    """Records grouped by task, in the order of `tasks` (tasks without records get an empty list)."""
    grouped: dict[str, list[ScoredSample]] = {name: [] for name in tasks}
    for record in records:
        grouped.setdefault(record.task, []).append(record)
    return grouped
