"""Console output read in a CI log or a file: tables whole, a width asked for honoured, hints given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli

BASELINE_RUN = REPO_ROOT / "results" / "baselines" / "tiny-random-alm_bench-sample"


def _table_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("│")]


def test_piped_output_prints_tables_whole_without_columns(tmp_path: Path) -> None:
    result = run_cli(["report", str(BASELINE_RUN)], tmp_path, extra_env={"COLUMNS": None})
    assert result.returncode == 0, result.stderr
    rows = _table_rows(result.stdout)
    assert rows, result.stdout
    # A cut row loses its closing border; a wrapped one spreads an interval over two lines.
    assert all(row.rstrip().endswith("│") for row in rows), [r for r in rows if not r.rstrip().endswith("│")]
    german = [row for row in rows if row.startswith("│ de ")]
    assert german and all("0.0 [0.0, 0.0]" in row for row in german)
    assert max(len(row) for row in rows) > 80
    assert "Tiers: Joshi et al. (2020) classes 0-5; groups high (4-5), mid (3), low (0-2)." in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "limit"),
    [(["--width", "60"], {"COLUMNS": None}, 60), ([], {"COLUMNS": "70"}, 70)],
    ids=["--width", "COLUMNS"],
)
def test_a_width_asked_for_bounds_every_line(
    tmp_path: Path, args: list[str], env: dict[str, str | None], limit: int
) -> None:
    result = run_cli([*args, "report", str(BASELINE_RUN)], tmp_path, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert max(len(line) for line in result.stdout.splitlines()) <= limit


def test_leaderboard_caption_is_one_line_under_a_narrow_table(tmp_path: Path) -> None:
    result = run_cli(
        ["leaderboard", str(BASELINE_RUN), "--output", str(tmp_path / "board"), "--format", "md"],
        tmp_path,
        extra_env={"COLUMNS": None},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    captions = [line for line in lines if line.startswith("Each task's primary metric")]
    assert len(captions) == 1 and captions[0].rstrip().endswith("Best per column in bold."), lines


def test_open_answers_waiting_for_a_judge_come_with_the_command_that_judges_them(tmp_path: Path) -> None:
    result = run_cli(["report", str(BASELINE_RUN)], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    counts = lines.index(
        "alm_bench: total 105, scored 75, needs_judge 30, failed 0, excluded 0, judge_failed 0"
    )
    assert lines[counts + 1] == (
        "  30 answers are open-ended and not scored yet: "
        "`tv-eval score RUN_DIR --judge MODEL` judges them (README: The judge)"
    )
