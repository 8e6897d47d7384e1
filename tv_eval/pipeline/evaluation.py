"""The chunk loop every task goes through: its samples in chunks, each chunk's records persisted before
the next starts, so an interrupted run loses at most one chunk. What a chunk asks of the model follows
the task's request type: generated answers, or log-likelihoods of continuations (loglikelihood.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from tv_eval.core.task import RequestType, ScoringMode, Task
from tv_eval.core.types import Request, Response, Sample, ScoredSample
from tv_eval.pipeline.generation import CachedGeneration
from tv_eval.pipeline.loglikelihood import score_loglikelihood_chunk
from tv_eval.pipeline.records import score_sample, split_for_model
from tv_eval.results.samples_file import SamplesAppender

if TYPE_CHECKING:
    from tv_eval.pipeline.preparation import PreparedTask
    from tv_eval.pipeline.runner import ProgressHandle

ChunkScorer = Callable[[Task, Sequence[Sample], ScoringMode, CachedGeneration], list[ScoredSample]]


def score_generated_chunk(
    task: Task, chunk: Sequence[Sample], scoring: ScoringMode, generation: CachedGeneration
) -> list[ScoredSample]:
    """One generated answer per sample, scored by the task."""
    requests = [task.build_request(sample, scoring) for sample in chunk]
    responses = generation.generate(requests)
    return [
        _generated_record(task, sample, scoring, request, response)
        for sample, request, response in zip(chunk, requests, responses, strict=True)
    ]


def _generated_record(
    task: Task, sample: Sample, scoring: ScoringMode, request: Request, response: Response
) -> ScoredSample:
    prediction = response.text if response.error is None else None
    return score_sample(task, sample, scoring, request.prompt_text, prediction, response.error)


CHUNK_SCORERS: Mapping[RequestType, ChunkScorer] = {
    RequestType.GENERATE: score_generated_chunk,
    RequestType.LOGLIKELIHOOD: score_loglikelihood_chunk,
}


def _chunks(items: Sequence[Sample], size: int) -> Iterator[Sequence[Sample]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def evaluate_task(
    prepared: PreparedTask,
    generation: CachedGeneration,
    writer: SamplesAppender,
    chunk_size: int,
    progress: ProgressHandle,
) -> list[ScoredSample]:
    """The task's records: those settled without the model first, then chunk by chunk."""
    task, scoring = prepared.task, prepared.scoring
    score_chunk = CHUNK_SCORERS[task.request_type]
    runnable, records = split_for_model(task, prepared.samples, scoring)
    writer.write(records)
    for chunk in _chunks(runnable, chunk_size):
        chunk_records = score_chunk(task, chunk, scoring, generation)
        writer.write(chunk_records)
        records.extend(chunk_records)
        progress.advance(len(chunk))
    progress.close()
    return records
