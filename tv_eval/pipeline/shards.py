"""`--shard i/N`: which samples a shard runs.

A sample belongs to shard `1 + H(task, sample id) mod N`, H a SHA-256 digest. The rule looks only at
the sample's own identity, never at its position in a list, so every machine assigns every sample to
the same shard even if it read the data in another order, and the N shards partition any selection.
Shards are numbered 1..N, as Slurm array indices usually are (`--array=1-N`).

The filters (`--languages`, `--tiers`, `--limit`) choose the run's samples first; the shard takes its
share of that selection. Each shard records the whole selection's ids in the order an unsharded run
writes them (run.json's `task_sample_ids`), so `tv-eval merge` can rebuild that order and report gaps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tv_eval.core.types import Sample

_SHARD_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardSpecError(ValueError):
    """A `--shard` value that is not `i/N` with 1 <= i <= N."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`"2/4"` -> Shard(2, 4); anything else is a ShardSpecError saying what is wrong in one line."""
    match = _SHARD_PATTERN.fullmatch(text)
    if match is None:
        raise ShardSpecError(f"--shard must look like i/N (e.g. 1/4), got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ShardSpecError(f"--shard {text}: the number of shards N must be at least 1")
    if not 1 <= index <= count:
        raise ShardSpecError(f"--shard {text}: shards are numbered 1 to {count}")
    return Shard(index=index, count=count)


def shard_of(task: str, sample_id: str, count: int) -> int:
    """The shard (1..count) that runs this sample of this task."""
    digest = hashlib.sha256(f"{task}\x1f{sample_id}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def shard_samples(task: str, samples: Sequence[Sample], shard: Shard) -> list[Sample]:
    """The shard's share of `samples`, in their order."""
    return [sample for sample in samples if shard_of(task, sample.sample_id, shard.count) == shard.index]
