"""Merging shards of a run with corpus metrics (Multi30K's BLEU and chrF) and paired items (ALM-Bench's
`pivot_pairs`), through the real CLI with the tiny model: the merge recomputes every aggregate from
the merged records, so it equals the unsharded run; averaging the shards' numbers would not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_shards_merge import _run, _without_run_id

pytestmark = pytest.mark.slow

ARGS = [
    "run",
    "--model",
    "tiny-random",
    "--tasks",
    "alm_bench,multi30k",
    "--sample",
    "--seed",
    "0",
    "--limit",
    "24",
    "--task-option",
    "alm_bench.pivot_pairs=true",
    "--task-option",
    "multi30k.test_sets=all",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> dict[str, Path]:
    """The unsharded run, its two shards (own response cache) and their merge."""
    root = tmp_path_factory.mktemp("shards-corpus")
    found = {"whole": _run(ARGS, root / "whole", tv_eval_cache, root / "responses-whole")}
    for index in (1, 2):
        found[f"{index}/2"] = _run(
            [*ARGS, "--shard", f"{index}/2"], root / "shards", tv_eval_cache, root / "responses-shards"
        )
    result = run_cli(
        ["merge", str(found["1/2"]), str(found["2/2"]), "--output", str(root / "merged")], tv_eval_cache
    )
    assert result.returncode == 0, result.stderr
    found["merged"] = root / "merged"
    return found


def _overall(run_dir: Path, task: str) -> dict:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return results["tasks"][task]["overall"]


def test_the_merge_equals_the_unsharded_run(runs: dict[str, Path]) -> None:
    assert (runs["merged"] / "samples.jsonl").read_bytes() == (runs["whole"] / "samples.jsonl").read_bytes()
    assert _without_run_id(runs["merged"], "results.json") == _without_run_id(runs["whole"], "results.json")


@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++"])
def test_corpus_metrics_are_recomputed_not_averaged(runs: dict[str, Path], metric: str) -> None:
    merged = _overall(runs["merged"], "multi30k")[metric]
    shards = [_overall(runs[f"{index}/2"], "multi30k")[metric] for index in (1, 2)]
    assert merged == _overall(runs["whole"], "multi30k")[metric]
    assert merged["n"] == sum(shard["n"] for shard in shards)
    averaged = sum(shard["value"] * shard["n"] for shard in shards) / merged["n"]
    assert merged["value"] != pytest.approx(averaged)


def test_paired_items_and_their_pivots_are_whole_again(runs: dict[str, Path]) -> None:
    """Pivot samples fall to shards independently of their items; the merged run has every pair."""
    merged = json.loads((runs["merged"] / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]
    whole = json.loads((runs["whole"] / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]
    assert merged["by_pivot_target"] == whole["by_pivot_target"]
    assert merged["by_pivot_target"]
    shard_of_pair: dict[str, set[int]] = {}
    for index in (1, 2):
        for line in (runs[f"{index}/2"] / "samples.jsonl").read_text(encoding="utf-8").splitlines():
            pair_key = json.loads(line).get("metadata", {}).get("pair_key")
            if pair_key is not None:
                shard_of_pair.setdefault(pair_key, set()).add(index)
    assert any(len(shards) == 2 for shards in shard_of_pair.values())  # some pairs were split
