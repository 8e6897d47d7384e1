"""Run directories without a model: records written through the core's own aggregation and results code.

Leaderboard, transfer and gate tests (and bench/gate_timing.py) need runs with known per-sample
scores; producing them with `aggregate_task` and `build_results` keeps the files identical in shape
to what `tv-eval run` writes, and `validate_results` checks them against the schema.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tv_eval.core.io import atomic_write_json
from tv_eval.core.metrics import MetricSpec, segment_metric
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.report.console import leaderboard_markdown
from tv_eval.results.aggregation import aggregate_task
from tv_eval.results.corpus_aggregation import corpus_metrics_of
from tv_eval.results.document import build_results, validate_results

# Languages of every Joshi class, two in some classes so tier means are means over languages.
LANGUAGES = ("en", "de", "hi", "bn", "sw", "am", "si", "ku")


def synthetic_records(
    skill: Mapping[str, float],
    *,
    per_language: int,
    questions_per_image: int = 3,
    seed: int = 0,
    task: str = "alm_bench",
    failed_every: int = 0,
    judge_every: int = 0,
) -> list[ScoredSample]:
    """Per language, `per_language` samples with ids shared across models, correct with P = skill[lang].

    Samples i, i+1, ... share an image (cluster) in groups of `questions_per_image`. Every
    `failed_every`-th sample is a failure and every `judge_every`-th waits for a judge (0: none).
    """
    tier_map = joshi_tier_map()
    generator = random.Random(seed)
    records = []
    for language, probability in skill.items():
        for index in range(per_language):
            sample_id = f"{language}-{index:04d}"
            correct = generator.random() < probability
            status, scores, error = SampleStatus.SCORED, {"accuracy": float(correct)}, None
            if failed_every and index % failed_every == failed_every - 1:
                status, scores, error = SampleStatus.FAILED, {}, "no response"
            elif judge_every and index % judge_every == judge_every - 1:
                status, scores = SampleStatus.NEEDS_JUDGE, {}
            records.append(
                ScoredSample(
                    sample_id=sample_id,
                    task=task,
                    language=language,
                    tier=tier_map.tier_of(language),
                    status=status,
                    prompt=f"user: <image>question {index} ({language})",
                    prediction=None if status is SampleStatus.FAILED else ("A" if correct else "B"),
                    reference="A",
                    scores=scores,
                    extracted=None if status is not SampleStatus.SCORED else ("A" if correct else "B"),
                    error=error,
                    cluster_id=f"{language}-image-{index // questions_per_image}",
                    question_type="mcq",
                )
            )
    return records


def task_specs(overrides: Mapping[str, Any]) -> tuple[MetricSpec, ...]:
    """`metrics` (specs) from the overrides, else one 0-1 segment metric named by `primary_metric`."""
    if "metrics" in overrides:
        return tuple(overrides["metrics"])
    return (segment_metric(overrides.get("primary_metric", "accuracy"), primary=True),)


def _task_entry(task: str, size: int, task_overrides: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """The task's run.json entry and a stand-in task object declaring its metric specs."""
    overrides = dict(task_overrides)
    specs = task_specs(overrides)
    overrides.pop("primary_metric", None)
    overrides.pop("metrics", None)
    dataset = {
        "dataset_id": "MBZUAI/ALM-Bench",
        "split": "test",
        "revision": "r1",
        "fingerprint": "f1",
        "source": "hub",
        "num_rows": size,
        **overrides.pop("dataset", {}),
    }
    entry = {
        "scoring": "robust",
        "prompts_hash": "0ee6b2e3365a1399",
        "dataset": dataset,
        "num_samples": size,
        **overrides,
    }
    described = SimpleNamespace(
        description=f"{task} (synthetic)", protocol_notes={}, reported_specs=lambda scoring: specs
    )
    return entry, described


def write_run(
    run_dir: Path,
    model: str,
    records_by_task: Mapping[str, Sequence[ScoredSample]],
    *,
    task_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    smoke: bool = False,
    n_resamples: int = 200,
) -> Path:
    """run.json, samples.jsonl, results.json (schema-checked) and leaderboard.md, as the runner writes."""
    tier_map = joshi_tier_map()
    tasks_run: dict[str, Any] = {}
    task_objects: dict[str, Any] = {}
    for task, records in records_by_task.items():
        tasks_run[task], task_objects[task] = _task_entry(
            task, len(records), (task_overrides or {}).get(task, {})
        )
    run_record = {
        "run_id": run_dir.name,
        "status": "complete",
        "smoke_run": smoke,
        "model": {"name": model, "adapter": "none", "model_id": model, "revision": None},
        "tasks": tasks_run,
        "seed": 0,
        "tier_map": tier_map.name,
    }
    aggregates = {}
    for task, records in records_by_task.items():
        specs = task_objects[task].reported_specs("robust")
        aggregates[task] = aggregate_task(
            records,
            tier_map=tier_map,
            n_resamples=n_resamples,
            corpus_metrics=corpus_metrics_of(specs),
            specs=specs,
        )
    results = build_results(run_record, task_objects, aggregates)
    validate_results(results)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / "run.json", run_record)
    atomic_write_json(run_dir / "results.json", results)
    with (run_dir / "samples.jsonl").open("w", encoding="utf-8") as handle:
        for records in records_by_task.values():
            for record in records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    (run_dir / "leaderboard.md").write_text(leaderboard_markdown(results), encoding="utf-8")
    return run_dir
