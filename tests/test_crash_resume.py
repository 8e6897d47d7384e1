"""Real crashes: SIGKILL a `tv-eval run` subprocess at several points, resume, and check that every
generation happened exactly once and the results equal an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TINY_ALM_RUN, run_cli

pytestmark = pytest.mark.slow

TOTAL = 40  # samples taken from the bundled ALM-Bench sample (round-robin over its 15 languages)
RUN_ARGS = [
    *TINY_ALM_RUN,
    "--sample",
    "--batch-size",
    "4",
    "--limit",
    str(TOTAL),
]


def _start(output: Path, cache_dir: Path, model_cache: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TV_EVAL_CACHE_DIR": str(model_cache),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    command = [
        sys.executable,
        "-m",
        "tv_eval.cli.main",
        *RUN_ARGS,
        "--output-dir",
        str(output),
        "--cache-dir",
        str(cache_dir),
        *extra,
    ]
    # SIGINT back to its default in the child: a suite started in the background by a non-interactive
    # shell inherits SIGINT ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _lines(output: Path) -> int:
    files = list(output.glob("*/samples.jsonl"))
    return sum(1 for _ in files[0].open(encoding="utf-8")) if files else 0


def _cached(cache_dir: Path) -> int:
    path = cache_dir / "responses.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as connection:
            return connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.Error:
        return 0


def _write_counts(cache_dir: Path) -> list[int]:
    with sqlite3.connect(cache_dir / "responses.sqlite") as connection:
        return [row[0] for row in connection.execute("SELECT writes FROM responses")]


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended before the kill point: {process.communicate()}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.01)


def _tasks_block(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())["tasks"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> dict:
    root = tmp_path_factory.mktemp("reference")
    result = run_cli(
        [*RUN_ARGS, "--output-dir", str(root / "out"), "--cache-dir", str(root / "cache")], tv_eval_cache
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (root / "out").iterdir()
    return _tasks_block(run_dir)


KILL_POINTS: dict[str, Callable[[Path, Path], bool]] = {
    # the first batches are in the cache, the model is mid-way through the next one
    "mid_batch": lambda output, cache: _cached(cache) >= 9,
    # a chunk's records have just been appended to samples.jsonl
    "between_chunks": lambda output, cache: _lines(output) >= 32,
    # every sample is written: the run is aggregating and writing results.json / run.json
    "while_writing_results": lambda output, cache: _lines(output) >= TOTAL,
    # before the model has produced anything
    "before_first_batch": lambda output, cache: next(output.glob("*/run.json"), None) is not None,
}


TRIALS = [
    ("mid_batch", "resume_flag"),
    ("mid_batch", "same_command"),
    ("between_chunks", "resume_flag"),
    ("between_chunks", "same_command"),
    ("while_writing_results", "resume_flag"),
    ("before_first_batch", "resume_flag"),
]


@pytest.mark.parametrize(("kill_point", "resume_how"), TRIALS)
def test_sigkill_then_resume(
    kill_point: str, resume_how: str, reference: dict, tmp_path: Path, tv_eval_cache: Path
) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    process = _start(output, cache, tv_eval_cache)
    _wait_for(lambda: KILL_POINTS[kill_point](output, cache), process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    (crashed_dir,) = output.iterdir()
    cached_before = _cached(cache)

    if resume_how == "resume_flag":
        result = run_cli(["run", "--resume", str(crashed_dir), "--cache-dir", str(cache)], tv_eval_cache)
        run_dir = crashed_dir
    else:
        result = run_cli(
            [*RUN_ARGS, "--output-dir", str(tmp_path / "again"), "--cache-dir", str(cache)], tv_eval_cache
        )
        (run_dir,) = (tmp_path / "again").iterdir()
    assert result.returncode == 0, result.stderr
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "complete"

    writes = _write_counts(cache)
    assert len(writes) == TOTAL
    assert set(writes) == {1}, "a generation was repeated"
    if resume_how == "same_command":
        assert run["generation"]["from_cache"] == cached_before
    assert _tasks_block(run_dir) == reference
    lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len({json.loads(line)["sample_id"] for line in lines}) == TOTAL


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path, tv_eval_cache: Path) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    process = _start(output, cache, tv_eval_cache)
    _wait_for(lambda: _lines(output) >= 8, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    (run_dir,) = output.iterdir()
    assert f"resume with: tv-eval run --resume {run_dir}" in " ".join(stderr.split())
    assert "Traceback" not in stderr
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    result = run_cli(["run", "--resume", str(run_dir), "--cache-dir", str(cache)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    assert set(_write_counts(cache)) == {1}


def test_two_concurrent_runs_share_one_cache(tmp_path: Path, tv_eval_cache: Path) -> None:
    cache = tmp_path / "cache"
    first = _start(tmp_path / "a", cache, tv_eval_cache, "--languages", "en,de,hi,bn,sw,si,ku,ja")
    second = _start(tmp_path / "b", cache, tv_eval_cache, "--languages", "ja,zh-Hans,ko,ru,uk,th,am,te")
    # each run takes 40 samples round-robin over its 8 languages: 5 per language, Japanese in both
    outputs = [first.communicate(timeout=300), second.communicate(timeout=300)]
    assert first.returncode == 0, outputs[0][1]
    assert second.returncode == 0, outputs[1][1]
    assert _cached(cache) == 75  # 15 languages x 5 questions; the 5 Japanese ones are shared
    with sqlite3.connect(cache / "responses.sqlite") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for folder in ("a", "b"):
        (run_dir,) = (tmp_path / folder).iterdir()
        assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"


def test_resume_restores_every_option_of_the_run(tmp_path: Path, tv_eval_cache: Path) -> None:
    args = [
        "run",
        "--model",
        "tiny-random",
        "--tasks",
        "vimul_bench",
        "--sample",
        "--video-frames",
        "3",
        "--limit",
        "6",
        "--output-dir",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--max-failure-rate",
        "1",
    ]
    assert run_cli(args, tv_eval_cache).returncode == 0
    (run_dir,) = (tmp_path / "out").iterdir()
    resumed = run_cli(
        ["run", "--resume", str(run_dir), "--cache-dir", str(tmp_path / "cache")], tv_eval_cache
    )
    assert resumed.returncode == 0, resumed.stderr
    run = json.loads((run_dir / "run.json").read_text())
    assert run["task_options"] == {"vimul_bench": {"video_frames": "3"}}
    assert run["config"]["max_failure_rate"] == 1
    assert run["generation"] == {"generated": 0, "from_cache": 0, "model_loaded": False}
    assert len(run["resumed"]) == 1
