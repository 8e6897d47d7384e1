"""What a newcomer types wrong ends in one line that says what to do; help says what exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--limit", "-1"],
            "error: Invalid value for '--limit': -1 is not in the range x>=1. (see `tv-eval run --help`)",
        ),
        (["run", "--bogus"], "error: No such option: --bogus (see `tv-eval run --help`)"),
        (
            ["run", "--model", "tiny-random", "--tasks", ""],
            "error: --tasks names no task: give comma-separated task names (`tv-eval list tasks`)",
        ),
        (["run", "--tasks", "alm_bench"], "error: --model is required (or --resume RUN_DIR)"),
        (["run", "--sample"], "error: --model and --tasks are required (or --resume RUN_DIR)"),
        (
            ["run", "--model", "", "--tasks", "alm_bench"],
            "error: --model is empty: name an alias (`tv-eval list models`), hf:<id-or-path> "
            "or openai:<model>",
        ),
    ],
    ids=["limit-negative", "unknown-option", "tasks-empty", "model-missing", "both-missing", "model-empty"],
)
def test_a_usage_mistake_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(args, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""


def test_run_help_names_every_model_kind_and_scoring_mode(tmp_path: Path) -> None:
    result = run_cli(["run", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    flat = " ".join(result.stdout.replace("│", " ").split())
    assert "hf:<hub-id-or-path> or openai:<model>" in flat
    assert "robust, paper or official" in flat


def test_list_tasks_says_what_each_option_means(tmp_path: Path) -> None:
    result = run_cli(["list", "tasks"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert (
        "--task-option cultural_vqa.answers=... JSON file u_id -> reference answers "
        "(a list, or {answers, country}); the public data has none"
    ) in lines
