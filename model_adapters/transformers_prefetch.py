"""Preprocessing the next batch while the current one generates.

Image preprocessing and tokenisation run on the CPU between `generate` calls, so without overlap the
model waits for them at every batch. One background thread prepares the batch that is planned next;
the result stays on the CPU until its turn, so it holds no accelerator memory meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")
Encoded = TypeVar("Encoded")

# The batch about to run and the one planned after it.
_KEPT_PLANS = 2


class Prefetcher(Generic[Item, Encoded]):
    """Runs `encode` on planned batches in the background; `take` returns a batch's result if it was
    planned (same items, same order), else encodes it at once.

    Plans are made one batch ahead: the one about to run and the one after it are kept, older ones
    (left behind when a batch size changed) are dropped.
    """

    def __init__(self, encode: Callable[[list[Item]], Encoded], key: Callable[[Item], Hashable]) -> None:
        self._encode = encode
        self._key = key
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tv-eval-prefetch")
        self._planned: dict[tuple[Hashable, ...], Future[Encoded]] = {}

    def plan(self, batch: Sequence[Item]) -> None:
        keys = self._keys(batch)
        if not batch or keys in self._planned:
            return
        self._planned[keys] = self._pool.submit(self._encode, list(batch))
        while len(self._planned) > _KEPT_PLANS:
            self._planned.pop(next(iter(self._planned))).cancel()

    def take(self, batch: Sequence[Item]) -> Encoded:
        planned = self._planned.pop(self._keys(batch), None)
        return planned.result() if planned is not None else self._encode(list(batch))

    def drop(self, keep: Sequence[Item] = ()) -> None:
        """Forget every plan but `keep`'s (the call's requests are done; `keep` is the next call's first
        batch, planned ahead); an encode already running is left to end."""
        kept = self._keys(keep) if keep else None
        for keys in [keys for keys in self._planned if keys != kept]:
            self._planned.pop(keys).cancel()

    def close(self) -> None:
        self.drop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _keys(self, batch: Sequence[Item]) -> tuple[Hashable, ...]:
        return tuple(self._key(item) for item in batch)
