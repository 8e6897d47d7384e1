"""Run directories under faults, through the real CLI: resume retries failed generations, `score`
refuses damaged files, one writer per run directory, leftovers skipped, judge failures counted, and
every unreadable run file ends in one line with exit code 2."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TINY_ALM_RUN, run_cli
from tests.openai_server import Fault, canned, serve
from tests.run_factory import synthetic_records, write_run
from tv_eval.core.folder_lock import FolderLock
from tv_eval.core.types import SampleStatus, ScoredSample

SMALL_RUN = [*TINY_ALM_RUN, "--sample", "--limit", "12", "--batch-size", "4"]


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return " ".join(lines[0].split())


def _statuses(run_dir: Path) -> list[str]:
    return [json.loads(line)["status"] for line in (run_dir / "samples.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    output = tmp_path_factory.mktemp("finished")
    result = run_cli([*SMALL_RUN, "--output-dir", str(output)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    return run_dir


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(finished_run, tmp_path / finished_run.name))


# --- item 3: --resume asks again for generations that failed on API errors ------------------------


@pytest.mark.slow
def test_resume_retries_api_failures_unless_kept(tmp_path: Path, tv_eval_cache: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-test-retry", "OPENAI_BASE_URL": ""}
    with serve(canned("A"), api_key="sk-test-retry") as server:
        server.inject(Fault(status=400), Fault(status=400))  # not retryable: two samples fail
        args = ["--tasks", "alm_bench", "--sample", "--languages", "en", "--max-failure-rate", "1"]
        output = ["--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
        first = run_cli(
            ["run", "--model", "openai:served", "--base-url", server.base_url, *args, *output],
            tv_eval_cache,
            extra_env=env,
        )
        assert first.returncode == 0, first.stderr
        (run_dir,) = (tmp_path / "out").iterdir()
        assert _statuses(run_dir).count("failed") == 2
        asked = server.state.attempts

        resume = ["run", "--resume", str(run_dir), "--cache-dir", str(tmp_path / "cache")]
        kept = run_cli([*resume, "--keep-failed"], tv_eval_cache, extra_env=env)
        assert kept.returncode == 0, kept.stderr
        assert server.state.attempts == asked
        assert _statuses(run_dir).count("failed") == 2

        retried = run_cli(resume, tv_eval_cache, extra_env=env)
        assert retried.returncode == 0, retried.stderr
        assert server.state.attempts == asked + 2
    assert "2 failed samples asked again" in " ".join(retried.stdout.split())
    statuses = _statuses(run_dir)
    assert "failed" not in statuses
    ids = [json.loads(line)["sample_id"] for line in (run_dir / "samples.jsonl").open(encoding="utf-8")]
    assert len(ids) == len(set(ids)) == len(statuses)


# --- item 5: `score` refuses a damaged samples.jsonl unless --repair; it never shrinks it ----------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("cut", "line 12 is cut off mid-record"),
        ("empty", "the file is empty"),
        ("missing_line", "holds 11 of the 12 samples run.json counts for alm_bench"),
        ("garbage_line", "line 3 is not a sample record"),
    ],
)
def test_score_refuses_a_damaged_samples_file(
    run_copy: Path, tv_eval_cache: Path, damage: str, message: str
) -> None:
    path = run_copy / "samples.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = {
        "cut": b"".join(lines)[:-40],
        "empty": b"",
        "missing_line": b"".join(lines[:5] + lines[6:]),
        "garbage_line": b"".join([*lines[:2], b"{not json\n", *lines[3:]]),
    }[damage]
    path.write_bytes(damaged)
    before = {name: (run_copy / name).read_bytes() for name in ("run.json", "results.json")}
    error = _one_line_error(run_cli(["score", str(run_copy), "--scoring", "paper"], tv_eval_cache))
    assert message in error
    assert "--repair" in error
    assert path.read_bytes() == damaged
    assert {name: (run_copy / name).read_bytes() for name in before} == before


@pytest.mark.slow
def test_score_repair_keeps_the_damaged_file_and_records_the_repair(
    run_copy: Path, tv_eval_cache: Path
) -> None:
    path = run_copy / "samples.jsonl"
    damaged = path.read_bytes()[:-40]
    path.write_bytes(damaged)
    result = run_cli(["score", str(run_copy), "--repair"], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    (kept,) = run_copy.glob("samples.damaged-*.jsonl")
    assert kept.read_bytes() == damaged
    assert len(path.read_text(encoding="utf-8").splitlines()) == 11
    repair = json.loads((run_copy / "run.json").read_text())["repaired"][0]
    assert repair["kept_as"] == kept.name
    assert "line 12 is cut off mid-record (no end of line)" in repair["damage"]
    results = json.loads((run_copy / "results.json").read_text())
    assert results["tasks"]["alm_bench"]["counts"]["total"] == 11


# --- item 6: one writer per run directory ---------------------------------------------------------


@pytest.mark.slow
def test_a_locked_run_directory_is_refused_by_resume_and_score(run_copy: Path, tv_eval_cache: Path) -> None:
    before = {path.name: path.read_bytes() for path in run_copy.iterdir()}
    with FolderLock(run_copy):
        for args in (["run", "--resume", str(run_copy)], ["score", str(run_copy), "--scoring", "paper"]):
            error = _one_line_error(run_cli(args, tv_eval_cache))
            assert "is in use by another tv-eval process" in error
    assert {path.name: path.read_bytes() for path in run_copy.iterdir()} == before


def _popen(args: list[str], model_cache: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TV_EVAL_CACHE_DIR": str(model_cache),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tv_eval.cli.main", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _locked_by(process: subprocess.Popen[str], folder: Path) -> bool:
    """Whether `process` holds a flock on `folder` (Linux /proc/locks: pid and device:inode)."""
    inode = folder.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and str(process.pid) in fields and fields[-3].endswith(f":{inode}"):
            return True
    return False


def _wait(condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "never reached"
        time.sleep(0.01)


@pytest.mark.slow
def test_two_concurrent_resumes_of_one_run_directory(tmp_path: Path, tv_eval_cache: Path) -> None:
    """The second writer exits 2 while the first holds the run directory; the first finishes with
    each sample exactly once."""
    args = [*TINY_ALM_RUN, "--sample", "--limit", "40", "--batch-size", "4"]
    crashed = _popen(
        [*args, "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")], tv_eval_cache
    )
    _wait(lambda: next((tmp_path / "out").glob("*/run.json"), None) is not None, crashed)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    (run_dir,) = (tmp_path / "out").iterdir()

    resume = ["run", "--resume", str(run_dir), "--cache-dir", str(tmp_path / "c")]
    first = _popen(resume, tv_eval_cache)
    _wait(lambda: _locked_by(first, run_dir), first)
    second = _popen(resume, tv_eval_cache)
    _, second_err = second.communicate(timeout=120)
    still_running = first.poll() is None
    _, first_err = first.communicate(timeout=300)
    assert still_running, "the first resume finished before the second tried: the test proved nothing"
    assert second.returncode == 2
    assert "is in use by another tv-eval process" in " ".join(second_err.split())
    assert "Traceback" not in second_err
    assert first.returncode == 0, first_err
    lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len({json.loads(line)["sample_id"] for line in lines}) == 40


# --- item 8: leftovers never block leaderboard or compare; a config error leaves no directory ------


def _leftover(folder: Path, status: str) -> Path:
    run_dir = folder / f"2026_leftover_{status}"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_dir.name, "status": status}))
    return run_dir


def test_leaderboard_and_compare_skip_leftover_run_directories(tmp_path: Path, tv_eval_cache: Path) -> None:
    records = synthetic_records({"en": 0.8, "de": 0.6}, per_language=6)
    write_run(tmp_path / "base" / "r1", "model-a", {"alm_bench": records})
    write_run(tmp_path / "cand" / "r2", "model-a", {"alm_bench": records})
    crashed = _leftover(tmp_path / "cand", "running")
    _leftover(tmp_path / "base", "interrupted")

    board = run_cli(["leaderboard", str(tmp_path / "base"), str(tmp_path / "cand")], tv_eval_cache)
    assert board.returncode == 0, board.stderr
    notes = " ".join(board.stderr.split())
    assert f"skipped {crashed} did not finish (status running" in notes
    assert f"tv-eval run --resume {crashed}" in notes

    gate = run_cli(["compare", str(tmp_path / "base"), str(tmp_path / "cand")], tv_eval_cache)
    assert gate.returncode == 0, gate.stderr

    named = run_cli(["compare", str(tmp_path / "base" / "r1"), str(crashed)], tv_eval_cache)
    assert named.returncode == 2
    assert f"no finished run directory in {crashed}" in " ".join(named.stderr.split())


@pytest.mark.slow
def test_a_model_that_does_not_load_leaves_no_run_directory(tmp_path: Path, tv_eval_cache: Path) -> None:
    (tmp_path / "not-a-model").mkdir()
    (tmp_path / "not-a-model" / "config.json").write_text("{}")
    result = run_cli(
        [
            *("run", "--model", f"hf:{tmp_path / 'not-a-model'}", "--tasks", "alm_bench", "--sample"),
            *("--limit", "2", "--output-dir", str(tmp_path / "out")),
        ],
        tv_eval_cache,
    )
    assert result.returncode == 2, result.stderr
    assert "cannot load" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


# --- item 14: --max-failure-rate counts judge failures --------------------------------------------


def test_failure_rate_counts_judge_failures(tmp_path: Path) -> None:
    import typer

    from tv_eval.cli.run_command import _check_failure_rate
    from tv_eval.results.run_loading import load_run

    records = synthetic_records({"en": 0.8, "de": 0.6}, per_language=10, judge_every=5)
    judged = [
        record if record.status is not SampleStatus.NEEDS_JUDGE else _judge_failed(record)
        for record in records
    ]
    document = load_run(write_run(tmp_path / "r", "m", {"alm_bench": judged})).document
    assert document.tasks["alm_bench"].counts.judge_failed == 4
    assert document.tasks["alm_bench"].counts.failed == 0
    _check_failure_rate(document, 0.2)  # 4 of 20 is within 20%
    with pytest.raises(typer.Exit) as stopped:
        _check_failure_rate(document, 0.1)
    assert stopped.value.exit_code == 1


def _judge_failed(record: ScoredSample) -> ScoredSample:
    return replace(record, status=SampleStatus.JUDGE_FAILED, error="judge answer could not be parsed")


# --- item 9: unreadable run files end in one line, exit 2 -----------------------------------------

GARBAGE = b"\x89\xff\xfe garbage \x00\x01"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "content", "command", "message"),
    [
        ("run.json", GARBAGE, "resume", "run.json cannot be resumed"),
        ("run.json", b'{"run_id": 3}', "resume", "run.json cannot be resumed: run_id: Input should be"),
        ("run.json", b"[1, 2]", "resume", "run.json cannot be resumed"),
        ("results.json", GARBAGE, "score", "results.json is unreadable"),
        ("results.json", b"[1]", "score", "results.json is unreadable"),
        ("results.json", GARBAGE, "report", "results.json is not valid JSON"),
        ("samples.jsonl", GARBAGE + b"\n", "score", "line 1 is not UTF-8 text"),
        ("samples.jsonl", GARBAGE, "score", "line 1 is cut off mid-record"),
        ("samples.jsonl", b"[1]\n", "score", "line 1 is not a sample record"),
        ("samples.jsonl", b"[1]\n", "leaderboard", "line 1 is not a sample record"),
        ("run.json", b'{"run_id": 3}', "score", "run.json is not a run record: run_id: Input should be"),
    ],
)
def test_unreadable_run_files_end_in_one_line(
    run_copy: Path, tv_eval_cache: Path, file: str, content: bytes, command: str, message: str
) -> None:
    (run_copy / file).write_bytes(content)
    args = {
        "resume": ["run", "--resume", str(run_copy)],
        "score": ["score", str(run_copy)],
        "report": ["report", str(run_copy)],
        "leaderboard": ["leaderboard", str(run_copy)],
    }[command]
    assert message in _one_line_error(run_cli(args, tv_eval_cache))
    assert (run_copy / file).read_bytes() == content
