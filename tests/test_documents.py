"""The typed documents: the committed results schema is what the model generates, invalid documents
are rejected (by the model and by the committed schema alike), and run.json gives back the RunConfig."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from tests.conftest import results_document
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.aggregation import aggregate_task
from tv_eval.results.document import ResultsSchemaError, validate_results
from tv_eval.results.run_document import JudgeOptions, RunConfig, RunModel, RunRecord, read_run_record
from tv_eval.results.schema_file import committed_schema_path, generated_schema

RECORDS = [
    ScoredSample(
        sample_id=str(index),
        task="t",
        language=language,
        tier="?",
        status=SampleStatus.SCORED,
        prompt="p",
        prediction="A",
        reference="A",
        scores={"accuracy": float(index % 2)},
        question_type="mcq",
    )
    for index, language in enumerate(["en", "de", "sw", "en", "de", "sw"])
]


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    block = aggregate_task(RECORDS, tier_map=joshi_tier_map(), breakdowns=("question_type",), n_resamples=50)
    return results_document(block)


def test_committed_schema_is_generated_from_the_model() -> None:
    committed = json.loads(committed_schema_path().read_text(encoding="utf-8"))
    assert committed == generated_schema(), "regenerate: python -m tv_eval.results.schema_file"


def test_valid_document_passes_model_and_schema(valid: dict[str, Any]) -> None:
    document = validate_results(valid)
    jsonschema.validate(valid, generated_schema())
    assert document.to_json() == valid
    task = document.tasks["t"]
    assert task.counts.total == 6 and set(task.facets()) == {"question_type"}


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


INVALID = {
    "bare number as a metric": _set(("tasks", "t", "overall", "accuracy"), 0.5),
    "negative count": _set(("tasks", "t", "counts", "failed"), -1),
    "count as a string": _set(("tasks", "t", "counts", "total"), "6"),
    "interval of three ends": _set(("tasks", "t", "overall", "accuracy", "ci95"), [0.1, 0.2, 0.3]),
    "extra key in a metric": _set(("tasks", "t", "overall", "accuracy", "mean"), 0.5),
    "missing primary metric": _drop(("tasks", "t", "primary_metric")),
    "missing model id": _drop(("model", "model_id")),
    "unknown schema version": _set(("schema_version",), "2"),
    "unknown task field": _set(("tasks", "t", "notes"), {}),
    "facet that is not grouped metrics": _set(("tasks", "t", "by_category"), {"x": 1}),
    "no tasks": _set(("tasks",), {}),
    "unknown metric kind": _set(
        ("tasks", "t", "metric_info"), {"accuracy": {"kind": "mean", "scale": "0-1"}}
    ),
}


@pytest.mark.parametrize("change", INVALID.values(), ids=INVALID.keys())
def test_invalid_documents_are_rejected(
    valid: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> None:
    document = copy.deepcopy(valid)
    change(document)
    with pytest.raises(ResultsSchemaError, match=r"results\.json invalid at /"):
        validate_results(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, generated_schema())


def test_run_record_gives_back_the_run_config(tmp_path: Path) -> None:
    config = RunConfig(
        model="tiny-random",
        tasks=("alm_bench", "multi30k"),
        languages=("de", "sw"),
        tiers=("5",),
        tier_map=tmp_path / "tiers.toml",
        limit=7,
        batch_size=4,
        use_sample=True,
        video_frames=3,
        judge=JudgeOptions(model="openai:judge", base_url="http://127.0.0.1:1", concurrency=2),
        task_options={"multi30k": {"test_sets": "2016"}},
        max_failure_rate=0.5,
        use_cache=False,
        cache_dir=tmp_path / "cache",
        resume_dir=tmp_path / "run",
    )
    record = RunRecord(
        run_id="r",
        status="complete",
        model=RunModel(name="tiny-random", adapter="tiny_random", model_id="tiny-random"),
        tasks={},
        config=config,
        tier_map="tiers.toml",
    )
    (tmp_path / "run.json").write_text(json.dumps(record.to_json()), encoding="utf-8")
    written = json.loads((tmp_path / "run.json").read_text())
    assert not {"use_cache", "cache_dir", "resume_dir"} & set(written["config"])
    restored = read_run_record(tmp_path).config
    assert restored == config.model_copy(update={"use_cache": True, "cache_dir": None, "resume_dir": None})
    assert restored.adapter_options == {}
    assert set(written) == {"run_id", "status", "model", "tasks", "config", "tier_map"}


@pytest.mark.parametrize(
    "fields",
    [{"limit": 0}, {"tasks": ()}, {"max_failure_rate": 2.0}, {"unknown_option": 1}],
    ids=["limit 0", "no tasks", "failure rate over 1", "unknown option"],
)
def test_run_config_rejects_what_the_cli_would(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RunConfig.model_validate({"model": "m", "tasks": ("t",), **fields})
