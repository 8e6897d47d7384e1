"""The contract every model backend fulfils: batches of requests in, responses out.

Adapters know nothing of datasets. Batching, padding, ordering by length and out-of-memory
back-off are the adapter's business; the runner only hands over lists of requests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tv_eval.core.types import ModelIdentity, Request, Response


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded (missing path, no access, incompatible files)."""


@dataclass(frozen=True)
class AdapterSettings:
    """What the CLI passes to any adapter; adapters ignore what does not apply to them."""

    model_id: str
    revision: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int | None = None
    seed: int = 0
    trust_remote_code: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def auto_batch_size(self) -> bool:
        return self.batch_size is None


BatchCallback = Callable[[Sequence[int], Sequence[Response]], None]
"""Called with (positions in the request list, their responses) as each batch finishes."""


class ModelAdapter(ABC):
    name: ClassVar[str]
    version: ClassVar[str]

    def __init__(self, settings: AdapterSettings) -> None:
        self.settings = settings

    @classmethod  # noqa: B027 - optional hook; most adapters have nothing to check
    def preflight(cls, settings: AdapterSettings) -> None:
        """Cheap checks before any model loads (e.g. an API key is present); raise ModelLoadError."""

    @property
    @abstractmethod
    def identity(self) -> ModelIdentity:
        """Model id, revision and adapter version: what the results and the cache key record."""

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        """The identity responses are cached under, known before the model loads, so a fully cached
        run never loads the model. Adapters that resolve settings (e.g. dtype 'auto') override it."""
        return ModelIdentity(
            model_id=settings.model_id,
            revision=settings.revision,
            adapter=cls.name,
            adapter_version=cls.version,
            dtype=settings.dtype,
        )

    @abstractmethod
    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        """One response per request, in the order given; `on_batch` sees each batch as it completes
        so callers can persist answers before the whole list is done."""

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """Summed log-probability of each request's continuation given its messages."""
        raise NotImplementedError(f"the {self.name} adapter does not score log-likelihoods")

    def close(self) -> None:  # noqa: B027 - optional hook; most adapters hold nothing to release
        """Release devices and memory; the default has nothing to release."""
