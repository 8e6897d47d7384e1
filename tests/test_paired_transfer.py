"""The paired transfer view against numbers this test computes itself from samples.jsonl.

Runs with hand-made pair sets are written through the core's aggregation (tests/run_factory.py);
`tv-eval transfer` reads them through the real CLI, and its JSON is compared with plain arithmetic
on the samples.jsonl it read: which records pair, the mean of target minus pivot, the paired
bootstrap interval (the core's cluster resampling over the pairs' differences), and the 2x2 table.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import records_of, run_cli
from tests.paired_fixtures import native_records, parallel_records, pivot_pair_records
from tests.run_factory import write_run
from tv_eval.analysis.leaderboard import build_leaderboard
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.run_loading import load_run
from tv_eval.results.statistics import DEFAULT_RESAMPLES, cluster_mean_replicates

TIERS = {"de": "5", "sw": "2", "am": "2"}


def _items(generator: random.Random, size: int, target: float, pivot: float) -> list[tuple]:
    return [(float(generator.random() < target), float(generator.random() < pivot)) for _ in range(size)]


@pytest.fixture(scope="module")
def pair_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generator = random.Random(3)
    items = {
        "de": _items(generator, 14, 0.6, 0.8),
        "sw": [*_items(generator, 16, 0.3, 0.8), (1.0, None), (None, 1.0), (0.5, 1.0)],
        "am": _items(generator, 12, 0.2, 0.7),
        "hi": [(1.0, None), (0.0, None), (1.0, None)],  # asked in hi only: no pair at all
    }
    records = pivot_pair_records(items) + native_records("en", [1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    return write_run(tmp_path_factory.mktemp("paired") / "run-p", "model-p", {"alm_bench": records})


def _pairs_by_language(samples: list[dict]) -> dict[str, list[tuple[float, float, str]]]:
    """(target, pivot, image) of every item whose target and pivot sample both carry a score."""
    pivots = {s["metadata"]["pair_key"]: s for s in samples if s["metadata"].get("pair_role") == "pivot"}
    pairs: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for sample in samples:
        metadata = sample["metadata"]
        if metadata.get("pair_role") == "pivot" or "pair_key" not in metadata:
            continue
        partner = pivots.get(metadata["pair_key"])
        if partner is None or "accuracy" not in sample["scores"] or "accuracy" not in partner["scores"]:
            continue
        pairs[sample["language"]].append(
            (sample["scores"]["accuracy"], partner["scores"]["accuracy"], sample["cluster_id"])
        )
    return pairs


@pytest.fixture(scope="module")
def transfer_json(pair_run: Path, tv_eval_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    output = tmp_path_factory.mktemp("transfer-out")
    result = run_cli(["transfer", str(pair_run), "--output", str(output)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    assert "gap to pivot en, paired vs unpaired" in result.stdout
    assert "right in both" in result.stdout
    assert "paired n" in (output / "transfer.md").read_text(encoding="utf-8")
    return json.loads((output / "transfer.json").read_text(encoding="utf-8"))


def test_paired_gap_and_interval_match_samples(pair_run: Path, transfer_json: dict) -> None:
    (profile,) = transfer_json["paired_transfer"]["alm_bench"]
    assert profile["sources"] == ["pivot samples"]
    gaps = {gap["language"]: gap for gap in profile["gaps"]}
    pairs = _pairs_by_language(records_of(pair_run))
    assert set(gaps) == set(pairs) == set(TIERS)
    for language, members in pairs.items():
        differences = [target - pivot for target, pivot, _ in members]
        gap = gaps[language]
        assert gap["n"] == len(members)
        assert gap["value"] == pytest.approx(sum(differences) / len(differences))
        assert gap["target_value"] == pytest.approx(sum(t for t, _, _ in members) / len(members))
        assert gap["pivot_value"] == pytest.approx(sum(p for _, p, _ in members) / len(members))
        replicates = cluster_mean_replicates(
            differences, [image for _, _, image in members], n_resamples=DEFAULT_RESAMPLES, seed=0
        )
        assert gap["interval"] == pytest.approx(list(np.percentile(replicates, [2.5, 97.5])))
    tier_values = {tier["tier"]: tier for tier in profile["tier_gaps"]}
    assert tier_values["5"]["value"] == pytest.approx(gaps["de"]["value"])
    assert tier_values["2"]["value"] == pytest.approx((gaps["sw"]["value"] + gaps["am"]["value"]) / 2)
    assert tier_values["2"]["n"] == gaps["sw"]["n"] + gaps["am"]["n"]
    assert tier_values["2"]["interval"][0] < tier_values["2"]["value"] < tier_values["2"]["interval"][1]


def test_agreement_table_counts(pair_run: Path, transfer_json: dict) -> None:
    (profile,) = transfer_json["paired_transfer"]["alm_bench"]
    pairs = _pairs_by_language(records_of(pair_run))
    for gap in profile["gaps"]:
        members = pairs[gap["language"]]
        exact = [(t, p) for t, p, _ in members if {t, p} <= {0.0, 1.0}]
        assert gap["agreement"] == {
            "both": sum(1 for t, p in exact if t == 1 and p == 1),
            "only_pivot": sum(1 for t, p in exact if t == 0 and p == 1),
            "only_target": sum(1 for t, p in exact if t == 1 and p == 0),
            "neither": sum(1 for t, p in exact if t == 0 and p == 0),
            "graded": len(members) - len(exact),
        }
    sw = next(gap for gap in profile["gaps"] if gap["language"] == "sw")
    assert sw["agreement"]["graded"] == 1  # the 0.5 against 1.0
    assert sw["unpaired"] == 2  # one item without a pivot sample, one whose target failed


def test_tables_label_each_view(transfer_json: dict) -> None:
    table = next(t for t in transfer_json["tables"] if t["key"] == "paired_gap:alm_bench:model-p")
    assert table["columns"][1:5] == ["unpaired gap", "unpaired n", "paired gap", "paired n"]
    (sw,) = [row for row in table["rows"] if row["label"] == "sw"]
    cells = dict(zip(table["columns"], sw["cells"], strict=True))
    assert cells["unpaired n"]["text"] == "18 vs 6"  # sw's scored items vs en's own items
    assert cells["paired n"]["text"] == "17"
    (hi,) = [row for row in table["rows"] if row["label"] == "hi"]
    hi_cells = dict(zip(table["columns"], hi["cells"], strict=True))
    assert hi_cells["unpaired n"]["text"] == "3 vs 6"
    assert hi_cells["paired gap"]["text"] == "-"
    assert hi_cells["items without pair"]["text"] == "3"
    tiers = next(t for t in transfer_json["tables"] if t["key"] == "paired_tier_gap:alm_bench:model-p")
    assert [row["label"] for row in tiers["rows"]] == ["tier 5", "tier 4", "tier 2"]
    hi_tier = dict(zip(tiers["columns"], tiers["rows"][1]["cells"], strict=True))
    assert hi_tier["paired gap"]["text"] == "-"


@pytest.fixture
def shifted_run(tmp_path: Path) -> Path:
    """sw's paired items differ from its other items, and en's own items from the pivot answers."""
    items = {"sw": [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 1.0)] + [(0.0, None)] * 5}
    records = pivot_pair_records(items) + native_records("en", [0.0] * 10)
    return write_run(tmp_path / "run-s", "model-s", {"alm_bench": records})


def test_paired_view_uses_the_paired_items_only(shifted_run: Path) -> None:
    board = build_leaderboard([load_run(shifted_run)], tier_map=joshi_tier_map(), n_resamples=200)
    (unpaired,) = board.profiles["alm_bench"]
    (paired,) = board.paired["alm_bench"]
    (unpaired_sw,) = unpaired.gaps
    (paired_sw,) = paired.gaps
    # Unpaired: all 10 sw items (mean 0.4) against en's own 10 items (mean 0), pivot answers left out.
    assert (unpaired.pivot_value, unpaired.pivot_n) == (0.0, 10)
    assert unpaired_sw.value == pytest.approx(0.4)
    assert unpaired_sw.n == 10
    # Paired: the 5 items asked in both languages, 0.8 against 1.0.
    assert (paired_sw.target_value, paired_sw.pivot_value) == (pytest.approx(0.8), pytest.approx(1.0))
    assert paired_sw.value == pytest.approx(-0.2)
    assert (paired_sw.n, paired_sw.unpaired) == (5, 5)


def test_results_keep_pivot_answers_out_of_the_english_row(shifted_run: Path) -> None:
    task = json.loads((shifted_run / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]
    assert task["by_language"]["en"]["metrics"]["accuracy"] == {"value": 0.0, "n": 10, "ci95": [0.0, 0.0]}
    assert task["by_language"]["en"]["counts"]["total"] == 10
    assert task["overall"]["accuracy"]["n"] == 20
    assert task["counts"]["total"] == 25  # every sample run, the 5 pivot samples included
    assert task["by_pivot_target"]["sw"]["accuracy"]["value"] == pytest.approx(1.0)
    assert task["by_pivot_target"]["sw"]["accuracy"]["n"] == 5


def test_parallel_ids_pair_without_pivot_samples(tmp_path: Path) -> None:
    values = {
        "en": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        "de": [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0],
        "sw": [0.0, 0.0, 1.0, 0.0, 1.0],
    }
    records = parallel_records(values)
    run = write_run(tmp_path / "run-x", "model-x", {"xgqa": records})
    board = build_leaderboard([load_run(run)], tier_map=joshi_tier_map(), n_resamples=200)
    (paired,) = board.paired["xgqa"]
    assert paired.sources == ["parallel ids"]
    gaps = {gap.language: gap for gap in paired.gaps}
    for language in ("de", "sw"):
        own = values[language]
        differences = [value - values["en"][index] for index, value in enumerate(own)]
        assert gaps[language].n == len(own)
        assert gaps[language].value == pytest.approx(sum(differences) / len(differences))
    task = json.loads((run / "results.json").read_text(encoding="utf-8"))["tasks"]["xgqa"]
    assert task["by_language"]["en"]["metrics"]["accuracy"]["n"] == 8  # parallel samples are ordinary
    assert "by_pivot_target" not in task
    (unpaired,) = board.profiles["xgqa"]
    sw_unpaired = next(gap for gap in unpaired.gaps if gap.language == "sw")
    assert sw_unpaired.value == pytest.approx(2 / 5 - 6 / 8)  # all of en, not the 5 sw shares
    assert gaps["sw"].value == pytest.approx(2 / 5 - 4 / 5)


def test_a_parallel_id_held_twice_in_the_pivot_is_not_paired(tmp_path: Path) -> None:
    records = parallel_records({"en": [1.0, 0.0, 1.0], "de": [0.0, 0.0, 1.0]})
    twin = records[0]
    records.append(replace(twin, sample_id="en-dup", scores={"accuracy": 0.0}))
    run = write_run(tmp_path / "run-d", "model-d", {"xgqa": records})
    board = build_leaderboard([load_run(run)], tier_map=joshi_tier_map(), n_resamples=200)
    (paired,) = board.paired["xgqa"]
    (de,) = paired.gaps
    assert (de.n, de.unpaired) == (2, 1)
    assert de.value == pytest.approx(((0.0 - 0.0) + (1.0 - 1.0)) / 2)


def test_runs_without_pairs_have_no_paired_view(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run-n", "model-n", {"alm_bench": native_records("en", [1.0, 0.0])})
    board = build_leaderboard([load_run(run)], tier_map=joshi_tier_map(), n_resamples=200)
    assert board.paired["alm_bench"] == []
    assert not [table for table in board.tables if table.key.startswith("paired")]
