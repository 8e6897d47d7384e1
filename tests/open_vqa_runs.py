"""What the maxm, xgqa and mtvqa end-to-end tests share: a tiny-model CLI run on a fixture folder, and
results.json's numbers recomputed from samples.jsonl alone (per language, per tier, overall)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from statistics import mean

import pytest

from tests.conftest import only_run, records_of, run_cli
from tv_eval.data.tiers import joshi_tier_map


def run_task(cache: Path, output: Path, task: str, data_dir: Path, *arguments: str) -> Path:
    """`tv-eval run` of one task on a local folder; the run directory."""
    result = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            task,
            "--data-dir",
            str(data_dir),
            "--output-dir",
            str(output),
            *arguments,
        ],
        cache,
    )
    assert result.returncode == 0, result.stderr
    return only_run(output)


def predictions(run_dir: Path) -> dict[str, str]:
    return {record["sample_id"]: record["prediction"] for record in records_of(run_dir)}


def assert_numbers_from_samples(run_dir: Path, task: str, metric: str) -> dict:
    """Every language's and tier's mean, n and the overall micro and macro values equal those computed
    from the scored records; each record's tier is the Joshi class of its language. The task block."""
    block = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"][task]
    tiers = joshi_tier_map()
    by_language: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, list[float]] = defaultdict(list)
    for record in records_of(run_dir):
        assert record["tier"] == tiers.tier_of(record["language"])
        if record["status"] == "scored":
            by_language[record["language"]].append(record["scores"][metric])
            by_tier[record["tier"]].append(record["scores"][metric])
    assert set(block["by_language"]) == set(by_language)
    for language, values in by_language.items():
        number = block["by_language"][language]["metrics"][metric]
        assert (number["value"], number["n"]) == (pytest.approx(mean(values)), len(values))
    assert set(block["by_tier"]) == set(by_tier)
    for tier, values in by_tier.items():
        number = block["by_tier"][tier][metric]
        assert (number["value"], number["n"]) == (pytest.approx(mean(values)), len(values))
    every = [value for values in by_language.values() for value in values]
    assert block["overall"][metric]["value"] == pytest.approx(mean(every))
    macro = mean(mean(values) for values in by_language.values())
    assert block["overall"][f"{metric}_macro"]["value"] == pytest.approx(macro)
    return block
