"""Corpus-level metrics: scores of a whole group of segments, not means of per-sample scores.

BLEU and chrF are not averages of sentence scores: each is a function of n-gram statistics summed over
the corpus. A `CorpusMetric` therefore gives one row of sufficient statistics per segment and a score
for any sum of rows. Aggregation then works per group exactly as for means: the group's rows are
summed and scored (overall, per language, per tier, per facet), the macro variant averages per-language
scores, and bootstrap intervals redraw clusters of segments and rescore the redrawn sums.

Statistics are computed from what samples.jsonl holds (hypothesis in `extracted`, reference, language),
so saved runs can be re-aggregated without re-scoring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tv_eval.core.types import SampleStatus, ScoredSample

if TYPE_CHECKING:
    import numpy as np


class CorpusMetric(ABC):
    """A metric computed from summed per-segment statistics; see the module docstring."""

    name: str

    def applies(self, record: ScoredSample) -> bool:
        """Segments that enter the corpus: scored samples with a hypothesis."""
        return record.status is SampleStatus.SCORED and record.extracted is not None

    @abstractmethod
    def statistics(self, records: Sequence[ScoredSample]) -> np.ndarray:
        """One row of sufficient statistics per record (records that `applies` accepts)."""

    @abstractmethod
    def score(self, totals: np.ndarray) -> float:
        """The metric for a corpus whose summed statistics are `totals`."""

    @abstractmethod
    def describe(self, records: Sequence[ScoredSample]) -> dict[str, Any]:
        """What results.json states about how the metric was computed (signatures); its kind and scale
        come from its spec."""


@dataclass(frozen=True)
class SegmentTable:
    """A metric's statistics for every record it applies to, computed once per task."""

    metric: CorpusMetric
    rows: Mapping[str, int]
    stats: np.ndarray

    @classmethod
    def build(cls, metric: CorpusMetric, records: Sequence[ScoredSample]) -> SegmentTable:
        import numpy as np

        included = [record for record in records if metric.applies(record)]
        stats = metric.statistics(included) if included else np.zeros((0, 1))
        return cls(metric=metric, rows={r.sample_id: i for i, r in enumerate(included)}, stats=stats)

    def members(self, records: Sequence[ScoredSample]) -> list[tuple[ScoredSample, int]]:
        return [(record, self.rows[record.sample_id]) for record in records if record.sample_id in self.rows]
