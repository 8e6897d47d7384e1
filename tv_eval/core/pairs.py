"""How a sample says which item it answers in another language, so transfer can compare like with like.

Two ways, both in `Sample.metadata`:

- a task that asks each item again in the pivot language (ALM-Bench's `pivot_pairs`) gives both
  samples the same `pair_key`, and marks the extra one with `pair_role: "pivot"` and the language of
  the item it stands beside (`pivot_for`). Such a pivot sample is a sample of its own (own id, cache
  entry, score), but it is not part of its language's results: aggregation keeps it out of the task's
  overall, per-language and per-tier numbers and reports it apart (`by_pivot_target`);
- a benchmark whose items are parallel across languages gives each sample the item's `parallel_id`:
  a sample pairs with the pivot-language sample of the same id, which is an ordinary sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PAIR_KEY = "pair_key"
PAIR_ROLE = "pair_role"
PIVOT_ROLE = "pivot"
PIVOT_FOR = "pivot_for"
PARALLEL_ID = "parallel_id"


def is_pivot(metadata: Mapping[str, Any]) -> bool:
    """True for a sample a task added to ask an item again in the pivot language."""
    return metadata.get(PAIR_ROLE) == PIVOT_ROLE


def pivot_metadata(pair_key: str, target_language: str) -> dict[str, str]:
    """The metadata that marks a pivot sample and links it to its target item."""
    return {PAIR_KEY: pair_key, PAIR_ROLE: PIVOT_ROLE, PIVOT_FOR: target_language}
