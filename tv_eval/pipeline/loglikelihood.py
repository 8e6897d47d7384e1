"""Running `loglikelihood` tasks: each sample's continuations are scored and the task judges the values.

Contrastive benchmarks (CoMMuTE) ask which of several continuations the model finds more likely; the
adapter's batched `loglikelihood` does the model work, so requests of many samples share batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tv_eval.core.types import Request, Sample, ScoredSample
from tv_eval.pipeline.records import score_sample, split_for_model
from tv_eval.results.samples_file import SamplesAppender

if TYPE_CHECKING:
    from tv_eval.core.task import Task
    from tv_eval.pipeline.generation import CachedGeneration
    from tv_eval.pipeline.preparation import PreparedTask
    from tv_eval.pipeline.runner import ProgressHandle

UNSCORABLE = "log-likelihood could not be computed (request not renderable, too long or out of memory)"


def evaluate_loglikelihood_task(
    prepared: PreparedTask,
    generation: CachedGeneration,
    writer: SamplesAppender,
    chunk_size: int,
    progress: ProgressHandle,
) -> list[ScoredSample]:
    """Score in chunks of samples and persist each chunk's records before starting the next."""
    task, scoring = prepared.task, prepared.scoring
    runnable, records = split_for_model(task, prepared.samples, scoring)
    writer.write(records)
    for start in range(0, len(runnable), chunk_size):
        chunk = runnable[start : start + chunk_size]
        per_sample = [task.loglikelihood_requests(sample, scoring) for sample in chunk]
        values = generation.loglikelihood([request for requests in per_sample for request in requests])
        chunk_records = []
        offset = 0
        for sample, requests in zip(chunk, per_sample, strict=True):
            sample_values = values[offset : offset + len(requests)]
            offset += len(requests)
            chunk_records.append(_record(task, sample, scoring, requests, sample_values))
        writer.write(chunk_records)
        records.extend(chunk_records)
        progress.advance(len(chunk))
    progress.close()
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
