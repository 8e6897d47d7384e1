"""What a metric is, declared by the task that computes it: the contract results, re-scoring,
leaderboards and the gate read instead of guessing from the keys they find in records.

A task declares its specs statelessly (from its configuration and scoring mode, never from whether
data was loaded), exactly one of them primary. Finished runs carry their specs in results.json, so a
reader of a saved run needs neither the task nor its data to know what a number means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any


class MetricKind(str, Enum):
    """`segment`: each sample carries its own value in `scores`. `corpus`: only a group of segments has
    a value (BLEU, chrF), computed from the group's summed sufficient statistics."""

    SEGMENT = "segment"
    CORPUS = "corpus"


class MetricScale(str, Enum):
    UNIT = "0-1"
    PERCENT = "0-100"


class Aggregation(str, Enum):
    """How a group's value is formed: the mean of its segments' values, or the corpus statistic
    recomputed on the group's summed segment statistics."""

    MEAN = "mean"
    CORPUS_STATISTIC = "corpus_statistic"


class IntervalMethod(str, Enum):
    """How a group's 95% interval is drawn: clusters (images) are resampled and the aggregate is
    recomputed on each resample (the mean, or the corpus statistic on the resampled segments)."""

    CLUSTER_BOOTSTRAP = "cluster_bootstrap"


class MetricSpecError(ValueError):
    """A set of metric specs that cannot describe a task: no primary, two primaries, duplicate names."""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: MetricKind
    scale: MetricScale = MetricScale.UNIT
    higher_is_better: bool = True
    primary: bool = False
    description: str = ""

    @property
    def aggregation(self) -> Aggregation:
        return Aggregation.CORPUS_STATISTIC if self.kind is MetricKind.CORPUS else Aggregation.MEAN

    @property
    def interval(self) -> IntervalMethod:
        return IntervalMethod.CLUSTER_BOOTSTRAP

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "scale": self.scale.value,
            "higher_is_better": self.higher_is_better,
            "primary": self.primary,
            "aggregation": self.aggregation.value,
            "interval": self.interval.value,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricSpec:
        return cls(
            name=data["name"],
            kind=MetricKind(data["kind"]),
            scale=MetricScale(data["scale"]),
            higher_is_better=bool(data.get("higher_is_better", True)),
            primary=bool(data.get("primary", False)),
            description=str(data.get("description", "")),
        )


def check_specs(specs: Sequence[MetricSpec], owner: str) -> tuple[MetricSpec, ...]:
    """The specs unchanged when they form a valid set: unique names and exactly one primary."""
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise MetricSpecError(f"{owner} declares metric(s) twice: {', '.join(duplicates)}")
    primaries = [spec.name for spec in specs if spec.primary]
    if len(primaries) != 1:
        found = ", ".join(primaries) or "none"
        raise MetricSpecError(f"{owner} must declare exactly one primary metric (found: {found})")
    return tuple(specs)


def primary_spec(specs: Iterable[MetricSpec]) -> MetricSpec:
    """The primary metric of a set that `check_specs` accepted."""
    for spec in specs:
        if spec.primary:
            return spec
    raise MetricSpecError("no primary metric declared")
