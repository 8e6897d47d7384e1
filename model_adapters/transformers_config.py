"""What the transformers adapter runs with: device, dtype and the model's context window.

Device and dtype are decided the same way before and after loading: the cache key needs the
resolved dtype before any model loads.
"""

from __future__ import annotations

from typing import Any

from tv_eval.api import ModelLoadError, gpu_possible

SUPPORTED_DTYPES = ("bfloat16", "float16", "float32")
# Where configs keep their context length, in the order transformers' own model families use them.
_CONTEXT_ATTRIBUTES = ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions")


def resolve_device(requested: str) -> str:
    """'auto' means the GPU when there is one; anything else is passed to torch as given.

    torch is asked only when a GPU is possible at all: importing it takes seconds, and a fully cached
    rerun needs the device only to name its cache key.
    """
    if requested != "auto":
        return requested
    if not gpu_possible():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def cpu_threads(options: Any) -> int | None:
    """The `threads` model option: torch's intra-op threads on CPU (None: torch's default).

    Tiny models run fastest on one thread: their matrices are too small to share out, and on a busy
    machine the extra threads wait on each other for longer than the work takes.
    """
    value = options.get("threads")
    if value is None:
        return None
    try:
        threads = int(value)
    except (TypeError, ValueError):
        threads = 0
    if threads < 1 or str(threads) != str(value).strip():
        raise ModelLoadError(f"model option threads must be a whole number of at least 1, not {value!r}")
    return threads


def resolve_dtype(requested: str, default: str | None, device: str) -> str:
    """An explicit dtype wins; 'auto' takes the alias's dtype on GPU, bf16 or fp16 otherwise, fp32 on CPU.

    fp32 on CPU because bf16 matmuls there are slow and less exact, and CI gates on exact CPU outputs.
    """
    if requested != "auto":
        if requested not in SUPPORTED_DTYPES:
            raise ModelLoadError(
                f"unsupported dtype {requested!r}; use auto or one of {', '.join(SUPPORTED_DTYPES)}"
            )
        return requested
    if not device.startswith("cuda"):
        return "float32"
    import torch

    bf16 = torch.cuda.is_bf16_supported()
    if default in SUPPORTED_DTYPES and (default != "bfloat16" or bf16):
        return default
    return "bfloat16" if bf16 else "float16"


def context_length(config: Any) -> int | None:
    """The language model's context window, or None where the config does not say."""
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    for attribute in _CONTEXT_ATTRIBUTES:
        value = getattr(text_config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    return None
