"""Shards judged in their own runs (`--judge tiny-random`) merge into the judged unsharded run: the
verdicts are in the records, and the judge's calls and tokens are summed over the shards.

The shards and the unsharded run use the same judge cache path (results.json names it), emptied
before the unsharded run, so each run asks its judge every question: the summed calls and tokens
then equal the unsharded run's, and results.json differs only in `run_id`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_shards_merge import _without_run_id

pytestmark = pytest.mark.slow


def _judged_run(root: Path, cache: Path, responses: str, *extra: str) -> None:
    args = [
        "run",
        "--model",
        "tiny-random",
        "--tasks",
        "alm_bench",
        "--sample",
        "--languages",
        "en,de,sw",
        "--judge",
        "tiny-random",
        "--judge-cache",
        str(root / "judge.sqlite"),
        "--max-failure-rate",
        "1",
        "--cache-dir",
        str(root / responses),
        *extra,
    ]
    result = run_cli(args, cache)
    assert result.returncode == 0, result.stderr


def test_judged_shards_merge_into_the_judged_run(tmp_path: Path, tv_eval_cache: Path) -> None:
    for index in (1, 2):
        _judged_run(
            tmp_path,
            tv_eval_cache,
            "responses-shards",
            "--shard",
            f"{index}/2",
            "--output-dir",
            str(tmp_path / "shards"),
        )
    for leftover in tmp_path.glob("judge.sqlite*"):
        leftover.unlink()
    _judged_run(tmp_path, tv_eval_cache, "responses-whole", "--output-dir", str(tmp_path / "whole"))
    shards = sorted((tmp_path / "shards").iterdir())
    result = run_cli(["merge", *map(str, shards), "--output", str(tmp_path / "merged")], tv_eval_cache)
    assert result.returncode == 0, result.stderr

    (whole,) = (tmp_path / "whole").iterdir()
    merged = tmp_path / "merged"
    assert (merged / "samples.jsonl").read_bytes() == (whole / "samples.jsonl").read_bytes()
    assert _without_run_id(merged, "results.json") == _without_run_id(whole, "results.json")
    usage = json.loads((merged / "results.json").read_text(encoding="utf-8"))["judge"]["usage"]
    shard_calls = [
        json.loads((shard / "run.json").read_text())["judge"]["usage"]["calls"] for shard in shards
    ]
    assert (
        all(shard_calls) and usage["calls"] == sum(shard_calls) == 6
    )  # one short, one long question per language
