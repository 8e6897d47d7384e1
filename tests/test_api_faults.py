"""A misbehaving OpenAI-compatible server (tests/openai_server.py) against the real CLI: empty and null
completions, replies with lone surrogates, keys no header can carry, credentials in base URLs, and 5%
of requests failing with a 500 while throughput must hold."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fault_runs import measure_run, replicated_alm_bench
from tests.openai_server import RunningServer, canned, serve


def _run(
    server_url: str, output: Path, cache: Path, *extra: str, key: str = ""
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        [
            "run",
            "--model",
            "openai:served",
            "--base-url",
            server_url,
            "--tasks",
            "alm_bench",
            "--sample",
            "--languages",
            "en",
            "--output-dir",
            str(output),
            "--cache-dir",
            str(cache),
            "--max-failure-rate",
            "1",
            *extra,
        ],
        cache / "models",
        extra_env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": key},
    )


def _records(output: Path) -> list[dict]:
    (run_dir,) = output.iterdir()
    return [json.loads(line) for line in (run_dir / "samples.jsonl").open(encoding="utf-8")]


@pytest.mark.parametrize("content", [None, "", "  \n"], ids=["null", "empty", "blank"])
def test_an_empty_completion_is_an_error_and_is_asked_again(content: str | None, tmp_path: Path) -> None:
    with serve(canned(content)) as server:
        first = _run(server.base_url, tmp_path / "first", tmp_path / "cache")
        asked_first = server.state.attempts
        second = _run(server.base_url, tmp_path / "second", tmp_path / "cache")
        asked_second = server.state.attempts - asked_first
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    records = _records(tmp_path / "first")
    assert asked_first == len(records) > 0
    assert {(r["status"], r["error"]) for r in records} == {
        ("failed", "empty completion from the server (finish_reason: stop)")
    }
    assert asked_second == asked_first  # nothing was cached: the rerun asked every question again


def test_a_lone_surrogate_is_replaced_recorded_and_cached(tmp_path: Path) -> None:
    with serve(canned("A \ud800 B")) as server:
        first = _run(server.base_url, tmp_path / "first", tmp_path / "cache")
        asked = server.state.attempts
        second = _run(server.base_url, tmp_path / "second", tmp_path / "cache")
        assert server.state.attempts == asked  # the cleaned answer was cached
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    for output in ("first", "second"):
        records = _records(tmp_path / output)
        assert len(records) == asked
        assert {r["prediction"] for r in records} == {"A \ufffd B"}
        assert {r["details"]["replaced_code_points"] for r in records} == {1}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sk-first-line\nsk-second-line", "spans more than one line; a key is one line"),
        ("sk-has a-space", "holds a space, a control or a non-ASCII character"),
    ],
    ids=["newline", "space"],
)
def test_a_key_no_header_can_carry_is_a_configuration_error(key: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(key)
    with serve(canned("A")) as server:
        from_file = _run(
            server.base_url,
            tmp_path / "runs",
            tmp_path / "cache",
            "--api-key-file",
            str(tmp_path / "key.txt"),
        )
        from_env = _run(server.base_url, tmp_path / "runs", tmp_path / "cache", key=key)
        assert server.state.attempts == 0
    for result, source in (
        (from_file, f"API key file {tmp_path / 'key.txt'}"),
        (from_env, "$OPENAI_API_KEY"),
    ):
        assert result.returncode == 2
        assert f"the API key in {source} {message}" in " ".join(result.stderr.split())
        assert "Traceback" not in result.stderr
        for part in key.split():
            assert part not in result.stdout + result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def _files_holding(secret: str, folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]


def _with_credentials(server: RunningServer, user: str, secret: str) -> str:
    host = server.base_url.removeprefix("http://")
    return f"http://{user}:{secret}@{host}?api_key={secret}&api-version=2024-06-01"


def test_credentials_in_base_urls_are_redacted_from_run_json(tmp_path: Path) -> None:
    model_secret, judge_secret = "pw-MODEL-CANARY-77", "pw-JUDGE-CANARY-42"
    with serve(canned("A")) as model, serve(canned("7")) as judge:
        result = _run(
            _with_credentials(model, "alice", model_secret),
            tmp_path / "runs",
            tmp_path / "cache",
            "--judge",
            "openai:judge",
            "--judge-base-url",
            _with_credentials(judge, "bob", judge_secret),
        )
        assert model.state.answered > 0 and judge.state.answered > 0
        sent = model.state.bodies
    assert result.returncode == 0, result.stderr
    assert len(sent) == len(_records(tmp_path / "runs"))
    (run_dir,) = (tmp_path / "runs").iterdir()
    config = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["config"]
    port = model.base_url.rsplit(":", 1)[1].split("/")[0]
    assert config["base_url"] == (
        f"http://REDACTED@127.0.0.1:{port}/v1?api_key=REDACTED&api-version=2024-06-01"
    )
    assert config["judge"]["base_url"].startswith("http://REDACTED@127.0.0.1:")
    for secret in (model_secret, judge_secret, "alice", "bob"):
        assert _files_holding(secret, tmp_path) == [], secret
        assert secret not in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("concurrency", "latency_s", "rows"),
    [(8, 0.5, 80), (64, 1.0, 256)],  # latency large against scheduling noise on a busy machine
)
def test_five_percent_500s_cost_little_throughput(
    concurrency: int, latency_s: float, rows: int, tmp_path: Path
) -> None:
    """Each 500 holds up only its own request (no chunk waits for its slowest retry), and
    --concurrency alone sets how many requests are in flight, whatever the batch size."""
    data = replicated_alm_bench(tmp_path / "data", rows=rows)
    clean = measure_run(data, tmp_path / "clean", concurrency=concurrency, latency_s=latency_s, fault_rate=0)
    faulty = measure_run(
        data, tmp_path / "faulty", concurrency=concurrency, latency_s=latency_s, fault_rate=0.05
    )
    for run in (clean, faulty):
        assert run.result.returncode == 0, run.result.stderr
        assert run.answered == rows
        assert run.max_in_flight == concurrency
    assert faulty.injected >= rows // 20 and faulty.attempts == faulty.answered + faulty.injected
    assert faulty.answers_per_second * 1.5 >= clean.answers_per_second, (clean, faulty)


def test_a_resumed_run_takes_the_redacted_credentials_again(tmp_path: Path) -> None:
    secret = "pw-RESUME-CANARY-3"
    with serve(canned("A")) as server:
        url = _with_credentials(server, "carol", secret)
        first = _run(url, tmp_path / "runs", tmp_path / "cache")
        (run_dir,) = (tmp_path / "runs").iterdir()
        resume = ["run", "--resume", str(run_dir), "--cache-dir", str(tmp_path / "cache")]
        without = run_cli(resume, tmp_path / "cache" / "models", extra_env={"OPENAI_BASE_URL": ""})
        elsewhere = run_cli(
            [*resume, "--base-url", url.replace("127.0.0.1", "localhost")],
            tmp_path / "cache" / "models",
            extra_env={"OPENAI_BASE_URL": ""},
        )
        again = run_cli(
            [*resume, "--base-url", url], tmp_path / "cache" / "models", extra_env={"OPENAI_BASE_URL": ""}
        )
    assert first.returncode == 0, first.stderr
    assert without.returncode == 2 and "give the URL again with --resume" in " ".join(without.stderr.split())
    assert elsewhere.returncode == 2 and "is not the server the run used" in " ".join(
        elsewhere.stderr.split()
    )
    assert again.returncode == 0, again.stderr
    assert _files_holding(secret, tmp_path) == []
    for result in (without, elsewhere, again):
        assert "Traceback" not in result.stderr and secret not in result.stdout + result.stderr
