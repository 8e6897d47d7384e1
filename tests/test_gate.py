"""The regression gate through the real CLI: exit 0 on an identical candidate, 1 on a planted drop
that the output names, 2 on runs that cannot be compared; thresholds, identity checks, coverage."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.run_factory import synthetic_records, write_run
from tv_eval.analysis.gate import evaluate
from tv_eval.analysis.gate_config import GateConfig, UnusableInput, build_config, load_gate_config
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.results.run_loading import load_run

SKILL = {"en": 0.9, "de": 0.8, "hi": 0.7, "bn": 0.7, "sw": 0.85, "si": 0.6, "ku": 0.5}


def _baseline_records() -> list[ScoredSample]:
    return synthetic_records(SKILL, per_language=24, questions_per_image=2, seed=11)


def _planted_drop(records: list[ScoredSample], language: str = "sw") -> list[ScoredSample]:
    """Every correct answer in one language becomes wrong."""
    return [
        replace(r, scores={"accuracy": 0.0}, extracted="B")
        if r.language == language and r.scores.get("accuracy") == 1.0
        else r
        for r in records
    ]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("gate") / "baseline", "tiny", {"alm_bench": _baseline_records()})


def _candidate(tmp_path: Path, records: list[ScoredSample], **overrides: object) -> Path:
    return write_run(tmp_path / "candidate", "tiny", {"alm_bench": records}, **overrides)


def _compare(baseline: Path, candidate: Path, cache: Path, *args: str):
    return run_cli(["compare", str(baseline), str(candidate), *args], cache)


def test_identical_candidate_passes(baseline: Path, tmp_path: Path, tv_eval_cache: Path) -> None:
    candidate = _candidate(tmp_path, _baseline_records())
    summary = tmp_path / "summary.md"
    result = _compare(baseline, candidate, tv_eval_cache, "--markdown", str(summary), "--max-drop", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gate PASSED" in result.stdout
    for language in SKILL:
        assert f"alm_bench / {language}" in result.stdout
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## tv-eval regression gate: PASSED")
    assert "| alm_bench / sw | 2 | 24 |" in text


def test_planted_drop_in_one_language_fails_and_names_it(
    baseline: Path, tmp_path: Path, tv_eval_cache: Path
) -> None:
    candidate = _candidate(tmp_path, _planted_drop(_baseline_records()))
    summary = tmp_path / "summary.md"
    result = _compare(baseline, candidate, tv_eval_cache, "--markdown", str(summary))
    assert result.returncode == 1, result.stdout + result.stderr
    verdict_line = result.stdout.strip().splitlines()[-1]
    assert verdict_line.startswith("gate FAILED: ")
    assert "alm_bench/sw REGRESSION" in verdict_line
    for language in SKILL.keys() - {"sw"}:
        assert f"alm_bench/{language} " not in verdict_line
    (row,) = [line for line in summary.read_text(encoding="utf-8").splitlines() if "alm_bench / sw" in line]
    assert row.endswith("| REGRESSION |")
    assert "| 0.0 |" in row


def test_thresholds_from_options_and_config(baseline: Path, tmp_path: Path, tv_eval_cache: Path) -> None:
    candidate = _candidate(tmp_path, _planted_drop(_baseline_records()))
    assert _compare(baseline, candidate, tv_eval_cache, "--max-drop", "95").returncode == 0
    by_tier = _compare(baseline, candidate, tv_eval_cache, "--by", "tier")
    assert by_tier.returncode == 1 and "alm_bench/2 REGRESSION" in by_tier.stdout
    config = tmp_path / "gate.toml"
    config.write_text('by = "language"\nmax_drop = 0.5\n[tiers]\nlow = 95\n')
    tolerant = _compare(baseline, candidate, tv_eval_cache, "--config", str(config), "--by", "language")
    assert tolerant.returncode == 1, tolerant.stdout
    assert (
        "alm_bench/all REGRESSION" in tolerant.stdout
        and "alm_bench/sw" not in tolerant.stdout.splitlines()[-1]
    )
    config.write_text("[tasks.alm_bench]\nmax_drop = 95\n")
    assert _compare(baseline, candidate, tv_eval_cache, "--config", str(config)).returncode == 0


def test_threshold_precedence() -> None:
    config = GateConfig(max_drop=1, task_max_drop={"t": 2}, tier_max_drop={"low": 3, "0": 4})
    assert config.threshold("other", None) == 1
    assert config.threshold("t", None) == 2
    assert config.threshold("t", "1") == 3
    assert config.threshold("t", "0") == 4
    assert config.threshold("t", "5") == 2


@pytest.mark.parametrize(
    ("overrides", "tasks", "reason"),
    [
        ({"prompts_hash": "ffff"}, None, "different prompt templates (hash) (0ee6b2e3365a1399 vs ffff)"),
        ({"scoring": "paper"}, None, "different scoring modes (robust vs paper)"),
        ({"dataset": {"revision": "r2"}}, None, "different datasets"),
        ({"dataset": {"fingerprint": "f2"}}, None, "different dataset fingerprints (f1 vs f2)"),
        ({"primary_metric": "bleu"}, None, "different primary metrics (accuracy vs bleu)"),
        ({}, "other_task", "different tasks: baseline has alm_bench, candidate has other_task"),
    ],
)
def test_incompatible_runs_exit_2_with_the_reason(
    baseline: Path, tmp_path: Path, tv_eval_cache: Path, overrides: dict, tasks: str | None, reason: str
) -> None:
    records = _baseline_records()
    if tasks:
        candidate = write_run(
            tmp_path / "candidate", "tiny", {tasks: [replace(r, task=tasks) for r in records]}
        )
    else:
        candidate = _candidate(tmp_path, records, task_overrides={"alm_bench": overrides})
    summary = tmp_path / "summary.md"
    result = _compare(baseline, candidate, tv_eval_cache, "--markdown", str(summary))
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert "UNUSABLE INPUT" in summary.read_text(encoding="utf-8")


def test_changed_references_or_no_shared_samples_are_unusable(baseline: Path, tmp_path: Path) -> None:
    records = _baseline_records()
    changed = [replace(r, reference="C") if r.language == "hi" else r for r in records]
    with pytest.raises(UnusableInput, match="24 shared samples have different references"):
        evaluate(load_run(baseline), load_run(_candidate(tmp_path / "a", changed)), GateConfig())
    disjoint = [replace(r, sample_id="x" + r.sample_id) for r in records]
    with pytest.raises(UnusableInput, match="share no sample ids"):
        evaluate(load_run(baseline), load_run(_candidate(tmp_path / "b", disjoint)), GateConfig())
    subset = [r for r in records if r.language != "ku"]
    with pytest.raises(UnusableInput, match="different sample sets"):
        evaluate(
            load_run(baseline), load_run(_candidate(tmp_path / "c", subset)), GateConfig(same_samples=True)
        )


def test_identity_fields_catch_changes_that_do_not_move_scores(
    baseline: Path, tmp_path: Path, tv_eval_cache: Path
) -> None:
    records = _baseline_records()
    changed_id = records[5].sample_id
    records[5] = replace(records[5], prediction="something else entirely")
    candidate = _candidate(tmp_path, records)
    assert _compare(baseline, candidate, tv_eval_cache).returncode == 0
    strict = _compare(baseline, candidate, tv_eval_cache, "--identical", "prompt,prediction,scores")
    assert strict.returncode == 1
    assert "alm_bench/en CHANGED" in strict.stdout
    assert changed_id in strict.stdout and "prediction" in strict.stdout


def test_failures_count_as_wrong_and_missing_languages_fail(baseline: Path, tmp_path: Path) -> None:
    base = load_run(baseline)
    records = _baseline_records()
    failing = [
        replace(r, status=SampleStatus.FAILED, scores={}, error="crash") if r.language == "sw" else r
        for r in records
    ]
    report = evaluate(base, load_run(_candidate(tmp_path / "a", failing)), GateConfig())
    assert [row.group for row in report.failing_rows if row.group != "all"] == ["sw"]
    without_ku = [r for r in records if r.language != "ku"]
    missing = evaluate(base, load_run(_candidate(tmp_path / "b", without_ku)), GateConfig())
    assert [(row.group, row.verdict) for row in missing.failing_rows] == [("ku", "MISSING")]
    allowed = evaluate(base, load_run(_candidate(tmp_path / "c", without_ku)), GateConfig(allow_missing=True))
    assert allowed.exit_code == 0


def test_paired_values_are_means_over_shared_samples(baseline: Path, tmp_path: Path) -> None:
    records = _planted_drop(_baseline_records())
    report = evaluate(load_run(baseline), load_run(_candidate(tmp_path, records)), GateConfig())
    sw_before = [r.scores["accuracy"] for r in _baseline_records() if r.language == "sw"]
    (row,) = [row for row in report.rows if row.group == "sw"]
    assert row.n == len(sw_before)
    assert row.baseline == pytest.approx(sum(sw_before) / len(sw_before))
    assert row.candidate == 0.0
    assert row.difference.value == pytest.approx(-sum(sw_before) / len(sw_before))
    assert row.confidence == pytest.approx(1 - 0.05 / len(report.rows))


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("colour = 1\n", [], "unknown key 'colour'"),
        ("max_drop = 'big'\n", [], "max_drop has the wrong type"),
        ("[tiers]\nvery_low = 3\n", [], "unknown tier 'very_low'"),
        ("max_drop = [\n", [], "is not valid TOML"),
        ("", ["--by", "country"], "--by must be one of task, language, tier"),
        ("", ["--alpha", "1.5"], "alpha must be between 0 and 1"),
        ("", ["--identical", "prompt,colour"], "unknown identical field(s) colour"),
    ],
)
def test_bad_gate_configuration_exits_2(
    baseline: Path, tmp_path: Path, tv_eval_cache: Path, text: str, args: list[str], message: str
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(text)
    result = _compare(baseline, baseline, tv_eval_cache, "--config", str(config), *args)
    assert result.returncode == 2, result.stdout
    assert message in " ".join(result.stderr.split())


def test_config_file_values_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text('alpha = 0.01\nby = "tier"\nidentical = ["prompt"]\n[tasks.x]\nmax_drop = 2\n')
    config = build_config(load_gate_config(path), {"alpha": None, "by": "task"})
    assert (config.alpha, config.by, config.identical, dict(config.task_max_drop)) == (
        0.01,
        "task",
        ("prompt",),
        {"x": 2.0},
    )
