"""From a sample and what the model said to a persisted record; from records to results files.

Shared by `run` and `score`, so a re-scored run is written exactly as a fresh one would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.task import SUBMISSION_FILE, Score, SubmissionFile, Task
from tv_eval.core.types import Sample, SampleStatus, ScoredSample
from tv_eval.data.tiers import TierMap
from tv_eval.judge.judging import attach_judge
from tv_eval.report.console import leaderboard_markdown
from tv_eval.results.aggregation import aggregate_task
from tv_eval.results.document import ResultsDocument, build_results, validate_results
from tv_eval.results.run_document import RESULTS_FILE, RunRecord
from tv_eval.results.samples_file import write_samples
from tv_eval.scoring.answer_language import checked_record


def score_sample(
    task: Task,
    sample: Sample,
    scoring: str,
    prompt: str,
    prediction: str | None,
    response_error: str | None,
    verdict: Score | None = None,
) -> ScoredSample:
    """The task's verdict, or a counted failure: data errors, model errors and empty answers are
    recorded with their reason and never scored as if they were answers. `verdict` is given when
    the task judged the sample itself (log-likelihood tasks); otherwise the task scores `prediction`.
    Where the task expects the answer in a language, the answer's language is checked too."""
    scores: Mapping[str, float] = {}
    details: Mapping[str, Any] = {}
    extracted = None
    unusable = task.sample_error(sample, scoring)
    if unusable:
        status, error = SampleStatus.FAILED, unusable
    elif not task.needs_model(sample, scoring):
        status, error = SampleStatus.EXCLUDED, None
    elif response_error is not None or prediction is None:
        status, error = SampleStatus.FAILED, response_error or "no saved prediction for this sample"
    elif not prediction.strip() and verdict is None:
        status, error = SampleStatus.FAILED, "empty prediction"
    else:
        verdict = verdict or task.score(sample, prediction, scoring)
        status, scores, extracted, error = verdict.status, verdict.scores, verdict.extracted, verdict.error
        details = verdict.details
    record = ScoredSample(
        sample_id=sample.sample_id,
        task=sample.task,
        language=sample.language,
        tier=sample.tier,
        status=status,
        prompt=prompt,
        prediction=prediction,
        reference=sample.reference,
        scores=dict(scores),
        extracted=extracted,
        error=error,
        cluster_id=sample.cluster_id,
        category=sample.category,
        question_type=sample.question_type,
        script=sample.script,
        country=sample.country,
        choices=sample.choices,
        metadata=sample.metadata,
        source=sample.text or None,
        details=dict(details),
    )
    return checked_record(record, task.expected_answer_language(sample, scoring))


def split_for_model(
    task: Task, samples: Sequence[Sample], scoring: str
) -> tuple[list[Sample], list[ScoredSample]]:
    """The samples the model must see, and the records of those it never will (bad data, or left
    out by the scoring protocol), which are final already."""
    runnable: list[Sample] = []
    settled: list[ScoredSample] = []
    for sample in samples:
        if not task.sample_error(sample, scoring) and task.needs_model(sample, scoring):
            runnable.append(sample)
        else:
            settled.append(score_sample(task, sample, scoring, "", None, None))
    return runnable, settled


def fresh_run_order(task: Task, samples: Sequence[Sample], scoring: str) -> list[Sample]:
    """The order an uninterrupted run writes records in (those settled without the model first, as
    evaluate_task does), so a resumed run, or shards merged, aggregate and bootstrap exactly as a
    fresh run."""
    settled = [s for s in samples if s.load_error or not task.needs_model(s, scoring)]
    settled_ids = {s.sample_id for s in settled}
    return settled + [s for s in samples if s.sample_id not in settled_ids]


def with_current_tiers(records: Sequence[ScoredSample], tier_map: TierMap) -> list[ScoredSample]:
    """The records with each tier looked up again in `tier_map`, so what samples.jsonl stores per
    sample is always the tier the results were aggregated under."""
    tiers = {language: tier_map.tier_of(language) for language in {record.language for record in records}}
    return [
        record if record.tier == tiers[record.language] else replace(record, tier=tiers[record.language])
        for record in records
    ]


def write_results(
    staged: StagedFiles,
    run_record: RunRecord,
    tasks: Mapping[str, Task],
    records: Mapping[str, Sequence[ScoredSample]],
    tier_map: TierMap,
    judge_summary: Mapping[str, Any] | None = None,
    metric_info: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResultsDocument:
    """Re-tier, aggregate and validate; then stage samples.jsonl, results.json and leaderboard.md.
    Every stage that changes records or their grouping ends here; the caller stages run.json beside
    them and commits, so all four change together or not at all.

    `metric_info` carries what batch scorers (COMET) reported about themselves, per task."""
    current = {name: with_current_tiers(records[name], tier_map) for name in tasks}
    aggregates = {}
    for name, task in tasks.items():
        scoring = run_record.tasks[name].scoring
        corpus = task.corpus_metrics(scoring)
        aggregates[name] = aggregate_task(
            current[name],
            tier_map=tier_map,
            breakdowns=task.breakdowns,
            seed=run_record.seed,
            corpus_metrics=corpus,
            specs=task.reported_specs(scoring),
        )
        info = {metric.name: metric.describe(current[name]) for metric in corpus} | dict(
            (metric_info or {}).get(name, {})
        )
        if info:
            aggregates[name]["metric_info"] = info
    results = attach_judge(build_results(run_record.to_json(), tasks, aggregates), judge_summary)
    document = validate_results(results)
    write_samples(staged, current)
    for name, task in tasks.items():
        submission = task.submission(current[name], run_record.tasks[name].scoring)
        if isinstance(submission, SubmissionFile):
            staged.write_text(
                SUBMISSION_FILE.format(task=name, extension=submission.extension), submission.text
            )
        elif submission is not None:
            staged.write_json(SUBMISSION_FILE.format(task=name, extension="json"), dict(submission))
    staged.write_json(RESULTS_FILE, document.to_json())
    staged.write_text("leaderboard.md", leaderboard_markdown(document.to_json()))
    return document
