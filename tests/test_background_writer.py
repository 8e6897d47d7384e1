"""The writer's thread: answers are scored there, in the order they came, and written in that order; a
scorer's error stops what comes after it and reaches the generating thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pytest

from tests.paired_fixtures import record
from tv_eval.core.types import ScoredSample
from tv_eval.pipeline.background_writer import BackgroundWriter


class ListWriter:
    """A SamplesAppender stand-in: the ids of each written batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def write(self, records: Iterable[ScoredSample]) -> None:
        self.batches.append([r.sample_id for r in records])


def made_on_thread(sample_id: str, threads: list[str]) -> list[ScoredSample]:
    threads.append(threading.current_thread().name)
    return [record(sample_id, "en", 1.0, cluster=sample_id)]


def test_records_are_made_off_the_caller_thread_in_submission_order() -> None:
    written = ListWriter()
    threads: list[str] = []
    background = BackgroundWriter(written)  # type: ignore[arg-type]
    for index in range(40):
        background.submit(lambda index=index: made_on_thread(f"s{index}", threads))
    background.close()
    assert [i for batch in written.batches for i in batch] == [f"s{i}" for i in range(40)]
    assert set(threads) == {"samples-writer"}
    assert threading.current_thread().name not in threads


def test_a_scorer_error_stops_what_follows_and_is_raised_to_the_caller() -> None:
    written = ListWriter()
    background = BackgroundWriter(written)  # type: ignore[arg-type]
    release = threading.Event()

    def broken() -> list[ScoredSample]:
        release.wait(5)
        raise ValueError("scorer bug")

    background.submit(lambda: [record("before", "en", 1.0, cluster="b")])
    background.submit(broken)
    background.submit(lambda: [record("after", "en", 1.0, cluster="a")])
    release.set()
    with pytest.raises(ValueError, match="scorer bug"):
        background.close()
    assert [i for batch in written.batches for i in batch] == ["before"]
    with pytest.raises(ValueError, match="scorer bug"):
        background.submit(lambda: [])
