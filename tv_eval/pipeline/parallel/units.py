"""Work units: the requests a worker takes at a time, cut and ordered by what they are expected to cost.

Workers pull the next unit as soon as they finish one, and units go out most expensive first (the
longest-processing-time rule), so a worker that drew long prompts, many images or long answers simply
takes fewer units: the load balances by cost rather than by count, and no worker is left with one
long unit at the end while the others wait. A unit holds requests of similar cost, so a batch backend
pads little inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from tv_eval.core.types import Request

# Rough prompt-token equivalents: a character of text, an image, a video frame, a generated token.
# Only their proportions matter: a generated token costs a forward pass, a prompt token a share of one.
CHARS_PER_TOKEN = 4
IMAGE_COST = 256
FRAME_COST = 64
NEW_TOKEN_COST = 8


class UnitKind(str, Enum):
    GENERATE = "generate"
    LOGLIKELIHOOD = "loglikelihood"


@dataclass(frozen=True)
class WorkUnit:
    """Requests handed to one worker in one call; `positions` are their places in the caller's list."""

    unit_id: int
    kind: UnitKind
    positions: tuple[int, ...]
    requests: tuple[Request, ...]
    cost: float


def expected_cost(request: Request) -> float:
    """What a request is expected to cost a model, in prompt-token equivalents."""
    prompt = len(request.prompt_text) / CHARS_PER_TOKEN
    media = IMAGE_COST * len(request.images) + FRAME_COST * sum(v.num_frames for v in request.videos)
    if request.continuation is not None:
        return prompt + media + len(request.continuation) / CHARS_PER_TOKEN
    return prompt + media + NEW_TOKEN_COST * request.generation.max_new_tokens


def plan_units(requests: Sequence[Request], unit_size: int, kind: UnitKind) -> list[WorkUnit]:
    """Units of at most `unit_size` requests of similar cost, the most expensive unit first."""
    if unit_size < 1:
        raise ValueError(f"unit_size must be at least 1, got {unit_size}")
    costs = [expected_cost(request) for request in requests]
    order = sorted(range(len(requests)), key=lambda position: costs[position], reverse=True)
    slices = [order[start : start + unit_size] for start in range(0, len(order), unit_size)]
    units = [
        WorkUnit(
            unit_id=unit_id,
            kind=kind,
            positions=tuple(positions),
            requests=tuple(requests[position] for position in positions),
            cost=sum(costs[position] for position in positions),
        )
        for unit_id, positions in enumerate(slices)
    ]
    return sorted(units, key=lambda unit: unit.cost, reverse=True)


def unit_size_for(total: int, workers: int, batch_size: int | None, streaming: bool) -> int:
    """How many requests a unit holds: a batch backend's batch (its own default when 'auto'); a
    streaming backend (vLLM, an API) does its own batching and gets large units, at least four per
    worker so the cost balancing still has something to balance."""
    if streaming:
        return max(1, min(256, -(-total // (4 * workers))))
    return batch_size or 8
