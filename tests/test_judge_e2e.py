"""The judge stage end to end through the real CLI.

- The tiny random model as judge (`score RUN_DIR --judge tiny-random`): its verdicts are noise, so the
  test checks plumbing, not verdicts: the recorded identity and template hash, fail-closed counting,
  no fallback metric, and that a second pass is served from the judge cache.
- An OpenAI-compatible model and judge over HTTP on 127.0.0.1: the model is the tiny LLaVA behind
  tests/openai_server.py, the judge a server answering by rule (a score, or something unreadable),
  with 429 and 500 injected. Checks judged scores, judge_failed counts, token usage and cost from the
  price table (built-in and overridden), and that the API key appears in no output or file.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.alm_bench.task import AlmBenchTask
from tasks.vimul_bench.make_sample import build_rows, write_clips, write_vimul_folder
from tests.conftest import only_run, records_of, run_cli, task_scores
from tests.openai_server import Fault, message_text, serve, tiny_model_responder

pytestmark = pytest.mark.slow

KEY = "sk-e2e-7f3a91d2b4-NEVER-IN-OUTPUT"


def test_tiny_judge_plumbing_caching_and_fail_closed(
    unjudged_run: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    before = records_of(unjudged_run)
    to_judge = {r["sample_id"] for r in before if r["status"] == "needs_judge"}
    assert len(to_judge) == 6  # one short and one long question per language
    cache = tmp_path / "judge.sqlite"

    first = run_cli(
        ["score", str(unjudged_run), "--judge", "tiny-random", "--judge-cache", str(cache)], tv_eval_cache
    )
    assert first.returncode == 0, first.stderr
    assert "judge tiny-random (tiny-random): 6 calls, 0 from cache" in " ".join(first.stdout.split())
    results = json.loads((unjudged_run / "results.json").read_text())
    judge, task = results["judge"], results["tasks"]["alm_bench"]
    assert (judge["model_id"], judge["revision"], judge["adapter"]) == ("tiny-random", "v1", "tiny_random")
    assert judge["usage"]["calls"] == 6 and judge["usage"]["cache_hits"] == 0
    assert judge["usage"]["prompt_tokens"] > 0 and judge["usage"]["estimated_cost_usd"] is None
    protocol = AlmBenchTask().judge_protocol("robust")
    assert task["judge"]["prompt_template_hash"] == protocol.templates_hash()
    assert task["judge"]["parser"] == "score_out_of_10"

    after = {r["sample_id"]: r for r in records_of(unjudged_run)}
    assert len(after) == len(before)
    statuses = Counter(after[sample_id]["status"] for sample_id in to_judge)
    assert set(statuses) <= {"scored", "judge_failed"} and sum(statuses.values()) == 6
    for sample_id in to_judge:
        record = after[sample_id]
        if record["status"] == "judge_failed":
            assert task_scores(record) == {}  # fail closed: no other metric stands in
            assert record["error"].startswith(("judge answer could not be parsed", "judge call failed"))
        else:
            assert set(task_scores(record)) == {"score"} and record["judge_output"]
    assert task["counts"]["judge_failed"] == statuses["judge_failed"]
    assert task["counts"]["needs_judge"] == 0
    assert task["judge"]["judged"] == statuses["scored"]
    untouched = [r for r in before if r["sample_id"] not in to_judge]
    assert all(after[r["sample_id"]] == r for r in untouched)
    run = json.loads((unjudged_run / "run.json").read_text())
    assert run["judge"]["model"] == "tiny-random" and run["history"][-1]["stage"] == "judge"

    second = run_cli(
        ["score", str(unjudged_run), "--judge", "tiny-random", "--judge-cache", str(cache)], tv_eval_cache
    )
    assert second.returncode == 0, second.stderr
    again = json.loads((unjudged_run / "results.json").read_text())["judge"]["usage"]
    assert (again["calls"], again["cache_hits"], again["prompt_tokens"]) == (0, 6, 0)
    assert {r["sample_id"]: r for r in records_of(unjudged_run)} == after
    with sqlite3.connect(cache) as connection:
        assert connection.execute("SELECT COUNT(*) FROM judge_answers").fetchone()[0] == 6


def test_score_errors_exit_2(tmp_path: Path, tv_eval_cache: Path, unjudged_run: Path) -> None:
    missing = run_cli(["score", str(tmp_path), "--judge", "tiny-random"], tv_eval_cache)
    assert missing.returncode == 2 and "has no run.json" in missing.stderr
    unknown = run_cli(["score", str(unjudged_run), "--judge", "nope:model"], tv_eval_cache)
    assert unknown.returncode == 2 and "unknown model adapter prefix 'nope'" in unknown.stderr
    no_key = run_cli(
        ["score", str(unjudged_run), "--judge", "openai:gpt-4o"],
        tv_eval_cache,
        extra_env={"OPENAI_API_KEY": ""},
    )
    assert no_key.returncode == 2 and "no API key for https://api.openai.com/v1" in no_key.stderr
    prices = tmp_path / "prices.yaml"
    prices.write_text("gpt-4o: {input: -1, output: 2}\n")
    bad_prices = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            "alm_bench",
            "--sample",
            "--judge",
            "tiny-random",
            "--judge-prices",
            str(prices),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        tv_eval_cache,
    )
    assert bad_prices.returncode == 2 and "needs non-negative 'input' and 'output'" in bad_prices.stderr
    assert "Traceback" not in bad_prices.stderr + no_key.stderr + unknown.stderr


def judge_by_rule(messages: list[dict], body: dict) -> str:
    """A judge that scores short answers 7 and answers long ones in a way no parser accepts."""
    return "I would rather not say." if "Consistency, Fluency" in message_text(messages) else "7"


@pytest.fixture(scope="module")
def model_server(tv_eval_cache: Path) -> Iterator[str]:
    """The tiny LLaVA served over HTTP, built in this process from the session's model cache."""
    from model_adapters.tiny_random import TinyRandomAdapter
    from tv_eval.core.adapter import AdapterSettings
    from tv_eval.core.cache_root import CACHE_DIR_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(tv_eval_cache))
        adapter = TinyRandomAdapter(AdapterSettings(model_id="tiny-random", device="cpu", batch_size=4))
    with serve(tiny_model_responder(adapter), api_key=KEY) as server:
        yield server.base_url
    adapter.close()


def test_openai_model_and_judge_over_http(model_server: str, tv_eval_cache: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    with serve(judge_by_rule, api_key=KEY) as judge:
        judge.inject(
            Fault(status=429, retry_after="0"), Fault(status=500), Fault(status=503, retry_after="0")
        )
        result = run_cli(
            [
                "run",
                "--model",
                "openai:tiny-random",
                "--base-url",
                model_server,
                "--tasks",
                "alm_bench",
                "--sample",
                "--languages",
                "en,si",
                "--output-dir",
                str(output),
                "--judge",
                "openai:gpt-4o",
                "--judge-base-url",
                judge.base_url,
                "--judge-cache",
                str(tmp_path / "j.sqlite"),
                "--max-failure-rate",
                "1",
            ],
            tv_eval_cache,
            extra_env={"OPENAI_API_KEY": KEY},
        )
        judge_bodies = list(judge.state.bodies)
        judge_attempts = judge.state.attempts
    assert result.returncode == 0, result.stderr
    run_dir = only_run(output)
    records = records_of(run_dir)
    assert all(r["status"] != "failed" for r in records), [
        r["error"] for r in records if r["status"] == "failed"
    ]
    judged = [r for r in records if r["question_type"] in ("short", "long")]
    assert len(judged) == len(judge_bodies) == 4 and judge_attempts == 7  # 3 injected faults retried
    for record in judged:
        if record["judge_output"] == "7":
            assert record["status"] == "scored" and task_scores(record) == {"score": 0.7}
        else:
            assert record["status"] == "judge_failed" and task_scores(record) == {}
            assert record["judge_output"] == "I would rather not say."
    failed = sum(r["status"] == "judge_failed" for r in judged)
    assert failed == 2 and {r["question_type"] for r in judged if r["status"] == "judge_failed"} == {"long"}
    task = json.loads((run_dir / "results.json").read_text())["tasks"]["alm_bench"]
    results = json.loads((run_dir / "results.json").read_text())
    assert task["counts"]["judge_failed"] == failed
    assert sum(entry["counts"]["judge_failed"] for entry in task["by_language"].values()) == failed
    scores = [r["scores"]["score"] for r in records if "score" in r["scores"]]
    assert task["overall"]["score"]["value"] == pytest.approx(sum(scores) / len(scores))
    assert task["overall"]["score"]["n"] == len(records) - failed
    assert set(task["by_question_type"]) == {"mcq", "true_false", "short", "long"}

    usage = results["judge"]["usage"]
    prompt_tokens = sum(len(message_text(body["messages"]).split()) for body in judge_bodies)
    completion_tokens = sum(len(r["judge_output"].split()) for r in judged)
    assert (usage["calls"], usage["prompt_tokens"], usage["completion_tokens"]) == (
        4,
        prompt_tokens,
        completion_tokens,
    )
    assert usage["price_usd_per_million_tokens"] == {"input": 2.5, "output": 10.0}
    assert usage["estimated_cost_usd"] == pytest.approx(
        (prompt_tokens * 2.5 + completion_tokens * 10.0) / 1e6
    )
    assert (results["judge"]["model_id"], results["judge"]["adapter"]) == ("gpt-4o", "openai")
    assert "estimated cost $" in result.stdout

    prices = tmp_path / "prices.toml"
    prices.write_text("[gpt-4o]\ninput = 100.0\noutput = 1000.0\n")
    with serve(judge_by_rule, api_key=KEY) as judge:
        rescored = run_cli(
            [
                "score",
                str(run_dir),
                "--judge",
                "openai:gpt-4o",
                "--judge-base-url",
                judge.base_url,
                "--judge-prices",
                str(prices),
                "--judge-cache",
                str(tmp_path / "other.sqlite"),
            ],
            tv_eval_cache,
            extra_env={"OPENAI_API_KEY": KEY},
        )
    assert rescored.returncode == 0, rescored.stderr
    usage = json.loads((run_dir / "results.json").read_text())["judge"]["usage"]
    assert usage["estimated_cost_usd"] == pytest.approx(
        (prompt_tokens * 100 + completion_tokens * 1000) / 1e6
    )

    leaked = [
        path
        for path in [*run_dir.iterdir(), *tmp_path.glob("*.sqlite*")]
        if KEY.encode() in path.read_bytes()
    ]
    assert leaked == []
    for stream in (result.stdout, result.stderr, rescored.stdout, rescored.stderr):
        assert KEY not in stream


def test_wrong_key_fails_samples_without_leaking_it(
    model_server: str, tv_eval_cache: Path, tmp_path: Path
) -> None:
    wrong = "sk-wrong-key-a8d0e1-MUST-NOT-APPEAR"
    result = run_cli(
        [
            "run",
            "--model",
            "openai:tiny-random",
            "--base-url",
            model_server,
            "--tasks",
            "alm_bench",
            "--sample",
            "--languages",
            "en",
            "--output-dir",
            str(tmp_path / "out"),
            "--no-cache",
        ],
        tv_eval_cache,
        extra_env={"OPENAI_API_KEY": wrong},
    )
    # every sample fails, so the run exits 1 after writing its results (--max-failure-rate 0)
    assert result.returncode == 1, result.stderr
    assert "samples failed" in result.stderr
    run_dir = only_run(tmp_path / "out")
    records = records_of(run_dir)
    assert {r["status"] for r in records} == {"failed"}
    assert all(r["error"].startswith("HTTP 401: Incorrect API key provided: [REDACTED]") for r in records)
    assert not [p for p in run_dir.iterdir() if wrong.encode() in p.read_bytes()]
    assert wrong not in result.stdout + result.stderr


def test_vimul_bench_video_end_to_end(tmp_path: Path, tv_eval_cache: Path) -> None:
    data = tmp_path / "vimul"
    configs = build_rows(write_clips(data))
    (data / "videos" / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(200))
    configs["english"]["oe"].append(
        {**configs["english"]["oe"][0], "id": "corrupt", "video_name": "corrupt.mp4"}
    )
    write_vimul_folder(data, configs)
    result = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            "vimul_bench",
            "--data-dir",
            str(data),
            "--video-frames",
            "4",
            "--output-dir",
            str(tmp_path / "out"),
            "--batch-size",
            "8",
            "--max-failure-rate",
            "0.05",
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    run_dir = only_run(tmp_path / "out")
    records = records_of(run_dir)
    assert len(records) == 43
    corrupt = next(r for r in records if "/corrupt#" in r["sample_id"])
    assert corrupt["status"] == "failed" and corrupt["error"].startswith("video could not be decoded")
    mcq = [r for r in records if r["question_type"] == "mcq"]
    assert len(mcq) == 14 and all(r["status"] == "scored" and set(r["scores"]) == {"accuracy"} for r in mcq)
    assert all(r["prompt"].startswith("user: <video>") for r in records)
    open_ended = [r for r in records if r["question_type"] != "mcq" and r is not corrupt]
    assert len(open_ended) == 28 and {r["status"] for r in open_ended} == {"needs_judge"}
    results = json.loads((run_dir / "results.json").read_text())
    task = results["tasks"]["vimul_bench"]
    assert len(task["by_language"]) == 14
    assert task["counts"]["failed"] == 1 and task["counts"]["total"] == 43
    assert task["counts"]["needs_judge"] == 28
    by_type = task["by_question_type"]
    assert by_type["mcq"]["accuracy"]["n"] == 14
    assert by_type["short"]["accuracy"]["n"] == by_type["long"]["accuracy"]["n"] == 0  # waiting for a judge
    run = json.loads((run_dir / "run.json").read_text())
    assert run["task_options"] == {"vimul_bench": {"video_frames": "4"}}
