"""Shared fixtures: one tiny model cache per test session, and a runner for the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# `tv-eval run` of the tiny random model on ALM-Bench: the start of most end-to-end commands.
TINY_ALM_RUN = ("run", "--model", "tiny-random", "--tasks", "alm_bench")


@pytest.fixture(scope="session")
def tv_eval_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder the CLI subprocesses share, so the tiny model is built once per session."""
    cache = tmp_path_factory.mktemp("tv-eval-cache")
    yield cache
    shutil.rmtree(cache, ignore_errors=True)


def cli_invocation(
    args: list[str], cache: Path, extra_env: dict[str, str | None] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `tv-eval ARGS`, exactly as a user runs it (console script,
    fresh interpreter). A None in `extra_env` removes that variable (e.g. COLUMNS, to see what a CI log
    gets)."""
    merged = {
        **os.environ,
        "TV_EVAL_CACHE_DIR": str(cache),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "COLUMNS": "200",
        "PYTHONIOENCODING": "utf-8",
        **(extra_env or {}),
    }
    env = {name: value for name, value in merged.items() if value is not None}
    # The console script of the interpreter running the tests, not whichever `tv-eval` PATH finds first
    # (another checkout's install would run other code).
    beside = Path(sys.executable).parent / "tv-eval"
    executable = str(beside) if beside.is_file() else sys.executable
    command = (
        [executable, *args]
        if executable.endswith("tv-eval")
        else [executable, "-m", "tv_eval.cli.main", *args]
    )
    return command, env


def run_cli(
    args: list[str], cache: Path, timeout: float = 300, extra_env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """`tv-eval ARGS` in a subprocess, to its end."""
    command, env = cli_invocation(args, cache, extra_env)
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=timeout)


def start_cli(args: list[str], cache: Path) -> subprocess.Popen[str]:
    """`tv-eval ARGS` started in a subprocess, for tests that signal it while it runs."""
    command, env = cli_invocation(args, cache)
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT
    )


def results_document(task_block: dict) -> dict:
    """A minimal results.json around one task's aggregate block, for schema tests."""
    return {
        "schema_version": "1",
        "run_id": "r",
        "model": {"name": "m", "model_id": "m"},
        "tier_map": "joshi2020",
        "tasks": {
            "t": {
                "scoring": "robust",
                "primary_metric": "accuracy",
                "prompts_hash": "h",
                "dataset": {"dataset_id": "d", "split": "test", "fingerprint": "f", "source": "sample"},
                **task_block,
            }
        },
    }


def records_of(run_dir: Path) -> list[dict]:
    """The records of a run's samples.jsonl, in file order."""
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def only_run(output: Path) -> Path:
    """The one run directory `tv-eval run --output-dir OUTPUT` created."""
    (run_dir,) = output.iterdir()
    return run_dir


@pytest.fixture(scope="module")
def unjudged_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    """A tiny-model ALM-Bench run whose open answers wait for a judge; one per test module, which may
    judge it in place."""
    output = tmp_path_factory.mktemp("unjudged")
    result = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            "alm_bench",
            "--sample",
            "--languages",
            "en,de,sw",
            "--output-dir",
            str(output),
            "--batch-size",
            "8",
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    return only_run(output)


def task_scores(record: dict) -> dict:
    """A samples.jsonl record's scores without the answer-language check every free-text answer of
    ALM-Bench, CulturalVQA, ViMUL-Bench and Multi30K also carries (tv_eval/scoring/answer_language.py)."""
    return {name: value for name, value in record["scores"].items() if not name.startswith("answer_language")}
