"""CVQA and Kaleidoscope through the real CLI. A scripted model behind an OpenAI-compatible server on
127.0.0.1 answers right in some languages, wrong or unreadably in others, so every per-language and
per-tier number is recomputed here from samples.jsonl and checked against results.json; --languages
and --tiers filter both tasks; CVQA's public data writes its leaderboard file. One run per bundled
sample with the tiny model (slow)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from tasks.cvqa.make_sample import build_rows, write_cvqa_parquet
from tasks.cvqa.task import CvqaTask
from tasks.kaleidoscope.task import KaleidoscopeTask
from tests.conftest import records_of, run_cli
from tests.openai_server import image_parts, message_text, serve
from tv_eval.core.task import DataSource
from tv_eval.data.tiers import joshi_tier_map

KEY = "sk-mcq-cultural"
# Joshi et al. (2020) classes of the sample languages, written here by hand.
JOSHI = {
    "ja": "5", "es": "5", "sw": "2", "am": "2", "id": "3", "jv": "1", "ga": "2",
    "ar": "5", "bn": "3", "de": "5", "en": "5", "fa": "4", "fr": "5", "hi": "4", "hr": "4",
    "hu": "4", "lt": "3", "ne": "1", "nl": "4", "pt": "4", "ru": "4", "sr": "4", "te": "1", "uk": "3",
}  # fmt: skip
LETTERS = "ABCD"


def scripted(task_name: str, reply: Callable[[Any, int], str]) -> Callable[[list[dict], dict], str]:
    """Replies keyed by each bundled-sample request's text and pictures (several CVQA questions share
    their text): `reply(sample, answer index)`."""
    task = {"cvqa": CvqaTask, "kaleidoscope": KaleidoscopeTask}[task_name]()
    task.configure({})
    replies = {}
    for sample in task.load(DataSource(use_sample=True), joshi_tier_map()).samples:
        answer = sample.metadata["label" if task_name == "cvqa" else "answer"]
        request = task.build_request(sample, task.default_scoring)
        texts = "\n".join(message.text for message in request.messages)
        replies[texts, tuple(image.data for image in request.images)] = reply(sample, answer)
    return lambda messages, body: replies.get(
        (message_text(messages), tuple(image_parts(body))), "unscripted"
    )


def run_scripted(tmp_path: Path, task: str, responder: Callable, *arguments: str) -> tuple[dict, list[dict]]:
    output = tmp_path / "out"
    with serve(responder, api_key=KEY) as server:
        result = run_cli(
            [
                *("run", "--model", "openai:scripted", "--base-url", server.base_url, "--tasks", task),
                *("--output-dir", str(output), *arguments),
            ],
            tmp_path / "cache",
            extra_env={"OPENAI_API_KEY": KEY},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = output.iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"][task]
    return results, records_of(run_dir)


def check_groups(block: dict, records: list[dict], metric: str) -> None:
    """by_language and by_tier (micro) and the overall macro over languages, recomputed from records."""
    by_language: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if metric in record["scores"]:
            assert record["tier"] == JOSHI[record["language"]]
            by_language[record["language"]].append(record["scores"][metric])
            by_tier[JOSHI[record["language"]]].append(record["scores"][metric])
    # Every language and tier of the run has a block; one none of whose answers carries the metric
    # (valid_accuracy where no option was read) shows no value over n = 0.
    assert set(block["by_language"]) >= set(by_language) and set(block["by_tier"]) >= set(by_tier)
    for language, entry in block["by_language"].items():
        expected_mean(entry["metrics"][metric], by_language.get(language, []))
    for tier, entry in block["by_tier"].items():
        expected_mean(entry[metric], by_tier.get(tier, []))
    macro = mean(mean(values) for values in by_language.values())
    assert block["overall"][metric + "_macro"]["value"] == pytest.approx(macro)


def expected_mean(value: dict, values: list[float]) -> None:
    assert value["n"] == len(values)
    assert value["value"] == (pytest.approx(mean(values)) if values else None)


def test_cvqa_sample_scores_per_language_and_tier_from_its_labels(tmp_path: Path) -> None:
    right_in = {"ja", "es", "id", "ga"}
    responder = scripted(
        "cvqa", lambda s, label: LETTERS[label if s.language in right_in else (label + 1) % 4]
    )
    block, records = run_scripted(tmp_path, "cvqa", responder, "--sample")
    assert block["counts"]["scored"] == block["counts"]["total"] == 16
    assert {r["language"]: r["scores"]["accuracy"] for r in records} == {
        language: float(language in right_in) for language in ("ja", "es", "sw", "am", "id", "jv", "ga")
    }
    check_groups(block, records, "accuracy")
    assert block["overall"]["accuracy"]["value"] == pytest.approx(
        10 / 16
    )  # ja 2 + es 4 (two subsets) + id 2 + ga 2
    assert block["by_country"]["Indonesia"]["accuracy"]["value"] == pytest.approx(0.5)  # id right, jv wrong


def test_cvqa_public_data_writes_the_leaderboard_file(tmp_path: Path) -> None:
    rows = build_rows()
    write_cvqa_parquet(rows, tmp_path / "public" / "data" / "test-00000-of-00001.parquet")
    # The model picks option C everywhere except Japanese, where its answer names no option.
    responder = scripted("cvqa", lambda s, label: "no idea" if s.language == "ja" else "C")
    output = tmp_path / "out"
    with serve(responder, api_key=KEY) as server:
        result = run_cli(
            [
                *("run", "--model", "openai:scripted", "--base-url", server.base_url, "--tasks", "cvqa"),
                *("--data-dir", str(tmp_path / "public"), "--output-dir", str(output)),
            ],
            tmp_path / "cache",
            extra_env={"OPENAI_API_KEY": KEY},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = output.iterdir()
    block = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["cvqa"]
    assert block["counts"]["needs_reference"] == block["counts"]["total"] == 16
    assert block["overall"]["accuracy"]["value"] is None
    expected = "".join(f"{row['ID']},{-1 if 'Japanese' in row['Subset'] else 2}\n" for row in rows)
    assert (run_dir / "cvqa.submission.csv").read_text(encoding="utf-8") == expected


def test_kaleidoscope_sample_accuracy_valid_accuracy_and_format_errors(tmp_path: Path) -> None:
    right_in, unreadable_in = {"en", "de", "hi", "te", "uk"}, {"ne", "ar"}

    def reply(sample: Any, answer: int) -> str:
        if sample.language in unreadable_in:
            return "I am not sure."
        letter = LETTERS[answer if sample.language in right_in else (answer + 1) % len(sample.choices)]
        return f'```json\n{{"choice": "{letter}"}}\n```'

    block, records = run_scripted(tmp_path, "kaleidoscope", scripted("kaleidoscope", reply), "--sample")
    assert block["counts"]["scored"] == block["counts"]["total"] == 25
    for metric in ("accuracy", "valid_accuracy", "format_error"):
        check_groups(block, records, metric)
    unreadable = sum(record["language"] in unreadable_in for record in records)
    assert block["overall"]["format_error"]["value"] == pytest.approx(unreadable / 25)
    assert block["overall"]["valid_accuracy"]["n"] == 25 - unreadable
    specs = {spec["name"]: spec for spec in block["metrics"]}
    assert specs["format_error"]["higher_is_better"] is False and specs["accuracy"]["primary"] is True


def test_languages_and_tiers_filter_both_tasks(tmp_path: Path) -> None:
    cases = (("cvqa", "es,sw", "2", {"sw", "am", "ga"}), ("kaleidoscope", "de,ne", "1", {"ne", "te"}))
    for task, languages, tier, of_tier in cases:
        responder = scripted(task, lambda s, answer: "A")
        _, records = run_scripted(
            tmp_path / task / "l", task, responder, "--sample", "--languages", languages
        )
        assert {record["language"] for record in records} == set(languages.split(","))
        _, records = run_scripted(tmp_path / task / "t", task, responder, "--sample", "--tiers", tier)
        assert {record["language"] for record in records} == of_tier


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "extra"), [("cvqa", ()), ("kaleidoscope", ("--task-option", "kaleidoscope.max_new_tokens=16"))]
)
def test_bundled_sample_runs_with_the_tiny_model(
    tv_eval_cache: Path, tmp_path: Path, task: str, extra: tuple[str, ...]
) -> None:
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", task, "--sample", "--output-dir", str(tmp_path), *extra],
        tv_eval_cache,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = tmp_path.iterdir()
    block = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"][task]
    assert block["counts"]["failed"] == 0 and block["counts"]["scored"] == block["counts"]["total"]
    check_groups(block, records_of(run_dir), "accuracy")
