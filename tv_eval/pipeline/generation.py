"""Serving requests from the response cache and sending only the misses to the model.

The model is loaded on the first miss, not before: resuming a run whose generations are all
cached, or re-running a finished one, never loads the model at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from tv_eval.core.adapter import ModelAdapter
from tv_eval.core.types import ModelIdentity, Request, Response
from tv_eval.pipeline.cache import ResponseCache, request_key


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
        keys = [request_key(self.identity, request) for request in requests]
        cached = self.cache.get_many(keys) if self.cache is not None else {}
        responses: list[Response | None] = [
            replace(cached[key], request_id=request.request_id) if key in cached else None
            for key, request in zip(keys, requests, strict=True)
        ]
        missing = [index for index, response in enumerate(responses) if response is None]
        self.from_cache += len(requests) - len(missing)
        if missing:
            if self._adapter is None:
                self._adapter = self._load_adapter()

            def persist(positions: Sequence[int], batch: Sequence[Response]) -> None:
                if self.cache is not None:
                    self.cache.put_many(
                        self.identity, [(keys[missing[p]], r) for p, r in zip(positions, batch, strict=True)]
                    )

            generated = self._adapter.generate([requests[index] for index in missing], on_batch=persist)
            for index, response in zip(missing, generated, strict=True):
                responses[index] = response
            self.generated += len(missing)
        return [response for response in responses if response is not None]

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """Log-likelihoods, cached like generations (the key includes the continuation); a value the
        adapter could not compute (NaN) is returned but never cached."""
        keys = [request_key(self.identity, request) for request in requests]
        cached = self.cache.get_many(keys) if self.cache is not None else {}
        values: list[float | None] = [float(cached[key].text) if key in cached else None for key in keys]
        missing = [index for index, value in enumerate(values) if value is None]
        self.from_cache += len(requests) - len(missing)
        if missing:
            if self._adapter is None:
                self._adapter = self._load_adapter()
            computed = self._adapter.loglikelihood([requests[index] for index in missing])
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
