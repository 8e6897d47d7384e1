"""Judge replies through the real CLI: what the protocols cannot read fails, empty replies are asked
again, and the official LAVE reading. The judge is a local OpenAI-compatible server answering by rule."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import only_run, records_of, run_cli, task_scores
from tests.openai_server import canned, message_text, serve

pytestmark = pytest.mark.slow

KEY = "sk-replies-5c2e80a1f7-NEVER-IN-OUTPUT"


class RuledJudge:
    """A judge replying `short` to short questions and `long` to long ones, changed between passes.
    One server for every pass: the judge's identity (hence its cache key) includes its base URL."""

    def __init__(self) -> None:
        self.short, self.long = "", ""

    def __call__(self, messages: list[dict], body: dict) -> str:
        return self.long if "Consistency, Fluency" in message_text(messages) else self.short


def judge_pass(run_dir: Path, judge_url: str, cache: Path, tv_eval_cache: Path) -> dict:
    """`score --judge` once; the judge's calls and cache hits, with the records by question type."""
    result = run_cli(
        [
            "score",
            str(run_dir),
            "--judge",
            "openai:gpt-4o",
            "--judge-base-url",
            judge_url,
            *("--judge-cache", str(cache)),
        ],
        tv_eval_cache,
        extra_env={"OPENAI_API_KEY": KEY},
    )
    assert result.returncode == 0, result.stderr
    usage = json.loads((run_dir / "results.json").read_text())["judge"]["usage"]
    by_type: dict[str, list[dict]] = {"short": [], "long": []}
    for record in records_of(run_dir):
        if record["question_type"] in by_type:
            by_type[record["question_type"]].append(record)
    return {"calls": usage["calls"], "cache_hits": usage["cache_hits"], **by_type}


def test_empty_replies_are_asked_again_and_unreadable_scores_fail(
    unjudged_run: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    """Issue 14.1 and 14.2: `-3` and `On a scale of 0 to 10, I give 9` are judge_failed (not 0.3,
    0.0); an empty reply is an error, never cached, so the next pass asks again."""
    run_dir = tmp_path / "run"
    shutil.copytree(unjudged_run, run_dir)
    cache = tmp_path / "judge.sqlite"
    rule = RuledJudge()
    with serve(rule, api_key=KEY) as judge:
        rule.short, rule.long = "-3", ""
        first = judge_pass(run_dir, judge.base_url, cache, tv_eval_cache)
        with sqlite3.connect(cache) as connection:
            rows = connection.execute("SELECT text FROM judge_answers").fetchall()
        rule.short, rule.long = "8", "9"
        second = judge_pass(run_dir, judge.base_url, cache, tv_eval_cache)
        cleared = run_cli(["cache", "clear", "--judge", "--judge-cache", str(cache)], tv_eval_cache)
        rule.short = "On a scale of 0 to 10, I give 9"
        third = judge_pass(run_dir, judge.base_url, cache, tv_eval_cache)

    assert (first["calls"], first["cache_hits"]) == (6, 0)
    for record in first["short"]:
        assert (record["status"], task_scores(record), record["judge_output"]) == ("judge_failed", {}, "-3")
    for record in first["long"]:
        assert (record["status"], record["judge_output"]) == ("judge_failed", None)
        # The OpenAI adapter itself calls an empty completion an error (a local judge's "" gets the
        # judge stage's own "the judge returned an empty reply"); either way it is never cached.
        assert record["error"] == "judge call failed: empty completion from the server (finish_reason: stop)"
    assert sorted(rows) == [("-3",)] * 3

    assert (second["calls"], second["cache_hits"]) == (3, 3)  # only the empty ones are asked again
    assert all(r["status"] == "judge_failed" and r["judge_output"] == "-3" for r in second["short"])
    assert all(r["status"] == "scored" and task_scores(r) == {"score": 0.9} for r in second["long"])

    assert cleared.returncode == 0 and "removed 6 cached judge answers" in cleared.stdout
    assert (third["calls"], third["cache_hits"]) == (6, 0)
    assert all(r["status"] == "judge_failed" and task_scores(r) == {} for r in third["short"])
    assert all(r["status"] == "scored" and task_scores(r) == {"score": 0.9} for r in third["long"])


@pytest.mark.parametrize(
    ("scoring", "parser", "lave"), [("lave", "lave_rating_1_3", 1.0), ("official", "lave_official", 0.5)]
)
def test_cultural_vqa_official_mode_reads_lave_as_lave_ft5(
    scoring: str, parser: str, lave: float, tv_eval_cache: Path, tmp_path: Path
) -> None:
    """Issue 10.3: `So rating=3.` ends in '.', which the official LAVE reading turns into rating 2."""
    with serve(canned("The candidate matches the references. So rating=3."), api_key=KEY) as judge:
        result = run_cli(
            [
                "run",
                "--model",
                "tiny-random",
                "--tasks",
                "cultural_vqa",
                "--sample",
                "--scoring",
                scoring,
                "--output-dir",
                str(tmp_path / "out"),
                "--judge",
                "openai:gpt-4o",
                "--judge-base-url",
                judge.base_url,
                "--judge-cache",
                str(tmp_path / "judge.sqlite"),
            ],
            tv_eval_cache,
            extra_env={"OPENAI_API_KEY": KEY},
        )
        max_tokens = {body["max_tokens"] for body in judge.state.bodies}
    assert result.returncode == 0, result.stderr
    run_dir = only_run(tmp_path / "out")
    records = records_of(run_dir)
    assert records and all(r["status"] == "scored" and task_scores(r) == {"lave": lave} for r in records)
    task = json.loads((run_dir / "results.json").read_text())["tasks"]["cultural_vqa"]
    assert task["judge"]["parser"] == parser
    assert max_tokens == {512}
