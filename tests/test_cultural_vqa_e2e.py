"""CulturalVQA through the real CLI on data in the public schema (u_id, image, question; the answers are
withheld): answers generated, counted `needs_reference`, written as the submission file; and with a
local answers file, scored by LAVE through a judge served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tasks.cultural_vqa.make_sample import answers_file, build_rows, public_rows, write_cultural_vqa_parquet
from tests.conftest import run_cli, task_scores
from tests.openai_server import message_text, serve

KEY = "sk-cultural-vqa-e2e"


def public_fixture(folder: Path) -> Path:
    write_cultural_vqa_parquet(public_rows(build_rows()), folder / "data" / "test-00000-of-00001.parquet")
    return folder


def run(cache: Path, output: Path, *arguments: str, env: dict[str, str] | None = None) -> Path:
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", "cultural_vqa", "--output-dir", str(output), *arguments],
        cache,
        extra_env=env,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    return run_dir


def read(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    records = [
        json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    submission = json.loads((run_dir / "cultural_vqa.submission.json").read_text(encoding="utf-8"))
    return results, records, submission


@pytest.mark.slow
def test_public_data_generates_and_writes_the_submission(tv_eval_cache: Path, tmp_path: Path) -> None:
    run_dir = run(tv_eval_cache, tmp_path / "out", "--data-dir", str(public_fixture(tmp_path / "public")))
    results, records, submission = read(run_dir)
    task = results["tasks"]["cultural_vqa"]
    assert task["counts"]["needs_reference"] == task["counts"]["total"] == 22
    assert task["counts"]["scored"] == task["counts"]["failed"] == 0
    assert task["overall"]["lave"]["value"] is None
    assert all(
        record["status"] == "needs_reference" and record["prediction"] is not None for record in records
    )
    assert submission == {record["metadata"]["u_id"]: record["prediction"].strip() for record in records}
    assert sorted(submission) == sorted(row["u_id"] for row in build_rows())


def judge_by_rule(messages: list[dict], body: dict) -> str:
    """Rates the colour questions 3 and the others 1 (the judged question is the prompt's last)."""
    judged_question = message_text(messages).rsplit("Question:", 1)[1]
    return "3" if "colour" in judged_question else "1"


@pytest.mark.slow
def test_answers_file_scores_lave_through_the_judge(tv_eval_cache: Path, tmp_path: Path) -> None:
    rows = build_rows()
    answers = answers_file(rows)
    withheld = {"0003_1", "0003_2"}
    for u_id in withheld:
        del answers[u_id]
    (tmp_path / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
    with serve(judge_by_rule, api_key=KEY) as judge:
        run_dir = run(
            tv_eval_cache,
            tmp_path / "out",
            "--data-dir",
            str(public_fixture(tmp_path / "public")),
            "--task-option",
            f"cultural_vqa.answers={tmp_path / 'answers.json'}",
            "--judge",
            "openai:gpt-4o",
            "--judge-base-url",
            judge.base_url,
            "--judge-cache",
            str(tmp_path / "judge.sqlite"),
            env={"OPENAI_API_KEY": KEY},
        )
        judged = len(judge.state.bodies)
    results, records, submission = read(run_dir)
    task = results["tasks"]["cultural_vqa"]
    assert judged == 20
    assert task["counts"]["scored"] == 20 and task["counts"]["needs_reference"] == 2
    by_id = {record["sample_id"]: record for record in records}
    assert {u_id for u_id, record in by_id.items() if record["status"] == "needs_reference"} == withheld
    for u_id, record in by_id.items():
        if u_id not in withheld:
            assert task_scores(record) == {"lave": 1.0 if u_id.endswith("_1") else 0.0}
            assert record["metadata"]["answers"] == answers[u_id]["answers"]
    assert task["overall"]["lave"]["value"] == pytest.approx(0.5) and task["overall"]["lave"]["n"] == 20
    assert task["by_country"]["Brazil"]["lave"]["value"] == pytest.approx(0.5)
    assert "Ethiopia" not in task["by_country"]  # 0003 is Ethiopia's pair: no country without references
    assert len(submission) == 22
