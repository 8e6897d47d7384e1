"""The vLLM engine options a user sets from a model alias's `options` or `--model-option KEY=VALUE`.

Values from the command line are strings and alias values may be typed, so each known option has a
parser; an unknown option (a typo would otherwise be silently dropped, or crash deep inside vLLM) is a
one-line error naming the known ones. Options the pipeline or the registry consume (`video_frames`,
the alias's `default_dtype`) are accepted and not passed to the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from tv_eval.api import ModelLoadError

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _media_limits(value: Any) -> dict[str, int]:
    """`image=4,video=1` (the command line's spelling), a JSON object or a mapping -> {modality: count}."""
    if isinstance(value, Mapping):
        return {str(key): int(count) for key, count in value.items()}
    text = str(value).strip()
    if text.startswith("{"):
        return {str(key): int(count) for key, count in json.loads(text).items()}
    limits = {}
    for item in text.split(","):
        modality, equals, count = item.partition("=")
        if not (equals and modality.strip()):
            raise ValueError(f"expected MODALITY=COUNT[,MODALITY=COUNT], got {value!r}")
        limits[modality.strip()] = int(count)
    return limits


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    parsed = json.loads(str(value))
    if not isinstance(parsed, dict):
        raise ValueError(f"expected a JSON object, got {value!r}")
    return parsed


ENGINE_OPTIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "tensor_parallel_size": (int, "GPUs one model is split over (tensor parallel)"),
    "max_model_len": (int, "context length the engine reserves for (default: the model's)"),
    "gpu_memory_utilization": (float, "share of GPU memory vLLM may take, e.g. 0.85"),
    "limit_mm_per_prompt": (_media_limits, 'most media items per prompt, e.g. image=8 or {"image": 8}'),
    "enable_prefix_caching": (_boolean, "reuse the KV cache of shared prompt prefixes (true/false)"),
    "distributed_executor_backend": (str, "mp or ray, for multi-GPU runs"),
    "enforce_eager": (_boolean, "skip graph capture and compilation (faster start, slower steps)"),
    "max_num_seqs": (int, "most sequences the scheduler runs at once"),
    "mm_processor_kwargs": (_json_object, 'keyword arguments for the HF processor, e.g. {"backend": "pil"}'),
}
# Consumed before the adapter: frames per video by the pipeline, the alias's dtype by the registry.
PASSED_OVER = frozenset({"video_frames", "default_dtype"})


def managed_env_defaults(parsed: Mapping[str, Any]) -> dict[str, Any]:
    """Engine options for vLLM's CPU build in its managed environment: the image processor's PIL backend,
    as tv-eval's own CPU environment (no torchvision) uses, unless the user chose otherwise. That
    environment's torchvision is a CUDA build propped up by an operator shim, and its processor's pixel
    values differ from PIL's by up to 0.015 (seen on a random-noise image)."""
    kwargs = dict(parsed.get("mm_processor_kwargs") or {})
    kwargs.setdefault("backend", "pil")
    return {**parsed, "mm_processor_kwargs": kwargs}


def engine_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's keyword arguments from the model options (ModelLoadError on unknown or bad ones)."""
    parsed: dict[str, Any] = {}
    for key, value in options.items():
        if key in PASSED_OVER:
            continue
        if key not in ENGINE_OPTIONS:
            known = ", ".join(sorted([*ENGINE_OPTIONS, *PASSED_OVER]))
            raise ModelLoadError(f"unknown vLLM model option {key!r}; known: {known}")
        parser = ENGINE_OPTIONS[key][0]
        try:
            parsed[key] = parser(value)
        except (TypeError, ValueError) as error:
            raise ModelLoadError(f"vLLM model option {key}={value!r}: {error}") from error
    return parsed
