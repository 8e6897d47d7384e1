"""What a metric is, declared by the task that computes it: the contract results, re-scoring,
leaderboards and the gate read instead of guessing from the keys they find in records.

A task declares its specs statelessly (from its configuration and scoring mode, never from whether
data was loaded), exactly one of them primary. Finished runs carry their specs in results.json, so a
reader of a saved run needs neither the task nor its data to know what a number means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    # What a reader needs to recompute a corpus metric from saved segments (e.g. a BLEU tokenizer
    # override); empty for most metrics.
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def unit_factor(self) -> float:
        """Multiplier that brings a value onto the 0-1 scale (BLEU 34.2 -> 0.342)."""
        return 0.01 if self.scale is MetricScale.PERCENT else 1.0

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
            "params": dict(self.params),
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
            params={str(key): str(value) for key, value in (data.get("params") or {}).items()},
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


def segment_metric(name: str, *, primary: bool = False, description: str = "") -> MetricSpec:
    """A per-sample metric on the 0-1 scale, higher is better: what most benchmarks report."""
    return MetricSpec(name, MetricKind.SEGMENT, primary=primary, description=description)


def specs_of_task(block: Mapping[str, Any]) -> tuple[MetricSpec, ...]:
    """The specs a results.json task block declares.

    Documents written before specs existed (schema 1 without `metrics`) are read as they were then
    understood: the recorded primary metric, each metric's kind and scale from `metric_info` where it
    was stated, else a 0-1 segment metric.
    """
    if "metrics" in block:
        return tuple(MetricSpec.from_json(item) for item in block["metrics"])
    info = block.get("metric_info", {})
    names = dict.fromkeys(
        [*(name for name in block.get("overall", {}) if not name.endswith("_macro")), *info]
    )
    primary = block.get("primary_metric")
    return tuple(
        MetricSpec(
            name,
            MetricKind(info.get(name, {}).get("kind", MetricKind.SEGMENT.value)),
            MetricScale(info.get(name, {}).get("scale", MetricScale.UNIT.value)),
            primary=name == primary,
        )
        for name in [*names, *([primary] if primary and primary not in names else [])]
    )


def spec_named(specs: Iterable[MetricSpec], name: str) -> MetricSpec | None:
    return next((spec for spec in specs if spec.name == name), None)


# Answer-language fidelity (tv_eval/scoring/answer_language.py): declared beside a task's own metrics
# in the scoring modes where its answers are free text in a known language; never primary.
ANSWER_LANGUAGE = "answer_language"
ANSWER_LANGUAGE_UNIDENTIFIED = "answer_language_unidentified"


def answer_language_specs() -> tuple[MetricSpec, MetricSpec]:
    return (
        segment_metric(
            ANSWER_LANGUAGE,
            description="share of identified answers in the expected language, every line "
            "(line-level pass rate, Marchisio et al. 2024); unidentified answers left out",
        ),
        MetricSpec(
            ANSWER_LANGUAGE_UNIDENTIFIED,
            MetricKind.SEGMENT,
            higher_is_better=False,
            description="share of checked answers too short or too uncertain to identify "
            "(value x n = their count); left out of answer_language",
        ),
    )
