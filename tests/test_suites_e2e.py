"""`tv-eval run --tasks towervision --sample` through the real CLI with the tiny model, then the suite
leaderboard on its output, its macro average recomputed from the run's results.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tv_eval.data.suites import suites

pytestmark = pytest.mark.slow

SUITE = "towervision"


def test_suite_sample_run_records_the_suite_and_its_leaderboard_averages_the_tasks(
    tv_eval_cache: Path, tmp_path: Path
) -> None:
    members = suites()[SUITE].task_names
    result = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            f"{SUITE},cultural_vqa",
            "--sample",
            "--output-dir",
            str(tmp_path),
        ],
        tv_eval_cache,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = [path for path in tmp_path.iterdir() if (path / "run.json").is_file()]
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert run["config"]["tasks"] == [*members, "cultural_vqa"]
    assert list(results["tasks"]) == [*members, "cultural_vqa"]
    for task in members:
        assert results["tasks"][task]["suite"] == SUITE
        assert run["tasks"][task]["suite"] == SUITE
    assert "suite" not in results["tasks"]["cultural_vqa"]
    assert results["tasks"]["commute"]["scoring"] == "paper"

    board_dir = tmp_path / "board"
    board = run_cli(
        ["leaderboard", str(run_dir), "--output", str(board_dir), "--format", "json"], tv_eval_cache
    )
    assert board.returncode == 0, board.stderr
    data = json.loads((board_dir / "leaderboard.json").read_text(encoding="utf-8"))
    (table,) = [table for table in data["tables"] if table["key"] == f"suite:{SUITE}"]
    assert table["columns"] == [*members, "macro average"]
    (row,) = table["rows"]
    by_hand = []
    for task in members:
        block = results["tasks"][task]
        (spec,) = [spec for spec in block["metrics"] if spec["name"] == block["primary_metric"]]
        factor = 0.01 if spec["scale"] == "0-100" else 1.0
        by_hand.append(block["overall"][block["primary_metric"] + "_macro"]["value"] * factor)
    cells = dict(zip(table["columns"], row["cells"], strict=True))
    assert [cells[task]["value"] for task in members] == pytest.approx(by_hand)
    assert cells["macro average"]["value"] == pytest.approx(sum(by_hand) / len(by_hand))

    rescored = run_cli(["score", str(run_dir)], tv_eval_cache)
    assert rescored.returncode == 0, rescored.stderr
    again = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert {task: again["tasks"][task].get("suite") for task in members} == dict.fromkeys(members, SUITE)
