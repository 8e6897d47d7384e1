"""The corpus metric a saved spec declares, whichever family it belongs to: what re-aggregation, the
leaderboard and the gate use to recompute a corpus metric from saved segments."""

from __future__ import annotations

from tv_eval.core.metrics import MetricSpec
from tv_eval.scoring.cider import CIDER, CiderMetric
from tv_eval.scoring.corpus_metrics import CorpusMetric
from tv_eval.scoring.lmms_aggregation import LmmsAggregation, is_lmms_spec
from tv_eval.scoring.ocr_tokens import MICRO_F1, OcrMicroF1
from tv_eval.scoring.sacrebleu_metrics import corpus_metric_of as sacrebleu_metric_of


def corpus_metric_of(spec: MetricSpec) -> CorpusMetric:
    """CIDEr, CC-OCR micro F1, an lmms-eval task's own aggregation, or a sacrebleu metric, rebuilt
    from its spec."""
    if is_lmms_spec(spec):
        return LmmsAggregation(spec)
    if spec.name == CIDER:
        return CiderMetric()
    if spec.name == MICRO_F1:
        return OcrMicroF1(spec.params["track"])
    return sacrebleu_metric_of(spec)
