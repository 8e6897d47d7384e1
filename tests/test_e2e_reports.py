"""Leaderboard and gate on a real run: `tv-eval run` with the tiny random model on the offline sample.

The run reproduces the committed CI baseline sample for sample (the model is deterministic on CPU),
then copies of it with planted changes go through `compare`, and the leaderboard's numbers are
checked against its samples.jsonl.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TINY_ALM_RUN, run_cli

pytestmark = pytest.mark.slow

BASELINE = REPO_ROOT / "results" / "baselines" / "tiny-random-alm_bench-sample"
IDENTICAL = "prompt,prediction,extracted,status,scores,error"


def _samples(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def _write_samples(run_dir: Path, samples: list[dict]) -> None:
    text = "".join(json.dumps(sample, ensure_ascii=False) + "\n" for sample in samples)
    (run_dir / "samples.jsonl").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    output = tmp_path_factory.mktemp("real-run")
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--sample",
            "--limit",
            "30",
            "--batch-size",
            "8",
            "--output-dir",
            str(output),
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = output.iterdir()
    return run_dir


def test_real_run_reproduces_the_committed_baseline(real_run: Path, tv_eval_cache: Path) -> None:
    result = run_cli(
        ["compare", str(BASELINE), str(real_run), "--identical", IDENTICAL, "--allow-missing"], tv_eval_cache
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "30 shared samples, " in " ".join(result.stdout.split())
    assert "gate PASSED" in result.stdout


def test_gate_on_copies_of_the_real_run(real_run: Path, tv_eval_cache: Path, tmp_path: Path) -> None:
    """With --limit 30 each language has two questions about one image: one cluster, so no language
    alone can show a significant drop; the task as a whole (15 images) can."""
    samples = _samples(real_run)
    better_baseline = shutil.copytree(real_run, tmp_path / "better-baseline")
    _write_samples(
        better_baseline,
        [{**s, "scores": dict.fromkeys(s["scores"], 1.0)} if s["scores"] else s for s in samples],
    )
    drop = run_cli(["compare", str(better_baseline), str(real_run), "--max-drop", "0"], tv_eval_cache)
    assert drop.returncode == 1, drop.stdout + drop.stderr
    assert drop.stdout.strip().splitlines()[-1].startswith("gate FAILED: alm_bench/all REGRESSION (")
    assert "drop not significant" in drop.stdout

    changed = shutil.copytree(real_run, tmp_path / "changed")
    changed_samples = [dict(s) for s in samples]
    changed_samples[0]["prediction"] = "a different answer"
    _write_samples(changed, changed_samples)
    strict = run_cli(["compare", str(real_run), str(changed), "--identical", IDENTICAL], tv_eval_cache)
    assert strict.returncode == 1
    assert samples[0]["sample_id"] in strict.stdout and "CHANGED" in strict.stdout

    other_prompts = shutil.copytree(real_run, tmp_path / "other-prompts")
    results = json.loads((other_prompts / "results.json").read_text(encoding="utf-8"))
    results["tasks"]["alm_bench"]["prompts_hash"] = "0000000000000000"
    (other_prompts / "results.json").write_text(json.dumps(results), encoding="utf-8")
    unusable = run_cli(["compare", str(real_run), str(other_prompts)], tv_eval_cache)
    assert unusable.returncode == 2
    assert "different prompt templates (hash)" in " ".join(unusable.stderr.split())


def test_leaderboard_of_real_runs_matches_their_samples(
    real_run: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    """The tiny model scores 0 everywhere, so a copy of its run gets right answers planted (every other
    scored sample): a leaderboard that reads no scores, or the wrong ones, cannot match it by chance."""
    planted = shutil.copytree(real_run, tmp_path / "planted")
    scored = [s for s in _samples(real_run) if "score" in s["scores"]]
    right = {s["sample_id"] for s in scored[::2]}
    _write_samples(
        planted,
        [
            {**s, "scores": dict.fromkeys(s["scores"], 1.0)} if s["sample_id"] in right else s
            for s in _samples(real_run)
        ],
    )
    output = tmp_path / "board"
    result = run_cli(
        ["leaderboard", str(BASELINE), str(planted), "--output", str(output), "--format", "json,html,png"],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    assert "SMOKE RUN among the inputs" in result.stdout
    board = json.loads((output / "leaderboard.json").read_text(encoding="utf-8"))
    (languages,) = [t for t in board["tables"] if t["key"] == "languages:alm_bench"]
    labels = {row["label"] for row in languages["rows"]}
    assert len(labels) == 2 and all(label.startswith("tiny-random@") for label in labels)
    nonzero = 0
    for run_dir in (BASELINE, planted):
        values: dict[str, list[float]] = defaultdict(list)
        for sample in _samples(run_dir):
            if "score" in sample["scores"]:  # alm_bench's primary metric
                values[sample["language"]].append(sample["scores"]["score"])
        run_id = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["run_id"]
        (row,) = [r for r in languages["rows"] if r["label"] == f"tiny-random@{run_id}"]
        for language, scores in values.items():
            cell = row["cells"][languages["columns"].index(language)]
            assert cell["n"] == len(scores)
            assert cell["value"] == pytest.approx(sum(scores) / len(scores))
            nonzero += cell["value"] > 0
    assert nonzero > 0
    assert (output / "leaderboard.html").stat().st_size > 10_000
    assert (output / "plots" / "alm_bench_tiers.png").is_file()
