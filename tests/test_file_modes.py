"""Every file tv-eval writes follows the umask, as `open` does: none 0600 beside others 0644."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli

BASELINE_RUN = REPO_ROOT / "results" / "baselines" / "tiny-random-alm_bench-sample"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The subprocess inherits the umask of the test process."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(folder: Path) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode)
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("mask", [0o027])
def test_run_directory_and_leaderboard_files_follow_the_umask(tmp_path: Path, mask: int) -> None:
    runs, board = tmp_path / "runs", tmp_path / "board"
    with umask(mask):
        args = ["--tasks", "alm_bench", "--sample", "--limit", "2", "--output-dir", str(runs), "--no-cache"]
        run = run_cli(["run", "--model", "tiny-random", *args], tmp_path / "cache")
        assert run.returncode == 0, run.stderr
        board_run = run_cli(["leaderboard", str(runs), "--output", str(board)], tmp_path / "cache")
        assert board_run.returncode == 0, board_run.stderr
    (run_dir,) = runs.iterdir()
    modes = {**_modes(run_dir), **{f"board/{name}": mode for name, mode in _modes(board).items()}}
    assert {"run.json", "results.json", "samples.jsonl", "board/leaderboard.json"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if mode != 0o666 & ~mask} == {}
