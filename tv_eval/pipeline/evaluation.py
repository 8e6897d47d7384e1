"""Every task goes through here: each sample's record goes to samples.jsonl the moment its answer
is known (background_writer.py), so an interrupted run loses nothing it finished. Generated answers stream: a
streaming (API) adapter has the whole task under way at once, so a slow retry holds up only its
own sample; a batch adapter works through windows of the chunk size. Log-likelihood tasks go chunk
by chunk (loglikelihood.py), all of a chunk's continuations in one adapter call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tv_eval.core.task import RequestType, ScoringMode, Task
from tv_eval.core.types import Request, Response, Sample, ScoredSample
from tv_eval.pipeline.background_writer import BackgroundWriter
from tv_eval.pipeline.generation import CachedGeneration
from tv_eval.pipeline.loglikelihood import score_loglikelihood_chunk
from tv_eval.pipeline.records import score_sample, split_for_model
from tv_eval.results.samples_file import SamplesAppender

if TYPE_CHECKING:
    from tv_eval.pipeline.preparation import PreparedTask
    from tv_eval.pipeline.run_types import ProgressHandle

REPLACED_CODE_POINTS = "replaced_code_points"


def stream_generated(
    task: Task,
    samples: Sequence[Sample],
    scoring: ScoringMode,
    generation: CachedGeneration,
    writer: SamplesAppender,
    window: int,
    progress: ProgressHandle,
) -> list[ScoredSample]:
    """Each sample scored and written as its answer arrives, on the writer's thread while the model goes
    on; the records come back in sample order."""
    requests = [task.build_request(sample, scoring) for sample in samples]
    finished: dict[int, ScoredSample] = {}
    background = BackgroundWriter(writer)

    def records_of(positions: Sequence[int], responses: Sequence[Response]) -> list[ScoredSample]:
        batch = [
            _generated_record(task, samples[position], scoring, requests[position], response)
            for position, response in zip(positions, responses, strict=True)
        ]
        finished.update(zip(positions, batch, strict=True))
        progress.advance(len(batch))
        return batch

    def on_responses(positions: Sequence[int], responses: Sequence[Response]) -> None:
        answered = (list(positions), list(responses))
        background.submit(lambda: records_of(*answered))

    try:
        generation.stream(requests, on_responses, window)
    finally:
        background.close()
    return [finished[position] for position in range(len(samples))]


def _generated_record(
    task: Task, sample: Sample, scoring: ScoringMode, request: Request, response: Response
) -> ScoredSample:
    """The task's verdict on the answer; a reply that had code points replaced says how many."""
    prediction = response.text if response.error is None else None
    record = score_sample(task, sample, scoring, request.prompt_text, prediction, response.error)
    if not response.replaced_code_points:
        return record
    return replace(record, details={**record.details, REPLACED_CODE_POINTS: response.replaced_code_points})


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
    """The task's records: those settled without the model first, then the model's, in sample order."""
    task, scoring = prepared.task, prepared.scoring
    runnable, records = split_for_model(task, prepared.samples, scoring)
    writer.write(records)
    if task.request_type is RequestType.GENERATE:
        records.extend(stream_generated(task, runnable, scoring, generation, writer, chunk_size, progress))
    else:
        for chunk in _chunks(runnable, chunk_size):
            chunk_records = score_loglikelihood_chunk(task, chunk, scoring, generation)
            writer.write(chunk_records)
            records.extend(chunk_records)
            progress.advance(len(chunk))
    progress.close()
    return records
