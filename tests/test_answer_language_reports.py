"""`answer_language` in the leaderboard and the gate, on synthetic runs with known per-sample values."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.run_factory import synthetic_records, write_run
from tv_eval.core.metrics import ANSWER_LANGUAGE, ANSWER_LANGUAGE_UNIDENTIFIED, answer_language_specs
from tv_eval.core.metrics import segment_metric as metric
from tv_eval.core.types import ScoredSample

pytestmark = pytest.mark.slow

SKILL = {"en": 0.8, "de": 0.7, "sw": 0.5, "am": 0.4}
SPECS = (metric("accuracy", primary=True), *answer_language_specs())
PER_LANGUAGE = 60


def _with_language(records: list[ScoredSample], wrong_in: str = "", every: int = 0) -> list[ScoredSample]:
    """Every answer in the expected language, except all of `wrong_in`'s; every `every`-th unidentified."""
    out = []
    for index, record in enumerate(records):
        if every and index % every == 0:
            scores = {ANSWER_LANGUAGE_UNIDENTIFIED: 1.0}
        else:
            passed = 0.0 if record.language == wrong_in else 1.0
            scores = {ANSWER_LANGUAGE: passed, ANSWER_LANGUAGE_UNIDENTIFIED: 0.0}
        out.append(replace(record, scores={**record.scores, **scores}))
    return out


def _run(path: Path, name: str, wrong_in: str = "") -> Path:
    records = _with_language(synthetic_records(SKILL, per_language=PER_LANGUAGE), wrong_in, every=10)
    return write_run(
        path / name, name, {"alm_bench": records}, task_overrides={"alm_bench": {"metrics": SPECS}}
    )


def test_gate_tests_answer_language_only_when_asked(tmp_path: Path, tv_eval_cache: Path) -> None:
    baseline, candidate = _run(tmp_path, "base"), _run(tmp_path, "cand", wrong_in="sw")
    plain = run_cli(["compare", str(baseline), str(candidate), "--by", "language"], tv_eval_cache)
    assert plain.returncode == 0, plain.stdout
    assert "[answer_language]" not in plain.stdout
    asked = run_cli(
        ["compare", str(baseline), str(candidate), "--by", "language", "--also-metric", ANSWER_LANGUAGE],
        tv_eval_cache,
    )
    assert asked.returncode == 1, asked.stdout
    assert "alm_bench/sw [answer_language] REGRESSION" in asked.stdout
    assert "alm_bench/en [answer_language]" not in asked.stdout.split("gate FAILED")[-1]
    unknown = run_cli(["compare", str(baseline), str(baseline), "--also-metric", "nonsense"], tv_eval_cache)
    assert unknown.returncode == 2
    assert "nonsense" in unknown.stdout + unknown.stderr


def test_leaderboard_has_an_answer_language_table(tmp_path: Path, tv_eval_cache: Path) -> None:
    baseline, candidate = _run(tmp_path, "base"), _run(tmp_path, "cand", wrong_in="sw")
    out = tmp_path / "board"
    result = run_cli(["leaderboard", str(baseline), str(candidate), "--output", str(out)], tv_eval_cache)
    assert result.returncode == 0, result.stdout + result.stderr
    board = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    (table,) = [t for t in board["tables"] if t["key"] == "answer_language:alm_bench"]
    assert table["columns"][0] == "all" and "sw" in table["columns"]
    rows = {row["label"]: row["cells"] for row in table["rows"]}
    sw = table["columns"].index("sw")
    # 60 samples, every 10th unidentified: 54 identified, all right in base, all wrong in cand.
    assert (rows["base"][sw]["value"], rows["base"][sw]["n"]) == (pytest.approx(1.0), 54)
    assert (rows["cand"][sw]["value"], rows["cand"][sw]["n"]) == (pytest.approx(0.0), 54)
    assert rows["cand"][0]["value"] == pytest.approx(0.75)
    assert "answers in the expected language" in (out / "leaderboard.md").read_text(encoding="utf-8")
