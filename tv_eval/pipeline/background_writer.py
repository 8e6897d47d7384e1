"""samples.jsonl written on a thread of its own, so generation never waits for the disk.

An fsync takes milliseconds; made in the callback that receives each answer, it stalls every
request in flight (at 64 in flight it was most of a run's time). Here the callback only queues the
records; the thread writes all that queued up during its previous write in one batch and makes it
durable. A record is therefore on disk one fsync after it finished. Its answer is already in the
response cache by then, so even a record lost to a kill in that moment is served from the cache on
resume, never generated again. An error of the thread (a full disk) stops the run at the next write.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from tv_eval.core.types import ScoredSample
from tv_eval.results.samples_file import SamplesAppender


class BackgroundWriter:
    def __init__(self, writer: SamplesAppender) -> None:
        self._writer = writer
        self._queue: queue.SimpleQueue[list[ScoredSample] | None] = queue.SimpleQueue()
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._drain, name="samples-writer", daemon=True)
        self._thread.start()

    def write(self, records: Sequence[ScoredSample]) -> None:
        self._raise_error()
        self._queue.put(list(records))

    def close(self) -> None:
        """Write everything queued, stop the thread, and raise what it failed on, if anything."""
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
                batch.extend(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch and self._error is None:
                try:
                    self._writer.write(batch)
                except Exception as error:  # handed to the generating thread at its next write
                    self._error = error
