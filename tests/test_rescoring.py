"""`tv-eval score RUN_DIR` re-scores saved predictions without the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, run_cli

pytestmark = pytest.mark.slow


def test_rescore_paper_then_back_to_robust(tmp_path: Path, tv_eval_cache: Path) -> None:
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--sample",
            "--limit",
            "45",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    original = json.loads((run_dir / "results.json").read_text())
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)

    paper = run_cli(["score", str(copy), "--scoring", "paper"], tv_eval_cache)
    assert paper.returncode == 0, paper.stderr
    task = json.loads((copy / "results.json").read_text())["tasks"]["alm_bench"]
    records = [json.loads(line) for line in (copy / "samples.jsonl").open()]
    assert task["scoring"] == "paper"
    assert task["counts"]["excluded"] == sum(1 for r in records if r["question_type"] != "mcq") > 0
    for record in records:
        if record["question_type"] == "mcq":
            assert record["scores"]["accuracy"] == float(record["prediction"].strip() == record["reference"])
    assert json.loads((copy / "run.json").read_text())["tasks"]["alm_bench"]["scoring"] == "paper"

    robust = run_cli(["score", str(copy), "--scoring", "robust"], tv_eval_cache)
    assert robust.returncode == 0, robust.stderr
    assert json.loads((copy / "results.json").read_text())["tasks"] == original["tasks"]


def test_score_errors(tmp_path: Path, tv_eval_cache: Path) -> None:
    missing = run_cli(["score", str(tmp_path)], tv_eval_cache)
    assert missing.returncode == 2 and "is not a run directory" in missing.stderr


def test_rescoring_keeps_the_recorded_metric_specs(tmp_path: Path, tv_eval_cache: Path) -> None:
    """Wrong number 2: a Multi30K sample run (BLEU primary) came back from `score` with xCOMET primary."""
    result = run_cli(
        [
            "run",
            "--model",
            "tiny-random",
            "--tasks",
            "multi30k",
            "--sample",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    before = json.loads((run_dir / "results.json").read_text())["tasks"]["multi30k"]
    assert before["primary_metric"] == "bleu"
    rescored = run_cli(["score", str(run_dir)], tv_eval_cache)
    assert rescored.returncode == 0, rescored.stderr
    after = json.loads((run_dir / "results.json").read_text())["tasks"]["multi30k"]
    assert after["primary_metric"] == "bleu"
    assert after["overall"] == before["overall"]
    assert [(spec["name"], spec["kind"]) for spec in after["metrics"]] == [
        ("bleu", "corpus"),
        ("chrf", "corpus"),
        ("chrf++", "corpus"),
        # Multi30K's hypotheses are checked for their target language beside the translation metrics.
        ("answer_language", "segment"),
        ("answer_language_unidentified", "segment"),
    ]
    assert after["metrics"] == before["metrics"]
