"""End to end: the tiny model answers ALM-Bench's sample with pivot pairs, then `tv-eval transfer`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, only_run, records_of, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pivot_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    output = tmp_path_factory.mktemp("pivot-run")
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--sample",
            "--languages",
            "en,de,sw",
            "--task-option",
            "alm_bench.pivot_pairs=true",
            "--batch-size",
            "8",
            "--output-dir",
            str(output),
        ],
        tv_eval_cache,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "alm_bench: by pivot target" in result.stdout
    return only_run(output)


def test_pivot_samples_are_run_and_kept_apart(pivot_run: Path) -> None:
    records = records_of(pivot_run)
    pivots = [r for r in records if r["metadata"].get("pair_role") == "pivot"]
    items = [r for r in records if r["metadata"].get("pair_role") != "pivot"]
    assert {r["metadata"]["pivot_for"] for r in pivots} == {"de", "sw"}
    assert sorted(r["sample_id"] for r in pivots) == sorted(
        f"{r['sample_id']}/pivot-en" for r in items if r["language"] != "en"
    )
    assert all(r["language"] == "en" and r["status"] in ("scored", "needs_judge") for r in pivots)
    task = json.loads((pivot_run / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]
    native_en = [r for r in items if r["language"] == "en"]
    assert task["by_language"]["en"]["counts"]["total"] == len(native_en)
    assert task["counts"]["total"] == len(records)
    for language in ("de", "sw"):
        scored = [r for r in pivots if r["metadata"]["pivot_for"] == language and "score" in r["scores"]]
        block = task["by_pivot_target"][language]["score"]
        assert block["n"] == len(scored)
        assert block["value"] == pytest.approx(sum(r["scores"]["score"] for r in scored) / len(scored))


def test_transfer_reports_the_paired_view(pivot_run: Path, tv_eval_cache: Path, tmp_path: Path) -> None:
    result = run_cli(["transfer", str(pivot_run), "--output", str(tmp_path)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    assert "gap to pivot en, paired vs unpaired" in result.stdout
    data = json.loads((tmp_path / "transfer.json").read_text(encoding="utf-8"))
    (profile,) = data["paired_transfer"]["alm_bench"]
    records = records_of(pivot_run)
    pivots = {r["metadata"]["pair_key"]: r for r in records if r["metadata"].get("pair_role") == "pivot"}
    for gap in profile["gaps"]:
        items = [r for r in records if r["language"] == gap["language"] and "pair_key" in r["metadata"]]
        pairs = [
            (r["scores"]["score"], pivots[r["metadata"]["pair_key"]]["scores"]["score"])
            for r in items
            if "score" in r["scores"] and "score" in pivots[r["metadata"]["pair_key"]]["scores"]
        ]
        assert gap["n"] == len(pairs) > 0
        assert gap["unpaired"] == len(items) - len(pairs)
        assert gap["value"] == pytest.approx(sum(t - p for t, p in pairs) / len(pairs))
        agreement = gap["agreement"]
        assert sum(agreement.values()) == len(pairs)
        assert agreement["both"] == sum(1 for t, p in pairs if t == 1 and p == 1)
        assert agreement["neither"] == sum(1 for t, p in pairs if t == 0 and p == 0)
    (unpaired,) = data["transfer"]["alm_bench"]
    native_en = [r for r in records if r["language"] == "en" and "pair_role" not in r["metadata"]]
    assert unpaired["pivot_n"] == sum(1 for r in native_en if "score" in r["scores"])
