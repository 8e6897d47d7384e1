"""A new benchmark on the declarative base (tests/toy_vqa: a config and ~50 lines of hooks) runs end to
end through the registry and the runner, from a parquet folder with image bytes to per-language results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.toy_vqa.task import ToyVqaTask
from tv_eval.core import registry
from tv_eval.core.adapter import BatchCallback, ModelAdapter
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, ModelIdentity, Request, Response, TextPart
from tv_eval.data.synthetic import shape_image
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.runner import run
from tv_eval.results.run_document import RunConfig

OPTIONS = ["red", "blue", "green"]
# language -> the correct letter of each of its questions; the scripted model always answers "B".
ANSWERS = {"en": "BBBB", "de": "BBAA", "sw": "CCCC"}


class AlwaysB(ModelAdapter):
    """A model that answers "B" and remembers what it was shown."""

    name = "always_b"
    version = "1"
    seen: ClassVar[list[Request]] = []

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(
            model_id="always-b", revision=None, adapter=self.name, adapter_version=self.version
        )

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        AlwaysB.seen.extend(requests)
        responses = [Response(request_id=request.request_id, text="B") for request in requests]
        if on_batch is not None:
            on_batch(list(range(len(requests))), responses)
        return responses


def _rows() -> list[dict[str, Any]]:
    rows = []
    for language, letters in ANSWERS.items():
        for index, letter in enumerate(letters):
            image = shape_image("circle", OPTIONS[index % 3])
            rows.append(
                {
                    "question_id": f"q{index}",  # repeated across languages: the base de-duplicates
                    "image": {"bytes": image, "path": None},
                    "question": f"[{language}] What colour is the circle?",
                    "options": OPTIONS,
                    "answer": letter,
                    "lang": language,
                }
            )
    rows.append({**rows[0], "question_id": "broken", "image": {"bytes": b"", "path": None}})
    return rows


@pytest.fixture
def toy_data(tmp_path: Path) -> Path:
    from datasets import Dataset, Features, Image, Sequence, Value

    features = Features(
        {
            "question_id": Value("string"),
            "image": Image(),
            "question": Value("string"),
            "options": Sequence(Value("string")),
            "answer": Value("string"),
            "lang": Value("string"),
        }
    )
    path = tmp_path / "toy" / "data" / "test-00000-of-00001.parquet"
    path.parent.mkdir(parents=True)
    Dataset.from_list(_rows(), features=features).to_parquet(str(path))
    return tmp_path / "toy"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The toy task and the scripted model, registered as a third-party package's entry points would be."""
    plugins = {
        registry.TASK_GROUP: EntryPoint("toy_vqa", "tests.toy_vqa.task:ToyVqaTask", registry.TASK_GROUP),
        registry.ADAPTER_GROUP: EntryPoint(
            "always_b", "tests.test_declarative_task:AlwaysB", registry.ADAPTER_GROUP
        ),
    }
    real = registry._entry_points

    def with_plugins(group: str) -> dict[str, EntryPoint]:
        extra = plugins.get(group)
        return {**real(group), **({extra.name: extra} if extra else {})}

    monkeypatch.setattr(registry, "_entry_points", with_plugins)
    AlwaysB.seen.clear()


def test_toy_benchmark_runs_end_to_end(toy_data: Path, registered: None, tmp_path: Path) -> None:
    config = RunConfig(
        model="always_b:toy",
        tasks=("toy_vqa",),
        output_dir=tmp_path / "runs",
        data_dir=toy_data,
        use_cache=False,
    )
    outcome = run(config, joshi_tier_map())
    results = outcome.results.to_json()["tasks"]["toy_vqa"]
    by_language = results["by_language"]
    assert {language: block["metrics"]["accuracy"]["value"] for language, block in by_language.items()} == {
        "en": 1.0,
        "de": 0.5,
        "sw": 0.0,
    }
    assert {language: block["tier"] for language, block in by_language.items()} == {
        "en": "5",
        "de": "5",
        "sw": "2",
    }
    assert by_language["en"]["counts"] == {
        **by_language["en"]["counts"],
        "total": 5,
        "scored": 4,
        "failed": 1,
    }
    assert results["dataset"]["num_rows"] == 13 and results["dataset"]["source"].startswith("local:")

    records = [json.loads(line) for line in (outcome.run_dir / "samples.jsonl").read_text().splitlines()]
    ids = [record["sample_id"] for record in records]
    assert sorted(ids) == sorted(
        ["broken", *(f"q{i}{suffix}" for i in range(4) for suffix in ("", "#2", "#3"))]
    )
    broken = next(record for record in records if record["sample_id"] == "broken")
    assert broken["status"] == "failed" and broken["error"] == "image is empty (0 bytes)"
    assert {record["extracted"] for record in records if record["status"] == "scored"} == {"blue"}

    assert len(AlwaysB.seen) == 12  # the broken sample never reaches the model
    image, text = AlwaysB.seen[0].messages[0].content
    assert isinstance(image, ImagePart) and image.image.data == shape_image("circle", "red")
    assert isinstance(text, TextPart)
    assert (
        text.text
        == "[en] What colour is the circle?\nA. red\nB. blue\nC. green\nAnswer with the option's letter."
    )
    assert AlwaysB.seen[0].generation.max_new_tokens == 8


def test_configuration_errors_name_the_file_and_the_entry(tmp_path: Path) -> None:
    with pytest.raises(TaskConfigError, match="has no scoring mode 'paper'; it has robust"):
        ToyVqaTask().scoring_mode("paper")

    class Misconfigured(ToyVqaTask):
        config_path = tmp_path / "config.yaml"

    Misconfigured.config_path.write_text("dataset_id: example/toy\nsplit: test\nprompts: {open: x}\n")
    task = Misconfigured()
    with pytest.raises(TaskConfigError, match=r"config.yaml has no entry 'prompts.mcq'"):
        task.template("mcq")
    with pytest.raises(TaskConfigError, match=r"config.yaml has no entry 'columns'"):
        task.load(DataSource(use_sample=True), joshi_tier_map())
    with pytest.raises(TaskConfigError, match="does not exist"):
        task.load(DataSource(data_dir=tmp_path / "absent"), joshi_tier_map())


def test_modes_and_request_types_read_and_write_as_their_plain_strings() -> None:
    from tv_eval.core.task import RequestType, ScoringMode

    assert ToyVqaTask().scoring_mode("robust") is ScoringMode.ROBUST
    assert ToyVqaTask().scoring_mode(None) is ScoringMode.ROBUST
    assert f"{ScoringMode.PAPER} {RequestType.LOGLIKELIHOOD}" == "paper loglikelihood"
    assert json.dumps({"scoring": ScoringMode.LAVE}) == '{"scoring": "lave"}'
