"""Serving requests from the response cache and sending only the misses to the model.

The model is loaded on the first miss, not before: resuming a run whose generations are all
cached, or re-running a finished one, never loads the model at all. Every answer is in the cache
before anyone else sees it, with the code points no UTF-8 file can hold already replaced.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from tv_eval.core.adapter import BatchCallback, ModelAdapter
from tv_eval.core.collector import resume_collection
from tv_eval.core.types import ModelIdentity, Request, Response
from tv_eval.pipeline.cache import ResponseCache, request_keys


class CachedGeneration:
    def __init__(
        self, load_adapter: Callable[[], ModelAdapter], identity: ModelIdentity, cache: ResponseCache | None
    ) -> None:
        self._load_adapter = load_adapter
        self._adapter: ModelAdapter | None = None
        self.identity = identity
        self.cache = cache
        self.generated = 0
        self.from_cache = 0

    @property
    def adapter(self) -> ModelAdapter | None:
        """The loaded adapter, or None while every request so far came from the cache."""
        return self._adapter

    def generate(self, requests: Sequence[Request]) -> list[Response]:
        """One response per request, in order, once all are known."""
        responses: dict[int, Response] = {}
        self.stream(requests, lambda positions, batch: responses.update(zip(positions, batch, strict=True)))
        return [responses[position] for position in range(len(requests))]

    def stream(
        self, requests: Sequence[Request], on_responses: BatchCallback, window: int | None = None
    ) -> None:
        """Every response reaches `on_responses` (with its position in `requests`) as soon as it is
        known: the cached ones at once, the others as the adapter finishes them. A streaming adapter
        gets all misses in one call; a batch adapter gets them `window` at a time (default: all),
        each window told to it (`expect`) before the one ahead of it is asked.
        Without a cache no key is computed (a key hashes the whole request)."""
        keys = self._keys(requests)
        cached = self.cache.get_many(keys) if self.cache is not None else {}
        hits = [position for position, key in enumerate(keys) if key in cached]
        if hits:
            on_responses(hits, [replace(cached[keys[p]], request_id=requests[p].request_id) for p in hits])
        self.from_cache += len(hits)
        answered = set(hits)
        missing = [position for position in range(len(requests)) if position not in answered]
        adapter = self._loaded(needed=bool(missing))
        if adapter is None:
            return
        size = len(missing) if adapter.streaming or not window else window
        parts = [missing[start : start + size] for start in range(0, len(missing), size)]
        for number, part in enumerate(parts):
            if number + 1 < len(parts):
                adapter.expect([requests[index] for index in parts[number + 1]])
            self._generate_part(adapter, requests, keys, part, on_responses)

    def _loaded(self, *, needed: bool) -> ModelAdapter | None:
        """The adapter, loaded on the first request the cache cannot answer (None until then). A run's
        start-up ends here, with the model loaded or found unneeded (see tv_eval/core/collector.py)."""
        if needed and self._adapter is None:
            self._adapter = self._load_adapter()
        resume_collection()
        return self._adapter if needed else None

    def _keys(self, requests: Sequence[Request]) -> list[str]:
        """The cache keys of `requests`; none without a cache."""
        return request_keys(self.identity, requests) if self.cache is not None else []

    def _generate_part(
        self,
        adapter: ModelAdapter,
        requests: Sequence[Request],
        keys: Sequence[str],
        part: Sequence[int],
        on_responses: BatchCallback,
    ) -> None:
        """One adapter call; each batch is cached, then passed on. Responses the adapter returned
        without reporting them to its callback are passed on when the call returns."""
        delivered: set[int] = set()

        def deliver(positions: Sequence[int], batch: Sequence[Response]) -> None:
            indices = [part[position] for position in positions]
            valid = [response.with_valid_text() for response in batch]
            if self.cache is not None:
                self.cache.put_many(
                    self.identity, [(keys[i], r) for i, r in zip(indices, valid, strict=True)]
                )
            delivered.update(positions)
            on_responses(indices, valid)

        generated = adapter.generate([requests[index] for index in part], on_batch=deliver)
        unreported = [position for position in range(len(part)) if position not in delivered]
        if unreported:
            deliver(unreported, [generated[position] for position in unreported])
        self.generated += len(part)

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """Log-likelihoods, cached like generations (the key includes the continuation); a value the
        adapter could not compute (NaN) is returned but never cached."""
        keys = self._keys(requests)
        cached = self.cache.get_many(keys) if self.cache is not None else {}
        values: list[float | None] = [None] * len(requests)
        for index, key in enumerate(keys):
            if key in cached:
                values[index] = float(cached[key].text)
        missing = [index for index, value in enumerate(values) if value is None]
        self.from_cache += len(requests) - len(missing)
        adapter = self._loaded(needed=bool(missing))
        if adapter is not None:
            computed = adapter.loglikelihood([requests[index] for index in missing])
            if self.cache is not None:
                self.cache.put_many(
                    self.identity,
                    [
                        (keys[index], Response(requests[index].request_id, repr(value)))
                        for index, value in zip(missing, computed, strict=True)
                        if not math.isnan(value)
                    ],
                )
            for index, value in zip(missing, computed, strict=True):
                values[index] = value
            self.generated += len(missing)
        return [value for value in values if value is not None]

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
        if self.cache is not None:
            self.cache.close()
