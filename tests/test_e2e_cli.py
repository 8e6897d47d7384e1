"""End to end through the real CLI: tiny random LLaVA, ALM-Bench fixture parquet in the real schema.

The model is random, so the fixture is designed around what it says: a first run records its
true/false answers, then the fixture's references are rewritten so that a chosen set of items is
right and the rest wrong. The second run must then report exactly the per-language and per-tier
accuracies the design implies, and those must equal what the test computes from samples.jsonl.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tasks.alm_bench.make_sample import build_rows, write_alm_bench_parquet
from tests.conftest import TINY_ALM_RUN, run_cli
from tv_eval.scoring.choices import extract_truth, normalize_answer

pytestmark = pytest.mark.slow

LANGUAGES = {
    "English": "en",
    "German": "de",
    "Hindi": "hi",
    "Bengali": "bn",
    "Swahili": "sw",
    "Sinhala": "si",
    "Kurdish": "ku",
    "Japanese": "ja",
}
TIERS = {"en": "5", "de": "5", "ja": "5", "hi": "4", "bn": "3", "sw": "2", "si": "1", "ku": "0"}


def _fixture_rows() -> list[dict]:
    return [
        row
        for row in build_rows()
        if row["Language"] in LANGUAGES and row["Question_Type"] != "Long Question"
    ]


def _run(data_dir: Path, output: Path, cache: Path, *extra: str) -> Path:
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--data-dir",
            str(data_dir),
            "--output-dir",
            str(output),
            "--batch-size",
            "4",
            *extra,
        ],
        cache,
    )
    assert result.returncode == 0, result.stderr
    assert "SMOKE RUN" in result.stdout
    (run_dir,) = output.iterdir()
    return run_dir


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def designed_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> dict:
    root = tmp_path_factory.mktemp("e2e")
    rows = _fixture_rows()
    first_dir = root / "data1"
    write_alm_bench_parquet(rows, first_dir / "data" / "test-00000-of-00001.parquet")
    first = {r["sample_id"]: r for r in _records(_run(first_dir, root / "out1", tv_eval_cache))}

    designed_correct: dict[str, bool] = {}
    true_false_seen = 0
    for index, row in enumerate(rows):
        if row["Question_Type"] != "True False Question":
            continue
        true_false_seen += 1
        prediction = first[row["ID"]]["prediction"]
        language = LANGUAGES[row["Language"]]
        first_word = normalize_answer(prediction).split(" ")[0]
        if true_false_seen % 3 != 0 and first_word and "," not in first_word:
            # the reference word is the model's own first word: it reads as "true", which is right
            rows[index] = {**row, "English_Answer": "True", "Translated_Answer": first_word}
            designed_correct[row["ID"]] = True
        elif extract_truth(prediction, language) is None:
            # a reference word the model never says, and no true/false word in its answer: wrong
            rows[index] = {**row, "English_Answer": "True", "Translated_Answer": "zzyzx"}
            designed_correct[row["ID"]] = False
    second_dir = root / "data2"
    write_alm_bench_parquet(rows, second_dir / "data" / "test-00000-of-00001.parquet")
    run_dir = _run(second_dir, root / "out2", tv_eval_cache)
    return {
        "run_dir": run_dir,
        "first": first,
        "designed": designed_correct,
        "root": root,
        "data": second_dir,
    }


def test_run_directory_contents(designed_run: dict) -> None:
    run_dir = designed_run["run_dir"]
    assert {p.name for p in run_dir.iterdir()} == {
        "run.json",
        "samples.jsonl",
        "results.json",
        "leaderboard.md",
    }
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "complete"
    assert run["model"]["model_id"] == "tiny-random"
    assert run["tasks"]["alm_bench"]["dataset"]["source"].startswith("local:")
    assert run["environment"]["packages"]["torch"]
    assert "total_s" in run["timings"]
    assert "| language | name | tier |" in (run_dir / "leaderboard.md").read_text()


def test_predictions_are_deterministic_across_runs(designed_run: dict) -> None:
    second = {r["sample_id"]: r for r in _records(designed_run["run_dir"])}
    for sample_id in designed_run["designed"]:
        assert second[sample_id]["prediction"] == designed_run["first"][sample_id]["prediction"]


def test_designed_true_false_outcomes(designed_run: dict) -> None:
    records = {r["sample_id"]: r for r in _records(designed_run["run_dir"])}
    designed = designed_run["designed"]
    assert sum(designed.values()) >= 4 and sum(not v for v in designed.values()) >= 1
    for sample_id, correct in designed.items():
        assert records[sample_id]["scores"]["accuracy"] == float(correct), records[sample_id]


def test_results_equal_values_computed_from_samples(designed_run: dict) -> None:
    run_dir = designed_run["run_dir"]
    records = _records(run_dir)
    task = json.loads((run_dir / "results.json").read_text())["tasks"]["alm_bench"]

    by_language: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, list[float]] = defaultdict(list)
    for record in records:
        assert record["tier"] == TIERS[record["language"]]
        if record["status"] == "scored":
            by_language[record["language"]].append(record["scores"]["accuracy"])
            by_tier[TIERS[record["language"]]].append(record["scores"]["accuracy"])
        if record["question_type"] == "mcq":
            assert record["scores"]["accuracy"] == float(record["extracted"] == record["reference"])
    assert set(task["by_language"]) == set(TIERS)
    for language, values in by_language.items():
        metric = task["by_language"][language]["metrics"]["accuracy"]
        assert metric["n"] == len(values)
        assert metric["value"] == pytest.approx(sum(values) / len(values))
        assert metric["ci95"][0] <= metric["value"] <= metric["ci95"][1]
        assert task["by_language"][language]["tier"] == TIERS[language]
    for tier, values in by_tier.items():
        assert task["by_tier"][tier]["accuracy"]["value"] == pytest.approx(sum(values) / len(values))
        assert task["by_tier"][tier]["accuracy"]["n"] == len(values)
    all_values = [v for values in by_language.values() for v in values]
    assert task["overall"]["accuracy"]["value"] == pytest.approx(sum(all_values) / len(all_values))
    macro = sum(sum(v) / len(v) for v in by_language.values()) / len(by_language)
    assert task["overall"]["accuracy_macro"]["value"] == pytest.approx(macro)
    assert task["counts"]["needs_judge"] == sum(1 for r in records if r["question_type"] == "short")
    assert task["counts"]["total"] == len(records)


def test_report_rerenders_the_tables(designed_run: dict, tv_eval_cache: Path) -> None:
    result = run_cli(["report", str(designed_run["run_dir"])], tv_eval_cache)
    assert result.returncode == 0
    assert "alm_bench: by language" in result.stdout
    assert "alm_bench: by tier" in result.stdout


def test_filters_and_paper_scoring(designed_run: dict, tv_eval_cache: Path) -> None:
    run_dir = _run(
        designed_run["data"],
        designed_run["root"] / "out3",
        tv_eval_cache,
        "--languages",
        "de,sw",
        "--tiers",
        "high,low",
        "--scoring",
        "paper",
    )
    task = json.loads((run_dir / "results.json").read_text())["tasks"]["alm_bench"]
    assert task["scoring"] == "paper"
    assert set(task["by_language"]) == {"de", "sw"}
    records = _records(run_dir)
    assert {r["status"] for r in records if r["question_type"] != "mcq"} == {"excluded"}
    assert task["counts"]["excluded"] == sum(1 for r in records if r["question_type"] != "mcq")
    for record in records:
        if record["question_type"] == "mcq":
            assert record["scores"]["accuracy"] == float(record["prediction"].strip() == record["reference"])
