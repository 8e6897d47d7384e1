"""A saved record is enough to judge its sample: the judge prompt built from samples.jsonl equals the one
built from the dataset, for every judged task's bundled sample."""

from __future__ import annotations

import json

import pytest

from tv_eval.core import registry
from tv_eval.core.task import DataSource
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.records import score_sample


@pytest.mark.parametrize("name", ["alm_bench", "cultural_vqa", "vimul_bench"])
def test_judge_prompt_from_a_saved_record_equals_the_datasets(name: str) -> None:
    task = registry.load_task(name)
    task.configure({})
    scoring = task.default_scoring
    samples = task.load(DataSource(use_sample=True), joshi_tier_map()).samples
    compared = 0
    for sample in samples:
        if sample.load_error or task.judge_prompt(sample, "an answer", scoring) is None:
            continue
        record = score_sample(task, sample, scoring, "prompt", "an answer", None)
        saved = ScoredSample.from_json(json.loads(json.dumps(record.to_json())))
        assert task.judge_prompt(saved.to_sample(), "an answer", scoring) == task.judge_prompt(
            sample, "an answer", scoring
        )
        compared += 1
    assert compared > 0
