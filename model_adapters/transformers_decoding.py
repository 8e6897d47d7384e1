"""Decoding helpers of the transformers adapter: sampling arguments, where an answer stops, and the
batches of prompts followed by the continuations a log-likelihood scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tv_eval.api import GenerationParams

if TYPE_CHECKING:
    import torch
    from transformers import BatchFeature


def decoding_kwargs(params: GenerationParams) -> dict[str, Any]:
    """Greedy, or temperature/top-p sampling with top-k off so only the request's settings apply."""
    if params.greedy:
        return {"do_sample": False}
    return {"do_sample": True, "temperature": params.temperature, "top_p": params.top_p, "top_k": 0}


def until_stop_token(tokens: list[int], stop_ids: set[int]) -> list[int]:
    """The generated tokens up to and including the first end-of-sequence (or padding) token."""
    for position, token in enumerate(tokens):
        if token in stop_ids:
            return tokens[: position + 1]
    return tokens


def truncate_at_stop(text: str, stops: Sequence[str]) -> str:
    """Cut the text at the earliest stop string, as API backends do."""
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    return text[: min(cuts)] if cuts else text


def append_continuations(
    inputs: BatchFeature, continuations: Sequence[Sequence[int]], pad_token_id: int
) -> BatchFeature:
    """Rebuild the per-token tensors as [prompt][continuation][padding] rows.

    Right padding keeps every row's positions starting at 0, so no model-specific position ids are
    needed; causal attention means the padding after a row never affects its scores. Image tensors
    (pixel values, sizes, grids) do not depend on padding and are kept as they are.
    """
    import torch

    input_ids = inputs["input_ids"]
    real = inputs["attention_mask"].bool()
    token_keys = [key for key, value in inputs.items() if is_per_token(value, input_ids)]
    rows: dict[str, list[torch.Tensor]] = {key: [] for key in token_keys}
    for row, continuation_ids in enumerate(continuations):
        continuation = torch.tensor(list(continuation_ids), dtype=input_ids.dtype, device=input_ids.device)
        for key in token_keys:
            prompt = inputs[key][row][real[row]]
            if key == "input_ids":
                tail = continuation
            elif key == "attention_mask":
                tail = torch.ones_like(continuation, dtype=prompt.dtype)
            else:
                tail = torch.zeros_like(continuation, dtype=prompt.dtype)
            rows[key].append(torch.cat([prompt, tail]))
    for key in token_keys:
        padding = pad_token_id if key == "input_ids" else 0
        inputs[key] = torch.nn.utils.rnn.pad_sequence(rows[key], batch_first=True, padding_value=padding)
    return inputs


def is_per_token(value: Any, input_ids: torch.Tensor) -> bool:
    """Token ids, attention masks and token types: tensors shaped exactly like the batch's input ids."""
    return getattr(value, "ndim", 0) == 2 and tuple(value.shape) == tuple(input_ids.shape)
