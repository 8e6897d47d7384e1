"""The contract every model backend fulfils: batches of requests in, responses out.

Adapters know nothing of datasets. Batching, padding, ordering by length and out-of-memory
back-off are the adapter's business; the runner only hands over lists of requests.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tv_eval.core.types import ModelIdentity, Request, Response


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded (missing path, no access, incompatible files)."""


class MissingExtraError(ModelLoadError):
    """An adapter whose libraries are not installed; the message names the extra that installs them."""


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


BatchCallback = Callable[[Sequence[int], Sequence[Response]], None]
"""Called with (positions in the request list, their responses) as each batch finishes."""


class ModelAdapter(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    # Top-level modules the adapter imports when it runs, and the tv-eval extra that installs them.
    required_modules: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None
    # True when `generate` keeps a bounded number of requests under way and reports each response to
    # `on_batch` as it finishes, however many it is given (API adapters): the pipeline then hands it a
    # whole task at once, with no barrier between chunks. Batch adapters get windows of the run's
    # chunk size, so their batches, and what they generate, stay as they were.
    streaming: ClassVar[bool] = False

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
    def check_installed(cls) -> None:
        """Raise MissingExtraError naming the extra to install when a required module is missing."""
        missing = [name for name in cls.required_modules if not module_importable(name)]
        if missing:
            extra = f'; install it with: pip install "tv-eval[{cls.extra}]"' if cls.extra else ""
            raise MissingExtraError(
                f"the {cls.name} adapter needs {', '.join(missing)}, not installed{extra}"
            )

    @classmethod
    def resolve_revision(cls, settings: AdapterSettings) -> str | None:
        """The revision the model name stands for now (a Hub commit, a folder's digest); the default
        takes the settings' revision as it is, for backends that cannot tell."""
        return settings.revision

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        """The identity responses are cached under, known before the model loads, so a fully cached
        run never loads the model. Adapters that resolve settings (e.g. dtype 'auto') override it."""
        return ModelIdentity(
            model_id=settings.model_id,
            revision=cls.resolve_revision(settings),
            adapter=cls.name,
            adapter_version=cls.version,
            dtype=settings.dtype,
        )

    @abstractmethod
    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        """One response per request, in the order given; `on_batch` sees each batch as it completes
        so callers can persist answers before the whole list is done."""

    def expect(self, requests: Sequence[Request]) -> None:  # noqa: B027 - optional hook
        """The requests of the next `generate` call, told before the current one starts, so that a
        batch adapter can prepare them while it finishes the current one; the default ignores it."""

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """Each request's continuation given its messages, in the request's `measure` (summed
        log-probability by default; see `ContinuationMeasure`). A backend raises for a measure it lacks."""
        raise NotImplementedError(f"the {self.name} adapter does not score log-likelihoods")

    def close(self) -> None:  # noqa: B027 - optional hook; most adapters hold nothing to release
        """Release devices and memory; the default has nothing to release."""


def module_importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
