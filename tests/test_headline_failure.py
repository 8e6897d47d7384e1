"""Wrong number 5: a primary metric that could not be computed makes `run` and `score` exit 1, after
the results are written, and the results state the failure.

The COMET worker is simulated: a stand-in COMET environment whose `python` resolves any checkpoint
and fails to score (as a worker that runs out of memory would), so the real CLI, the real batch
scorer and the real worker protocol run without building the COMET environment.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tv_eval.scoring.comet_env import COMET_VERSION, MARKER

pytestmark = pytest.mark.slow

FAILING_WORKER = """#!/bin/sh
# Called as: python -I worker.py COMMAND ARGS...
case "$3" in
  resolve) echo '{"checkpoint": "/models/xcomet/checkpoints/model.ckpt"}' ;;
  score) echo "RuntimeError: not enough memory to load the checkpoint" >&2; exit 1 ;;
  *) echo '{}' ;;
esac
"""


def stand_in_comet_env(cache: Path) -> None:
    env = cache / "envs" / f"comet-{COMET_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    (env / "bin").mkdir(parents=True)
    python = env / "bin" / "python"
    python.write_text(FAILING_WORKER, encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    (env / MARKER).write_text(json.dumps({"versions": {"unbabel-comet": COMET_VERSION}, "setup_s": 0}))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of its own (the tiny model is built once here) holding the stand-in COMET environment."""
    folder = tmp_path_factory.mktemp("failing-comet-cache")
    stand_in_comet_env(folder)
    return folder


def test_a_failed_primary_comet_metric_exits_1_and_is_stated(cache: Path, tmp_path: Path) -> None:
    arguments = ["run", "--model", "tiny-random", "--tasks", "multi30k", "--sample"]
    arguments += ["--output-dir", str(tmp_path / "out"), "--task-option", "multi30k.metrics=xcomet,bleu"]
    result = run_cli(arguments, cache)
    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "multi30k: primary metric xcomet could not be computed" in message
    assert "not enough memory to load the checkpoint" in message
    (run_dir,) = (tmp_path / "out").iterdir()
    task = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["multi30k"]
    assert task["primary_metric"] == "xcomet"
    assert "not enough memory" in task["failed_metrics"]["xcomet"]
    assert task["overall"]["xcomet"] == {"value": None, "n": 0, "ci95": None}
    assert task["overall"]["bleu"]["n"] == 18
    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["status"] == "complete"

    rescored = run_cli(["score", str(run_dir)], cache)
    assert rescored.returncode == 1, rescored.stdout + rescored.stderr
    assert "primary metric xcomet could not be computed" in " ".join(rescored.stderr.split())


def test_a_failed_secondary_metric_is_stated_but_does_not_fail_the_run(cache: Path, tmp_path: Path) -> None:
    """BLEU is primary (chosen first, no xCOMET); COMET-22 fails: stated, and the run succeeds."""
    arguments = ["run", "--model", "tiny-random", "--tasks", "multi30k", "--sample"]
    arguments += ["--output-dir", str(tmp_path / "out"), "--task-option", "multi30k.metrics=bleu,comet"]
    result = run_cli(arguments, cache)
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    task = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["multi30k"]
    assert task["primary_metric"] == "bleu"
    assert "not enough memory" in task["failed_metrics"]["comet"]
    assert task["overall"]["comet"]["value"] is None
