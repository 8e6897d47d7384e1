"""Scorers that run once over all of a task's records after generation, such as COMET.

A learned metric is too expensive to start per sample, and may run in another environment, so it
scores the whole task in one batched call after the model has been released. Its segment scores join
each record's per-sample `scores`, so aggregation treats them like any per-sample metric (the mean of
segment scores is COMET's system score). Fail closed: a scorer that fails leaves its metric missing
from every record and its error in the results (`failed_metrics`, the metric's value null), never a
silent substitute; when that metric is the task's primary one, `run` and `score` exit 1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tv_eval.core.types import SampleStatus, ScoredSample


class BatchScoringError(RuntimeError):
    """A scorer that could not score the batch; the run keeps its other results."""


@dataclass(frozen=True)
class SegmentScore:
    """One record's score from a batch scorer, with optional evidence (e.g. xCOMET's error spans)."""

    value: float
    details: Mapping[str, Any] = field(default_factory=dict)


class BatchScorer(ABC):
    name: str

    def applies(self, record: ScoredSample) -> bool:
        """Records the scorer scores: scored samples with an answer (translation hypothesis)."""
        return record.status is SampleStatus.SCORED and record.extracted is not None

    @abstractmethod
    def prepare(self) -> None:
        """Set-up and checks before any model loads; raise TaskConfigError for what cannot work."""

    @abstractmethod
    def score(self, records: Sequence[ScoredSample]) -> list[SegmentScore]:
        """One score per record, in order; raise BatchScoringError when the batch cannot be scored."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What results.json states about the scorer: model, implementation, timings (its kind and
        scale come from the task's metric spec)."""


def apply_batch_scorers(
    scorers: Sequence[BatchScorer], records: Sequence[ScoredSample]
) -> tuple[list[ScoredSample], dict[str, dict[str, Any]]]:
    """Records with every scorer's scores added, and each scorer's description (or error)."""
    updated = list(records)
    info: dict[str, dict[str, Any]] = {}
    for scorer in scorers:
        positions = [index for index, record in enumerate(updated) if scorer.applies(record)]
        try:
            scores = scorer.score([updated[index] for index in positions]) if positions else []
        except BatchScoringError as error:
            info[scorer.name] = {**scorer.describe(), "error": str(error)}
            continue
        for index, segment in zip(positions, scores, strict=True):
            record = updated[index]
            updated[index] = replace(
                record,
                scores={**record.scores, scorer.name: segment.value},
                details={**record.details, **segment.details},
            )
        info[scorer.name] = scorer.describe()
    return updated, info
