"""Scoring `loglikelihood` tasks: each sample's continuations are scored and the task judges the values.

Contrastive benchmarks (CoMMuTE) ask which of several continuations the model finds more likely; the
adapter's batched `loglikelihood` does the model work, so requests of many samples share batches. The
chunk loop (evaluation.py) calls this once per chunk, as it calls generation for the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tv_eval.core.types import Request, Sample, ScoredSample
from tv_eval.pipeline.records import score_sample

if TYPE_CHECKING:
    from tv_eval.core.task import Task
    from tv_eval.pipeline.generation import CachedGeneration

UNSCORABLE = "log-likelihood could not be computed (request not renderable, too long or out of memory)"


def score_loglikelihood_chunk(
    task: Task, chunk: Sequence[Sample], scoring: str, generation: CachedGeneration
) -> list[ScoredSample]:
    """The records of one chunk: all its samples' continuations go to the adapter in one call."""
    per_sample = [task.loglikelihood_requests(sample, scoring) for sample in chunk]
    values = generation.loglikelihood([request for requests in per_sample for request in requests])
    records = []
    offset = 0
    for sample, requests in zip(chunk, per_sample, strict=True):
        records.append(_record(task, sample, scoring, requests, values[offset : offset + len(requests)]))
        offset += len(requests)
    return records


def _record(
    task: Task, sample: Sample, scoring: str, requests: Sequence[Request], values: Sequence[float]
) -> ScoredSample:
    """The sample's record; a value the adapter could not compute (NaN) fails the sample."""
    prompt = requests[0].prompt_text
    if any(math.isnan(value) for value in values):
        return score_sample(task, sample, scoring, prompt, None, UNSCORABLE)
    verdict = task.score_loglikelihoods(sample, values, scoring)
    return score_sample(task, sample, scoring, prompt, verdict.extracted or "", None, verdict=verdict)
