"""Kill tests for multi-file updates: `score` and `leaderboard --output` SIGKILLed at every file
replacement they make. Afterwards a reader sees either every old file or every new one, never
samples.jsonl re-scored beside results.json of the old mode, nor new tables beside an old page."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TINY_ALM_RUN, run_cli
from tests.run_factory import synthetic_records, write_run
from tv_eval.core.staged_files import committed_path, recover

# Runs the CLI with os.replace wrapped: the process SIGKILLs itself just before its k-th replacement of
# a file under the folder given (the replacements are where files become visible).
KILLER = """
import os, signal, sys
folder, kill_at = os.path.realpath(sys.argv[1]) + os.sep, int(sys.argv[2])
real_replace, seen = os.replace, [0]
def replace(src, dst, *args, **kwargs):
    if os.path.realpath(dst).startswith(folder):
        seen[0] += 1
        if seen[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *args, **kwargs)
os.replace = replace
sys.argv = ["tv-eval", *sys.argv[3:]]
from tv_eval.cli.main import main
main()
"""
KILL_POINTS = range(1, 6)


def _killed_at(kill_at: int, folder: Path, args: list[str], model_cache: Path) -> int:
    env = {
        **os.environ,
        "TV_EVAL_CACHE_DIR": str(model_cache),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    command = [sys.executable, "-c", KILLER, str(folder), str(kill_at), *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, timeout=300).returncode


RUN_FILES = ("samples.jsonl", "results.json", "leaderboard.md")


def _view(run_dir: Path, use_committed: bool = True) -> dict[str, bytes]:
    return {
        name: (committed_path(run_dir, name) if use_committed else run_dir / name).read_bytes()
        for name in RUN_FILES
    }


def _recorded_scoring(run_dir: Path) -> str:
    return json.loads(committed_path(run_dir, "run.json").read_text())["tasks"]["alm_bench"]["scoring"]


@pytest.fixture(scope="module")
def scored_states(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> tuple[Path, dict, dict]:
    """A robust run, its files, and the files a completed `score --scoring paper` makes of it."""
    root = tmp_path_factory.mktemp("scored")
    result = run_cli(
        [*TINY_ALM_RUN, "--sample", "--limit", "12", "--output-dir", str(root / "out")], tv_eval_cache
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (root / "out").iterdir()
    rescored = Path(shutil.copytree(run_dir, root / "rescored"))
    assert run_cli(["score", str(rescored), "--scoring", "paper"], tv_eval_cache).returncode == 0
    old, new = _view(run_dir), _view(rescored)
    assert old["results.json"] != new["results.json"] and old["samples.jsonl"] != new["samples.jsonl"]
    return run_dir, old, new


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_killed_score_leaves_old_or_new_files_never_both(
    scored_states: tuple[Path, dict, dict], tmp_path: Path, tv_eval_cache: Path, kill_at: int
) -> None:
    original, old, new = scored_states
    run_dir = Path(shutil.copytree(original, tmp_path / "run"))
    _killed_at(kill_at, run_dir, ["score", str(run_dir), "--scoring", "paper"], tv_eval_cache)
    view = _view(run_dir)
    assert view in (old, new), f"killed at replacement {kill_at}: files of both versions are visible"
    assert _recorded_scoring(run_dir) == ("robust" if view == old else "paper")
    recover(run_dir)  # what the next writer does first
    assert _view(run_dir, use_committed=False) == view


def _board_runs(root: Path) -> tuple[Path, Path]:
    records = synthetic_records({"en": 0.8, "de": 0.6, "sw": 0.4}, per_language=6)
    first = write_run(root / "a", "model-a", {"alm_bench": records})
    second = write_run(root / "b", "model-b", {"alm_bench": records}, task_overrides={})
    return first, second


BOARD_FILES = ("leaderboard.md", "leaderboard.csv", "leaderboard.json", "leaderboard.html")


def _mentions_b(folder: Path, use_committed: bool = True) -> list[bool]:
    return [
        "model-b"
        in (committed_path(folder, name) if use_committed else folder / name).read_text(encoding="utf-8")
        for name in BOARD_FILES
    ]


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_killed_leaderboard_leaves_old_or_new_files_never_both(
    tmp_path: Path, tv_eval_cache: Path, kill_at: int
) -> None:
    first, second = _board_runs(tmp_path)
    output = tmp_path / "board"
    formats = ["--format", "md,csv,json,html"]
    old = run_cli(["leaderboard", str(first), "--output", str(output), *formats], tv_eval_cache)
    assert old.returncode == 0, old.stderr
    assert _mentions_b(output) == [False] * 4
    _killed_at(
        kill_at,
        output,
        ["leaderboard", str(first), str(second), "--output", str(output), *formats],
        tv_eval_cache,
    )
    seen = _mentions_b(output)
    assert seen in ([False] * 4, [True] * 4), (
        f"killed at replacement {kill_at}: old and new files side by side"
    )
    recover(output)
    assert _mentions_b(output, use_committed=False) == seen
