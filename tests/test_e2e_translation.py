"""End to end through the real CLI on the tiny model: Multi30K (real sentences, generated images) and CoMMuTE.

Multi30K runs from the official release layout, from the Hub schema and from the bundled sample; every
reported BLEU/chrF/chrF++ must equal sacrebleu's command line on the hypotheses and references the run
wrote to samples.jsonl. CoMMuTE's per-language accuracies must follow from the log-likelihoods the run
recorded, and those must equal a direct forward pass.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from model_adapters.tiny_random import TinyRandomAdapter
from tasks.commute.task import CommuteTask
from tests.conftest import run_cli
from tests.test_transformers_adapter import adapter, direct_loglikelihood, tiny_cache  # noqa: F401
from tests.translation_fixtures import (
    TEST_SETS,
    real_lines,
    sacrebleu_cli,
    write_commute_fixture,
    write_hub_fixture,
    write_official_fixture,
)
from tv_eval.core.task import DataSource
from tv_eval.data.tiers import joshi_tier_map

pytestmark = pytest.mark.slow

LANGUAGE_NAMES = {"de": "German", "fr": "French", "cs": "Czech"}
CLI_ARGUMENTS = {
    "bleu": ("-m", "bleu"),
    "chrf": ("-m", "chrf"),
    "chrf++": ("-m", "chrf", "--chrf-word-order", "2"),
}


def run_task(cache: Path, output: Path, *arguments: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = run_cli(
        ["run", "--model", "tiny-random", "--output-dir", str(output), "--batch-size", "16", *arguments],
        cache,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    samples = [
        json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return results, samples


def check_lexical_metrics_against_sacrebleu(
    task: dict[str, Any], samples: list[dict[str, Any]], folder: Path
) -> None:
    by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in samples:
        by_language[record["language"]].append(record)
    for language, records in by_language.items():
        hypotheses = [record["extracted"] for record in records]
        references = [record["reference"] for record in records]
        for metric, arguments in CLI_ARGUMENTS.items():
            expected = sacrebleu_cli(hypotheses, references, folder / f"{language}-{metric}", *arguments)
            reported = task["by_language"][language]["metrics"][metric]
            assert reported["value"] == pytest.approx(expected, abs=1e-5), (language, metric)
            assert reported["n"] == len(records)
    assert "tok:13a" in task["metric_info"]["bleu"]["signature"]
    assert task["metric_info"]["chrf++"]["scale"] == "0-100"
    assert "nw:2" in task["metric_info"]["chrf++"]["signature"]


def test_multi30k_official_layout_all_test_sets(tv_eval_cache: Path, tmp_path: Path) -> None:
    data = write_official_fixture(tmp_path / "multi30k", lines=4)
    results, samples = run_task(
        tv_eval_cache,
        tmp_path / "out",
        "--tasks",
        "multi30k",
        "--data-dir",
        str(data),
        "--task-option",
        "multi30k.test_sets=all",
        "--task-option",
        "multi30k.metrics=bleu,chrf,chrf++",
    )
    task = results["tasks"]["multi30k"]
    assert task["counts"]["scored"] == task["counts"]["total"] == 4 * 8
    assert set(task["by_category"]) == set(TEST_SETS)
    assert task["by_category"]["test_2017_flickr"]["bleu"]["n"] == 8
    assert task["primary_metric"] == "bleu"
    for record in samples:
        test_set, line, language = record["sample_id"].split(":")
        assert record["source"] == real_lines(test_set, "en", 4)[int(line)]
        assert record["reference"] == real_lines(test_set, language, 4)[int(line)]
        assert record["prompt"] == (
            "user: <image>Translate the following source text from English to "
            f"{LANGUAGE_NAMES[language]}:\n{record['source']}"
        )
        assert record["extracted"] == " ".join(record["prediction"].split())
    check_lexical_metrics_against_sacrebleu(task, samples, tmp_path / "sacrebleu")


def test_multi30k_hub_schema_and_bundled_sample(tv_eval_cache: Path, tmp_path: Path) -> None:
    hub = write_hub_fixture(tmp_path / "hub", lines=5)
    results, samples = run_task(
        tv_eval_cache,
        tmp_path / "hub-out",
        "--tasks",
        "multi30k",
        "--data-dir",
        str(hub),
        "--languages",
        "de,cs",
        "--task-option",
        "multi30k.metrics=chrf,bleu,chrf++",
    )
    task = results["tasks"]["multi30k"]
    assert task["primary_metric"] == "chrf"
    assert task["dataset"]["dataset_id"] == "romrawinjp/multi30k"
    assert set(task["by_language"]) == {"de", "cs"}
    assert [r["reference"] for r in samples if r["language"] == "cs"] == real_lines(
        "test_2016_flickr", "cs", 5
    )
    check_lexical_metrics_against_sacrebleu(task, samples, tmp_path / "hub-sacrebleu")

    results, samples = run_task(tv_eval_cache, tmp_path / "sample-out", "--tasks", "multi30k", "--sample")
    task = results["tasks"]["multi30k"]
    assert results["smoke_run"] is True
    assert task["dataset"]["source"] == "sample"
    assert sorted(task["metric_info"]) == ["bleu", "chrf", "chrf++"]
    assert len(samples) == 18
    check_lexical_metrics_against_sacrebleu(task, samples, tmp_path / "sample-sacrebleu")


def test_multi30k_configuration_errors_exit_2(tv_eval_cache: Path, tmp_path: Path) -> None:
    hub = write_hub_fixture(tmp_path / "hub", lines=2)
    cases = [
        (["--data-dir", str(hub), "--task-option", "multi30k.test_sets=2018"], "holds only test_2016_flickr"),
        (["--sample", "--task-option", "multi30k.metric=bleu"], "did you mean metrics?"),
        (["--sample", "--task-option", "commute.prompt={source}"], "not in --tasks: commute"),
        (["--sample", "--task-option", "multi30k-test_sets"], "must look like TASK.KEY=VALUE"),
    ]
    for extra, message in cases:
        result = run_cli(["run", "--model", "tiny-random", "--tasks", "multi30k", *extra], tv_eval_cache)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_commute_fixture_accuracy_follows_the_perplexities(
    tv_eval_cache: Path,
    tmp_path: Path,
    adapter: TinyRandomAdapter,  # noqa: F811 - the adapter test module's session fixture
) -> None:
    """The default rule (CoMMuTE's evaluate.py): lower perplexity wins, exp(-mean token log-prob)."""
    data = write_commute_fixture(tmp_path / "commute", ["de", "fr", "zh"])
    results, samples = run_task(
        tv_eval_cache,
        tmp_path / "out",
        "--tasks",
        "commute",
        "--data-dir",
        str(data),
        "--languages",
        "de,fr,zh",
    )
    task = results["tasks"]["commute"]
    assert task["scoring"] == "official"
    assert task["counts"]["scored"] == 12
    per_language: dict[str, list[float]] = defaultdict(list)
    for record in samples:
        details = record["details"]
        correct = details["perplexity_correct"] < details["perplexity_incorrect"]
        assert record["scores"]["accuracy"] == float(correct)
        assert (record["prediction"] == record["reference"]) == correct
        per_language[record["language"]].append(float(correct))
    for language, values in per_language.items():
        assert task["by_language"][language]["metrics"]["accuracy"]["value"] == pytest.approx(
            sum(values) / len(values)
        )
        assert task["by_language"][language]["tier"] == "5"
    assert task["by_tier"]["5"]["accuracy"]["n"] == 12
    assert task["overall"]["tie"]["value"] == 0.0
    assert task["overall"]["accuracy_macro"]["value"] == pytest.approx(
        sum(sum(v) / len(v) for v in per_language.values()) / 3
    )
    commute = CommuteTask()
    tokenizer = adapter.processor.tokenizer
    by_id = {record["sample_id"]: record for record in samples}
    for sample in commute.load(DataSource(data_dir=data), joshi_tier_map()).samples:
        if sample.language in ("de", "fr", "zh"):
            details = by_id[sample.sample_id]["details"]
            for label, request in zip(
                ("correct", "incorrect"), commute.loglikelihood_requests(sample, "official"), strict=True
            ):
                tokens = len(tokenizer(request.continuation, add_special_tokens=False)["input_ids"])
                expected = math.exp(-direct_loglikelihood(adapter, request) / tokens)
                assert details[f"perplexity_{label}"] == pytest.approx(expected, rel=1e-4)


def test_commute_paper_mode_through_the_cli(tv_eval_cache: Path, tmp_path: Path) -> None:
    """`--scoring paper`: the fork's losses decide, lower wins; every item scored."""
    data = write_commute_fixture(tmp_path / "commute", ["de", "fr", "zh"])
    results, samples = run_task(
        tv_eval_cache, tmp_path / "out", "--tasks", "commute", "--data-dir", str(data), "--scoring", "paper"
    )
    task = results["tasks"]["commute"]
    assert task["scoring"] == "paper" and task["counts"]["scored"] == len(samples) == 15
    for record in samples:
        details = record["details"]
        assert record["scores"]["accuracy"] == float(details["loss_correct"] < details["loss_incorrect"])
        assert record["prompt"].endswith(record["reference"])
    (run_dir,) = (tmp_path / "out").iterdir()
    rescored = run_cli(["score", str(run_dir), "--scoring", "official"], tv_eval_cache)
    assert (
        rescored.returncode == 2 and "was scored paper; its official values need the model" in rescored.stderr
    )
    assert json.loads((run_dir / "results.json").read_text())["tasks"]["commute"]["scoring"] == "paper"
