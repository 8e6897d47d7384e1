"""Answers scored and samples.jsonl written on a thread of its own, so generation never waits for them.

An fsync takes milliseconds; made in the callback that receives each answer, it stalls every
request in flight (at 64 in flight it was most of a run's time). Reading an answer costs a fraction
of a millisecond more, and the model's next batch had waited for that too. Here the callback only
queues the answers; the thread scores them (`submit`), then writes all that queued up during its
previous write in one batch and makes it durable. Scoring stays on this one thread, in the order the
answers came, so the tasks' scorers never run concurrently. A record is on disk one fsync after its
answer arrived. The answer is already in the response cache by then, so even a record lost to a kill
in that moment is served from the cache on resume, never generated again. An error of the thread (a
scorer's bug, a full disk) stops the run at the next submission, or at `close`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from tv_eval.core.types import ScoredSample
from tv_eval.results.samples_file import SamplesAppender

RecordMaker = Callable[[], Sequence[ScoredSample]]


class BackgroundWriter:
    def __init__(self, writer: SamplesAppender) -> None:
        self._writer = writer
        self._queue: queue.SimpleQueue[RecordMaker | None] = queue.SimpleQueue()
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._drain, name="samples-writer", daemon=True)
        self._thread.start()

    def submit(self, make_records: RecordMaker) -> None:
        """`make_records` runs on the writer's thread, after everything submitted before it."""
        self._raise_error()
        self._queue.put(make_records)

    def close(self) -> None:
        """Make and write everything queued, stop the thread, and raise what it failed on, if anything."""
        self._queue.put(None)
        self._thread.join()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _drain(self) -> None:
        stopping = False
        while not stopping:
            batch: list[ScoredSample] = []
            item = self._queue.get()
            while True:
                if item is None:
                    stopping = True
                    break
                if self._error is None:
                    self._make(item, batch)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:  # what was made before an error is still written
                try:
                    self._writer.write(batch)
                except Exception as error:  # handed to the generating thread at its next submission
                    self._error = self._error or error

    def _make(self, make_records: RecordMaker, batch: list[ScoredSample]) -> None:
        try:
            batch.extend(make_records())
        except Exception as error:  # a scorer's bug: nothing after it is scored or written
            self._error = error
