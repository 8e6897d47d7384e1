"""xMMMU, M3Exam and MaRVL end to end through the real CLI on their bundled samples with the tiny
model: every number in results.json recomputed from samples.jsonl, images counted in each prompt,
and `--languages` / `--tiers` filtering each task's per-sample languages."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import only_run, records_of, run_cli
from tv_eval.data.tiers import joshi_tier_map

TASKS = ("xmmmu", "m3exam", "marvl")
# Images per sample in each bundled sample's language (make_sample.py), in file order.
IMAGES_PER_LANGUAGE = {"xmmmu": [1, 2, 2, 2], "m3exam": [1, 2, 3], "marvl": [1, 1, 1, 1]}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    output = tmp_path_factory.mktemp("multi-image")
    args = [
        "run",
        "--model",
        "tiny-random",
        "--tasks",
        ",".join(TASKS),
        "--sample",
        "--output-dir",
        str(output),
    ]
    result = run_cli(args, tv_eval_cache, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return only_run(output)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.mark.parametrize("task", TASKS)
def test_results_are_the_means_of_the_sample_records(sample_run: Path, task: str) -> None:
    records = [r for r in records_of(sample_run) if r["task"] == task]
    block = json.loads((sample_run / "results.json").read_text(encoding="utf-8"))["tasks"][task]
    tiers = joshi_tier_map()
    by_language: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, list[float]] = defaultdict(list)
    for record in records:
        assert record["status"] == "scored", record
        assert record["tier"] == tiers.tier_of(record["language"])
        by_language[record["language"]].append(record["scores"]["accuracy"])
        by_tier[record["tier"]].append(record["scores"]["accuracy"])
    assert set(block["by_language"]) == set(by_language)
    for language, values in by_language.items():
        metric = block["by_language"][language]["metrics"]["accuracy"]
        assert (metric["n"], metric["value"]) == (len(values), pytest.approx(mean(values)))
    for tier, values in by_tier.items():
        metric = block["by_tier"][tier]["accuracy"]
        assert (metric["n"], metric["value"]) == (len(values), pytest.approx(mean(values)))
    everything = [value for values in by_language.values() for value in values]
    assert block["overall"]["accuracy"]["value"] == pytest.approx(mean(everything))
    counts = [record["prompt"].count("<image>") for record in records]
    assert counts == IMAGES_PER_LANGUAGE[task] * len(by_language)


def test_languages_and_tiers_filter_every_task(sample_run: Path, tv_eval_cache: Path, tmp_path: Path) -> None:
    args = ["run", "--model", "tiny-random", "--tasks", ",".join(TASKS), "--sample", "--output-dir"]
    by_language = run_cli(
        [*args, str(tmp_path / "a"), "--languages", "fr,sw,th,zh"], tv_eval_cache, timeout=600
    )
    assert by_language.returncode == 0, by_language.stdout + by_language.stderr
    kept = {(r["task"], r["language"]) for r in records_of(only_run(tmp_path / "a"))}
    assert kept == {("xmmmu", "fr"), ("m3exam", "th"), ("m3exam", "zh"), ("marvl", "sw"), ("marvl", "zh")}
    by_tier = run_cli([*args, str(tmp_path / "b"), "--tiers", "low,3"], tv_eval_cache, timeout=600)
    assert by_tier.returncode == 0, by_tier.stdout + by_tier.stderr
    tiers = {r["tier"] for r in records_of(only_run(tmp_path / "b"))}
    full = {r["tier"] for r in records_of(sample_run) if r["tier"] in {"0", "1", "2", "3"}}
    assert tiers == full and tiers <= {"0", "1", "2", "3"}
    predictions = {(r["task"], r["sample_id"]): r["prediction"] for r in records_of(sample_run)}
    for record in records_of(only_run(tmp_path / "a")):  # the same answers, from the cache or not
        assert record["prediction"] == predictions[(record["task"], record["sample_id"])]
