"""The gate on corpus metrics and on groups with nothing to compare, through the real CLI where it decides.

Translation runs use the real Multi30K German/French/Czech references; hypotheses are the references
with words dropped, so BLEU is well inside (0, 100). A corpus primary metric (BLEU) is carried by no
record, so a gate that looks for it in per-sample scores tests nothing: these runs catch that.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.run_factory import synthetic_records, write_run
from tests.translation_fixtures import drop_words, translation_records
from tv_eval.analysis.gate import evaluate
from tv_eval.analysis.gate_config import GateConfig
from tv_eval.core.metrics import MetricKind, MetricSpec, segment_metric
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.results.run_loading import load_run
from tv_eval.scoring.sacrebleu_metrics import corpus_spec

LINES = 30
BLEU_PRIMARY = {"metrics": (corpus_spec("bleu", primary=True), corpus_spec("chrf"))}
XCOMET_PRIMARY = {"metrics": (segment_metric("xcomet", primary=True), corpus_spec("bleu"))}


def _failed(record: ScoredSample) -> ScoredSample:
    return replace(record, status=SampleStatus.FAILED, prediction=None, extracted=None, error="model crashed")


def _run(folder: Path, records: list[ScoredSample], overrides: dict) -> Path:
    return write_run(folder, "tiny", {"multi30k": records}, task_overrides={"multi30k": overrides})


def _compare(baseline: Path, candidate: Path, cache: Path, *args: str):
    return run_cli(["compare", str(baseline), str(candidate), "--resamples", "300", *args], cache)


def test_every_candidate_sample_failed_on_a_bleu_primary_fails_the_gate(
    tmp_path: Path, tv_eval_cache: Path
) -> None:
    """Wrong number 1: on main every group was "no scored samples" and the gate exited 0."""
    records = translation_records()
    baseline = _run(tmp_path / "baseline", records, BLEU_PRIMARY)
    candidate = _run(tmp_path / "candidate", [_failed(record) for record in records], BLEU_PRIMARY)
    result = _compare(baseline, candidate, tv_eval_cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "gate FAILED" in result.stdout
    for language in ("de", "fr", "cs"):
        assert f"multi30k/{language} REGRESSION" in result.stdout
    assert "no scored samples" not in result.stdout


def test_identical_bleu_runs_pass_with_the_corpus_value(tmp_path: Path, tv_eval_cache: Path) -> None:
    records = translation_records()
    baseline = _run(tmp_path / "baseline", records, BLEU_PRIMARY)
    candidate = _run(tmp_path / "candidate", records, BLEU_PRIMARY)
    result = _compare(baseline, candidate, tv_eval_cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gate PASSED: no significant regression in 4 tested groups" in result.stdout
    report = evaluate(load_run(baseline), load_run(candidate), GateConfig(n_resamples=200))
    german = load_run(baseline).task("multi30k")["by_language"]["de"]["metrics"]["bleu"]["value"]
    (row,) = [row for row in report.rows if row.group == "de"]
    assert 5 < german < 95
    assert row.baseline == row.candidate == pytest.approx(german / 100)
    assert row.difference.value == 0 and row.difference.interval == (0.0, 0.0)


def test_a_bleu_drop_in_one_language_is_named_and_paired_on_the_same_segments(tmp_path: Path) -> None:
    records = translation_records()
    worse = [replace(r, extracted=drop_words(r.reference, 2)) if r.language == "fr" else r for r in records]
    baseline = load_run(_run(tmp_path / "baseline", records, BLEU_PRIMARY))
    candidate = load_run(_run(tmp_path / "candidate", worse, BLEU_PRIMARY))
    report = evaluate(baseline, candidate, GateConfig(n_resamples=300))
    assert [(row.group, row.verdict) for row in report.failing_rows] == [
        ("all", "REGRESSION"),
        ("fr", "REGRESSION"),
    ]
    (french,) = [row for row in report.rows if row.group == "fr"]
    after = candidate.task("multi30k")["by_language"]["fr"]["metrics"]["bleu"]["value"]
    assert french.candidate == pytest.approx(after / 100)
    assert french.difference.interval[0] <= french.difference.value <= french.difference.interval[1] < 0


def test_a_metric_no_record_carries_is_not_tested_and_fails_unless_allowed(
    tmp_path: Path, tv_eval_cache: Path
) -> None:
    """xCOMET primary but the scorer produced nothing in either run: nothing was compared."""
    records = translation_records()
    baseline = _run(tmp_path / "baseline", records, XCOMET_PRIMARY)
    candidate = _run(tmp_path / "candidate", [_failed(record) for record in records], XCOMET_PRIMARY)
    result = _compare(baseline, candidate, tv_eval_cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "multi30k/all NOT TESTED" in result.stdout
    allowed = _compare(baseline, candidate, tv_eval_cache, "--allow-untested")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "0 tested groups, 4 not tested (allowed)" in allowed.stdout
    config = tmp_path / "gate.toml"
    config.write_text("allow_untested = true\n", encoding="utf-8")
    assert _compare(baseline, candidate, tv_eval_cache, "--config", str(config)).returncode == 0


def test_lower_is_better_metrics_regress_when_they_rise(tmp_path: Path) -> None:
    error_rate = {"metrics": (MetricSpec("error", MetricKind.SEGMENT, higher_is_better=False, primary=True),)}
    records = [
        replace(r, scores={"error": 1.0 - r.scores["accuracy"]}) if "accuracy" in r.scores else r
        for r in synthetic_records({"de": 0.8, "sw": 0.8}, per_language=60, seed=3, task="t")
    ]
    fewer_errors = [replace(r, scores={"error": 0.0}) if r.scores else r for r in records]
    more_errors = [replace(r, scores={"error": 1.0}) if r.scores else r for r in records]
    baseline = load_run(write_run(tmp_path / "b", "m", {"t": records}, task_overrides={"t": error_rate}))
    better = load_run(write_run(tmp_path / "c", "m", {"t": fewer_errors}, task_overrides={"t": error_rate}))
    worse = load_run(write_run(tmp_path / "d", "m", {"t": more_errors}, task_overrides={"t": error_rate}))
    assert evaluate(baseline, better, GateConfig()).exit_code == 0
    assert {row.verdict for row in evaluate(baseline, better, GateConfig()).rows} == {"improved"}
    assert {row.verdict for row in evaluate(baseline, worse, GateConfig()).rows} == {"REGRESSION"}
