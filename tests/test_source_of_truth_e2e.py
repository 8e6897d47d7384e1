"""One source of truth per record, through the real CLI: re-aggregating under a tier map rewrites the
tiers stored per sample (so `compare --by tier` groups by the new map), and judging a saved run needs
neither the model nor the dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, records_of, run_cli

pytestmark = pytest.mark.slow

TIER_MAP = 'en = "rich"\nde = "rich"\nsw = "scarce"\n'


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    output = tmp_path_factory.mktemp("source-of-truth")
    result = run_cli(
        [*TINY_ALM_RUN, "--sample", "--languages", "en,de,sw", "--output-dir", str(output)], tv_eval_cache
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    return run_dir


def test_score_with_a_tier_map_rewrites_stored_tiers(
    sample_run: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    tier_map = tmp_path / "tiers.toml"
    tier_map.write_text(TIER_MAP, encoding="utf-8")
    baseline, candidate = tmp_path / "baseline", tmp_path / "candidate"
    shutil.copytree(sample_run, baseline)
    assert {r["tier"] for r in records_of(baseline)} == {"5", "2"}  # Joshi: en, de class 5; sw class 2
    for run_dir in (baseline, candidate):
        if not run_dir.exists():
            shutil.copytree(sample_run, run_dir)
        scored = run_cli(["score", str(run_dir), "--tier-map", str(tier_map)], tv_eval_cache)
        assert scored.returncode == 0, scored.stderr
        expected = {"en": "rich", "de": "rich", "sw": "scarce"}
        assert all(r["tier"] == expected[r["language"]] for r in records_of(run_dir))
        results = json.loads((run_dir / "results.json").read_text())
        assert results["tier_map"] == "tiers.toml"
        assert set(results["tasks"]["alm_bench"]["by_tier"]) == {"rich", "scarce"}

    compared = run_cli(["compare", str(baseline), str(candidate), "--by", "tier"], tv_eval_cache)
    assert compared.returncode in (0, 1), compared.stderr
    groups = {line.split("│")[1].strip() for line in compared.stdout.splitlines() if "alm_bench /" in line}
    assert groups == {"alm_bench / all", "alm_bench / rich", "alm_bench / scarce"}

    # A later re-score without --tier-map keeps the map the run was last aggregated under.
    paper = run_cli(["score", str(candidate), "--scoring", "paper"], tv_eval_cache)
    assert paper.returncode == 0, paper.stderr
    assert {r["tier"] for r in records_of(candidate)} == {"rich", "scarce"}


def test_score_judge_needs_no_dataset(sample_run: Path, tv_eval_cache: Path, tmp_path: Path) -> None:
    """The run's data source is made unreadable: judging works from samples.jsonl alone."""
    run_dir = tmp_path / "run"
    shutil.copytree(sample_run, run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    run["config"]["use_sample"] = False
    run["config"]["data_dir"] = str(tmp_path / "no-such-dataset")
    (run_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    before = {r["sample_id"]: r for r in records_of(run_dir)}
    to_judge = {sample_id for sample_id, r in before.items() if r["status"] == "needs_judge"}
    assert to_judge

    judged = run_cli(
        ["score", str(run_dir), "--judge", "tiny-random", "--judge-cache", str(tmp_path / "judge.sqlite")],
        tv_eval_cache,
        extra_env={"HF_DATASETS_CACHE": str(tmp_path / "no-datasets-cache")},
    )
    assert judged.returncode == 0, judged.stderr
    after = {r["sample_id"]: r for r in records_of(run_dir)}
    assert {after[s]["status"] for s in to_judge} <= {"scored", "judge_failed"}
    assert not any("not found in the dataset" in (after[s]["error"] or "") for s in to_judge)
    assert json.loads((run_dir / "results.json").read_text())["judge"]["usage"]["calls"] == len(to_judge)
