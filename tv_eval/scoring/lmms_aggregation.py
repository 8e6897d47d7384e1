"""lmms-eval metrics that are not means of per-document values, aggregated by lmms-eval itself, per group.

lmms-eval's process_results gives each document an item per metric, and the task's aggregation
function turns a list of items into the metric (a BLEU over (reference, prediction) pairs, a ratio of
sums). tv-eval keeps each item in the record's `details` and, for every group (overall, language,
tier, sub-task) and every bootstrap replicate, hands the group's items to that same function in the
lmms-eval worker. As a `CorpusMetric`, each record's statistics row is its indicator vector, so a
group's (or a resample's) summed row counts how often each record's item enters the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tv_eval.bridges.lmms_client import shared_worker
from tv_eval.core.metrics import MetricKind, MetricScale, MetricSpec
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.scoring.corpus_metrics import CorpusMetric

if TYPE_CHECKING:
    import numpy as np

IMPLEMENTATION = "lmms-eval aggregation"
ITEM_PREFIX = "lmms_item:"


def item_key(metric: str) -> str:
    """Where a record's `details` keep its lmms-eval item for `metric`."""
    return f"{ITEM_PREFIX}{metric}"


def lmms_corpus_spec(
    metric: str,
    aggregation: str,
    lmms_task: str,
    include_path: str | None,
    *,
    higher_is_better: bool,
    primary: bool,
) -> MetricSpec:
    """The spec of an lmms-eval metric with its own aggregation; its params let a saved run be
    re-aggregated (the worker reloads the task to find the function)."""
    params = {"implementation": IMPLEMENTATION, "aggregation": aggregation, "lmms_task": lmms_task}
    if include_path:
        params["include_path"] = include_path
    return MetricSpec(
        metric,
        MetricKind.CORPUS,
        MetricScale.UNIT,
        higher_is_better=higher_is_better,
        primary=primary,
        description=f"lmms-eval's {aggregation} over the group's process_results items",
        params=params,
    )


def is_lmms_spec(spec: MetricSpec) -> bool:
    return spec.params.get("implementation") == IMPLEMENTATION


def repeated_items(items: Sequence[Any], counts: Sequence[float]) -> list[Any]:
    """Each item as often as its count says (a group's members once, a resample's as drawn), in order."""
    return [item for item, count in zip(items, counts, strict=True) for _ in range(round(float(count)))]


class LmmsAggregation(CorpusMetric):
    """One lmms-eval metric aggregated by its task's function; see the module docstring."""

    def __init__(self, spec: MetricSpec) -> None:
        self.name = spec.name
        self.spec = spec
        self._items: list[Any] = []

    def applies(self, record: ScoredSample) -> bool:
        return record.status is SampleStatus.SCORED and item_key(self.name) in record.details

    def statistics(self, records: Sequence[ScoredSample]) -> np.ndarray:
        import numpy as np

        self._items = [record.details[item_key(self.name)] for record in records]
        return np.eye(len(records))

    def score(self, totals: np.ndarray) -> float:
        items = repeated_items(self._items, totals)
        value = shared_worker().call(
            "aggregate",
            task=self.spec.params["lmms_task"],
            include_path=self.spec.params.get("include_path"),
            metric=self.name,
            items=items,
        )
        return float(value)

    def describe(self, records: Sequence[ScoredSample]) -> dict[str, Any]:
        return {
            "implementation": IMPLEMENTATION,
            "aggregation": self.spec.params["aggregation"],
            "lmms_task": self.spec.params["lmms_task"],
            "segments": sum(1 for record in records if self.applies(record)),
        }
