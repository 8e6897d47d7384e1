"""The COMET metrics on their real code path: the managed environment, built from scratch via PyPI once per
session, and a tiny xCOMET checkpoint built there without downloads and loaded by COMET's own
`load_from_checkpoint`, as the real xCOMET-XL is.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli, task_scores
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.batch_scoring import apply_batch_scorers
from tv_eval.scoring.comet_env import COMET_VERSION, MARKER
from tv_eval.scoring.comet_scoring import TINY_DIR_NAME, CometScorer

pytestmark = pytest.mark.slow

ENV_TIMEOUT = 1800


@pytest.fixture(scope="module")
def comet_env(tv_eval_cache: Path) -> dict[str, Any]:
    """`tv-eval comet-env` on an empty cache: creates the environment (minutes on first use)."""
    before = {name: version(name) for name in ("transformers", "numpy", "huggingface-hub")}
    result = run_cli(["comet-env"], tv_eval_cache, timeout=ENV_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "created now" in result.stdout
    after = {name: version(name) for name in ("transformers", "numpy", "huggingface-hub")}
    assert after == before, "creating the COMET environment changed tv-eval's own environment"
    (marker,) = (tv_eval_cache / "envs").glob(f"comet-{COMET_VERSION}-*/{MARKER}")
    return json.loads(marker.read_text(encoding="utf-8"))


def test_environment_holds_comets_pins(comet_env: dict[str, Any], tv_eval_cache: Path) -> None:
    versions = comet_env["versions"]
    assert versions["unbabel-comet"] == COMET_VERSION
    assert versions["transformers"].startswith("4.")
    assert versions["numpy"].startswith("1.")
    assert versions["huggingface-hub"].startswith("0.")
    assert versions["torch"].split("+")[0] == version("torch").split("+")[0]
    assert comet_env["setup_s"] > 0
    again = run_cli(["comet-env"], tv_eval_cache)
    assert again.returncode == 0 and "already there" in again.stdout


def _records(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def test_multi30k_with_tiny_comet_models_through_the_cli(
    comet_env: dict[str, Any], tv_eval_cache: Path, tmp_path: Path
) -> None:
    options = [
        "multi30k.metrics=xcomet,comet,cometkiwi,chrf",
        "multi30k.xcomet_model=tiny-random",
        "multi30k.cometkiwi_model=tiny-random",
        "multi30k.comet_batch_size=4",
    ]
    checkpoint_dir = tv_eval_cache / "models" / TINY_DIR_NAME
    # COMET-22 from a local folder: the tiny model again, which the xcomet scorer builds first.
    options.append(f"multi30k.comet_model={checkpoint_dir}")
    arguments = ["run", "--model", "tiny-random", "--tasks", "multi30k", "--sample", "--batch-size", "18"]
    arguments += ["--output-dir", str(tmp_path / "out")]
    for option in options:
        arguments += ["--task-option", option]
    result = run_cli(arguments, tv_eval_cache, timeout=ENV_TIMEOUT)
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    task = results["tasks"]["multi30k"]
    assert task["primary_metric"] == "xcomet"
    info = task["metric_info"]["xcomet"]
    assert info["kind"] == "segment" and info["scale"] == "0-1"
    assert info["model"] == "tiny-random"
    assert info["model_class"] == "XCOMETMetric"
    assert info["checkpoint"] == str(checkpoint_dir / "checkpoints" / "model.ckpt")
    assert info["segments"] == 18 and info["segments_per_s"] > 0
    assert info["versions"]["unbabel-comet"] == COMET_VERSION
    assert task["metric_info"]["cometkiwi"]["reference_free"] is True
    assert task["metric_info"]["comet"]["model"] == str(checkpoint_dir)

    records = _records(run_dir)
    assert len(records) == 18
    for record in records:
        assert set(task_scores(record)) == {"xcomet", "comet", "cometkiwi"}
        assert record["scores"]["comet"] == record["scores"]["xcomet"]
        assert isinstance(record["details"]["xcomet_error_spans"], list)
    xcomet = [record["scores"]["xcomet"] for record in records]
    assert task["overall"]["xcomet"]["value"] == pytest.approx(sum(xcomet) / len(xcomet))
    assert task["overall"]["xcomet"]["value"] == pytest.approx(info["system_score"])
    assert task["overall"]["xcomet"]["n"] == 18
    german = [record["scores"]["xcomet"] for record in records if record["language"] == "de"]
    assert task["by_language"]["de"]["metrics"]["xcomet"]["value"] == pytest.approx(sum(german) / len(german))
    assert len(set(xcomet)) > 1, "segment scores should depend on the segment"
    assert "chrf" in task["overall"]

    # The same segments scored again in this process through the scorer API: identical scores.
    scorer = CometScorer("xcomet", str(checkpoint_dir), batch_size=8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TV_EVAL_CACHE_DIR", str(tv_eval_cache))
        scorer.prepare()
        scored = scorer.score([ScoredSample.from_json(record) for record in records])
    assert [segment.value for segment in scored] == pytest.approx(xcomet, abs=1e-6)


def test_a_failing_comet_scorer_leaves_its_metric_out(
    comet_env: dict[str, Any], tv_eval_cache: Path, tmp_path: Path
) -> None:
    """Fail closed: the records keep their other scores, the error is stated, nothing is substituted."""
    broken = tmp_path / "broken"
    (broken / "checkpoints").mkdir(parents=True)
    (broken / "checkpoints" / "model.ckpt").write_bytes(b"not a checkpoint")
    (broken / "hparams.yaml").write_text("class_identifier: xcomet_metric\n", encoding="utf-8")
    scorer = CometScorer("xcomet", str(broken))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TV_EVAL_CACHE_DIR", str(tv_eval_cache))
        scorer.prepare()
    record = ScoredSample.from_json(
        {
            "sample_id": "s",
            "task": "multi30k",
            "language": "de",
            "tier": "5",
            "status": "scored",
            "prompt": "",
            "prediction": "Ein Hund.",
            "extracted": "Ein Hund.",
            "reference": "Ein Hund läuft.",
            "source": "A dog runs.",
            "scores": {"other": 1.0},
        }
    )
    updated, info = apply_batch_scorers([scorer], [record])
    assert updated[0].scores == {"other": 1.0}
    assert "COMET worker score failed" in info["xcomet"]["error"]
