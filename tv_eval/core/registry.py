"""Lazy registry of tasks, adapters and model aliases, discovered through Python entry points.

The core never imports `tasks/` or `model_adapters/` directly: built-ins register themselves in
pyproject.toml exactly as a third-party package would, and nothing is imported until a name is
asked for, so `tv-eval list` and `--help` stay fast and torch-free.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tv_eval.core.adapter import AdapterSettings, ModelAdapter
    from tv_eval.core.task import Task

TASK_GROUP = "tv_eval.tasks"
ADAPTER_GROUP = "tv_eval.adapters"
ALIAS_GROUP = "tv_eval.model_aliases"
# `<prefix>:<name>` task names: a factory builds the task for `name` (e.g. `lmms:<lmms-eval task>`).
TASK_PREFIX_GROUP = "tv_eval.task_prefixes"

# `hf:<id>` is the documented spelling for the transformers adapter.
ADAPTER_PREFIXES = {"hf": "transformers"}


class RegistryError(LookupError):
    """An unknown task, adapter or model name; the message lists close matches."""


@dataclass(frozen=True)
class ModelSpec:
    """A resolved --model argument: which adapter loads which model, with what defaults."""

    name: str
    adapter: str
    model_id: str
    revision: str | None = None
    dtype: str | None = None
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    # A backend to prefer over `adapter` where it can run (tv_eval/core/backends.py), e.g. "vllm".
    backend: str | None = None

    def settings(
        self,
        *,
        device: str,
        dtype: str,
        batch_size: int | None,
        seed: int,
        trust_remote_code: bool = False,
        extra_options: Mapping[str, Any] | None = None,
        revision: str | None = None,
    ) -> AdapterSettings:
        """Adapter settings for this model: the alias's options, dtype and revision plus the caller's
        choices (a `revision` given here wins over the alias's)."""
        from tv_eval.core.adapter import AdapterSettings

        options = {**self.options, **(extra_options or {})}
        if self.dtype:
            options["default_dtype"] = self.dtype
        return AdapterSettings(
            model_id=self.model_id,
            revision=revision or self.revision,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            seed=seed,
            trust_remote_code=trust_remote_code,
            options=options,
        )


@cache
def _every_entry_point() -> EntryPoints:
    """Every installed distribution's entry points, read once: each read opens every distribution's
    metadata (0.03 s with 260 packages), and a run asks for four groups."""
    return entry_points()


@cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {point.name: point for point in _every_entry_point().select(group=group)}


def entry_points_of(group: str) -> dict[str, EntryPoint]:
    """The entry points of one registry group by name, none of them loaded."""
    return dict(_entry_points(group))


def _unknown(kind: str, name: str, known: list[str]) -> RegistryError:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(known))}"
    return RegistryError(f"unknown {kind} {name!r}{hint}")


def _load(point: EntryPoint) -> Any:
    """Import a plugin; a broken one is named in the error rather than crashing with a traceback."""
    try:
        return point.load()
    except Exception as error:
        raise RegistryError(f"plugin {point.name!r} ({point.value}) failed to load: {error}") from error


def task_names() -> list[str]:
    return sorted(_entry_points(TASK_GROUP))


def is_prefixed_task(name: str) -> bool:
    """Whether `name` is `<prefix>:<name>` for a registered task family (no plugin is loaded to say)."""
    prefix, separator, _ = name.partition(":")
    return bool(separator) and prefix in _entry_points(TASK_PREFIX_GROUP)


def task_prefixes() -> dict[str, str]:
    """Registered `<prefix>:<name>` task families and the description of the task class each builds."""
    points = sorted(_entry_points(TASK_PREFIX_GROUP).items())
    return {prefix: _load(point).description for prefix, point in points}


def load_task(name: str) -> Task:
    points = _entry_points(TASK_GROUP)
    prefix, separator, rest = name.partition(":")
    if separator and name not in points:
        factories = _entry_points(TASK_PREFIX_GROUP)
        if prefix not in factories:
            raise _unknown("task prefix", prefix, list(factories))
        if not rest:
            raise RegistryError(f"task {name!r} names no task after {prefix}:")
        return _load(factories[prefix])(rest)
    if name not in points:
        raise _unknown("task", name, list(points))
    return _load(points[name])()


def load_adapter_class(name: str) -> type[ModelAdapter]:
    """The adapter class, once its libraries are known to be installed (else MissingExtraError)."""
    points = _entry_points(ADAPTER_GROUP)
    if name not in points:
        raise _unknown("adapter", name, list(points))
    adapter_class: type[ModelAdapter] = _load(points[name])
    adapter_class.check_installed()
    return adapter_class


@lru_cache(maxsize=1)
def model_aliases() -> dict[str, ModelSpec]:
    """Every alias from every package that registers a `tv_eval.model_aliases` mapping."""
    aliases: dict[str, ModelSpec] = {}
    for point in _entry_points(ALIAS_GROUP).values():
        for alias, entry in _load(point).items():
            aliases[alias] = ModelSpec(name=alias, **entry)
    return aliases


def resolve_model(spec: str) -> ModelSpec:
    """`towervision-9b` (alias), `hf:<hub id or path>`, or `<adapter>:<model id>`."""
    aliases = model_aliases()
    if spec in aliases:
        return aliases[spec]
    prefix, separator, model_id = spec.partition(":")
    if separator and model_id:
        adapter = ADAPTER_PREFIXES.get(prefix, prefix)
        if adapter in _entry_points(ADAPTER_GROUP):
            return ModelSpec(name=spec, adapter=adapter, model_id=model_id)
        raise _unknown("model adapter prefix", prefix, [*ADAPTER_PREFIXES, *_entry_points(ADAPTER_GROUP)])
    raise _unknown("model", spec, [*aliases, "hf:<hub-id-or-path>"])
