"""The lmms-eval bridge for real: the managed environment built from PyPI once per session, a task group
written here (tests/lmms_fixture.py) and the tiny model, run by lmms-eval itself (`python -m lmms_eval`
in that environment) and through tv-eval (`--tasks lmms:tvtoy --model lmms:llava_hf`): the same
predictions, the same per-doc scores and the same aggregates, plus tv-eval's breakdowns, cache and
resume on top; then each half of the bridge beside a native tv-eval counterpart.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from model_adapters.tiny_random import build_tiny_model
from tests.conftest import records_of, run_cli
from tests.lmms_fixture import QUESTIONS, write_task_folder
from tv_eval.bridges.lmms_env import LMMS_EVAL_VERSION
from tv_eval.core.managed_env import MARKER

pytestmark = pytest.mark.slow

ENV_TIMEOUT = 1800
RUN_TIMEOUT = 900
TASK = "lmms:tvtoy"


@pytest.fixture(scope="module")
def lmms_env(tv_eval_cache: Path) -> dict[str, Any]:
    """`tv-eval lmms-env` on an empty cache: builds the environment (minutes on first use)."""
    shared = ("torch", "transformers", "datasets", "filelock", "numpy")
    before = {name: version(name) for name in shared}
    result = run_cli(["lmms-env"], tv_eval_cache, timeout=ENV_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "created now" in result.stdout
    assert {name: version(name) for name in shared} == before, (
        "building lmms-eval's environment changed tv-eval's"
    )
    (marker,) = (tv_eval_cache / "envs").glob(f"lmms-eval-{LMMS_EVAL_VERSION}-*/{MARKER}")
    return {**json.loads(marker.read_text(encoding="utf-8")), "path": marker.parent}


@pytest.fixture(scope="module")
def fixture_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lmms")
    return {
        "tasks": write_task_folder(root / "tasks"),
        "model": build_tiny_model(root / "tiny"),
        "root": root,
    }


def _offline_env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(root / "hf-home"),
        "PYTHONIOENCODING": "utf-8",
    }


@pytest.fixture(scope="module")
def lmms_eval_itself(lmms_env: dict[str, Any], fixture_paths: dict[str, Path]) -> dict[str, Any]:
    """lmms-eval's own CLI on the task group and the tiny model: its per-doc samples and results."""
    output = fixture_paths["root"] / "lmms-eval-out"
    command = [str(lmms_env["path"] / "bin" / "python"), "-m", "lmms_eval", "--model", "llava_hf"]
    command += ["--model_args", f"pretrained={fixture_paths['model']},device_map=cpu", "--tasks", "tvtoy"]
    command += ["--include_path", str(fixture_paths["tasks"]), "--device", "cpu", "--batch_size", "1"]
    command += ["--log_samples", "--output_path", str(output)]
    completed = subprocess.run(
        command, capture_output=True, text=True, env=_offline_env(fixture_paths["root"]), timeout=RUN_TIMEOUT
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    (results_file,) = output.rglob("*_results.json")
    samples = {}
    for task in ("tvtoy_de", "tvtoy_sw"):
        (path,) = output.rglob(f"*_samples_{task}.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            samples[f"{task}/{record['doc_id']}"] = record
    return {"results": json.loads(results_file.read_text(encoding="utf-8"))["results"], "samples": samples}


def _bridged_run(
    tv_eval_cache: Path, fixture_paths: dict[str, Path], output: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    arguments = ["run", "--model", "lmms:llava_hf", "--model-option", f"pretrained={fixture_paths['model']}"]
    arguments += ["--model-option", "device_map=cpu", "--device", "cpu", "--tasks", TASK]
    arguments += [
        "--task-option",
        f"{TASK}.include_path={fixture_paths['tasks']}",
        "--task-option",
        f"{TASK}.model_name=llava_hf",
        "--output-dir",
        str(output),
    ]
    return run_cli(
        [*arguments, *extra],
        tv_eval_cache,
        timeout=RUN_TIMEOUT,
        extra_env={"HF_HOME": str(fixture_paths["root"] / "hf-home")},
    )


@pytest.fixture(scope="module")
def bridged(lmms_env: dict[str, Any], tv_eval_cache: Path, fixture_paths: dict[str, Path]) -> dict[str, Any]:
    output = fixture_paths["root"] / "bridged"
    cache = fixture_paths["root"] / "response-cache"
    result = _bridged_run(tv_eval_cache, fixture_paths, output, "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = output.iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"][TASK]
    return {
        "run_dir": run_dir,
        "records": records_of(run_dir),
        "results": results,
        "cache": cache,
        "stdout": result.stdout,
    }


def test_environment_keeps_tv_evals_pins(lmms_env: dict[str, Any], tv_eval_cache: Path) -> None:
    versions = lmms_env["versions"]
    assert versions["lmms_eval"] == LMMS_EVAL_VERSION
    assert versions["torch"].split("+")[0] == version("torch").split("+")[0]
    assert versions["transformers"] == version("transformers")
    assert versions["datasets"] == version("datasets")
    assert int(versions["filelock"].split(".")[0]) < 4
    assert lmms_env["setup_s"] > 0
    again = run_cli(["lmms-env"], tv_eval_cache)
    assert again.returncode == 0 and "already there" in again.stdout


def test_predictions_are_lmms_evals_own(bridged: dict[str, Any], lmms_eval_itself: dict[str, Any]) -> None:
    predictions = {record["sample_id"]: record["prediction"] for record in bridged["records"]}
    theirs = {key: sample["filtered_resps"] for key, sample in lmms_eval_itself["samples"].items()}
    assert len(predictions) == 2 * 2 * 3
    assert predictions == theirs
    assert len(set(predictions.values())) > 1, "a degenerate model output would make the comparison empty"
    prompts = {record["prompt"] for record in bridged["records"]}
    assert all(prompt.endswith(" One word.") for prompt in prompts), "llava_hf's prompt variant was not used"


def test_per_doc_scores_are_lmms_evals_own(bridged: dict[str, Any], lmms_eval_itself: dict[str, Any]) -> None:
    for record in bridged["records"]:
        theirs = lmms_eval_itself["samples"][record["sample_id"]]
        assert record["status"] == "scored"
        assert record["scores"] == {
            "exact_match": theirs["exact_match"],
            "ascii_share": theirs["ascii_share"],
        }
        assert record["details"]["lmms_item:char_f1"] == theirs["char_f1"]


def test_aggregates_per_task_are_lmms_evals_own(
    bridged: dict[str, Any], lmms_eval_itself: dict[str, Any]
) -> None:
    by_task = bridged["results"]["by_category"]
    for task in ("tvtoy_de", "tvtoy_sw"):
        theirs = lmms_eval_itself["results"][task]
        for metric in ("exact_match", "ascii_share", "char_f1"):
            assert by_task[task][metric]["value"] == pytest.approx(theirs[f"{metric},none"], abs=1e-12)
            assert by_task[task][metric]["n"] == 6
    specs = {spec["name"]: spec for spec in bridged["results"]["metrics"]}
    assert specs["char_f1"]["kind"] == "corpus" and specs["ascii_share"]["kind"] == "segment"


def test_languages_and_tiers_come_from_the_task_names(bridged: dict[str, Any]) -> None:
    results = bridged["results"]
    assert set(results["by_language"]) == set(QUESTIONS)
    for language in QUESTIONS:
        block = results["by_language"][language]
        assert block["tier"] != "unknown"
        assert block["metrics"]["char_f1"]["n"] == 6
    overall = results["overall"]["char_f1"]
    assert overall["ci95"] is not None and overall["ci95"][0] <= overall["value"] <= overall["ci95"][1]


def test_a_second_run_answers_from_the_cache(
    bridged: dict[str, Any], tv_eval_cache: Path, fixture_paths: dict[str, Path]
) -> None:
    output = fixture_paths["root"] / "again"
    result = _bridged_run(tv_eval_cache, fixture_paths, output, "--cache-dir", str(bridged["cache"]))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "0 generated, 12 from cache" in result.stdout
    (run_dir,) = output.iterdir()
    assert [record["prediction"] for record in records_of(run_dir)] == [
        record["prediction"] for record in bridged["records"]
    ]


def test_tv_evals_own_adapter_on_a_bridged_task(
    lmms_eval_itself: dict[str, Any], tv_eval_cache: Path, fixture_paths: dict[str, Path]
) -> None:
    """`--tasks lmms:tvtoy_sw --model tiny-random` (the same weights through the transformers adapter):
    the language from the `lang` field, and lmms-eval's own predictions, since both render the same
    chat turns with the model's chat template."""
    output = fixture_paths["root"] / "by-field"
    result = run_cli(
        [
            "run", "--model", "tiny-random", "--device", "cpu", "--tasks", "lmms:tvtoy_sw",
            "--task-option", f"lmms:tvtoy_sw.include_path={fixture_paths['tasks']}",
            "--task-option", "lmms:tvtoy_sw.language_field=lang",
            "--task-option", "lmms:tvtoy_sw.model_name=llava_hf",
            "--output-dir", str(output),
        ],
        tv_eval_cache,
        timeout=RUN_TIMEOUT,
        extra_env={"HF_HOME": str(fixture_paths["root"] / "hf-home")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = output.iterdir()
    records = records_of(run_dir)
    assert {record["language"] for record in records} == {"sw"} and len(records) == 6
    theirs = lmms_eval_itself["samples"]
    assert {record["sample_id"]: record["prediction"] for record in records} == {
        key: sample["filtered_resps"] for key, sample in theirs.items() if key.startswith("tvtoy_sw/")
    }


def _alm_bench_run(tv_eval_cache: Path, output: Path, *model: str) -> list[dict[str, Any]]:
    arguments = ["run", *model, "--device", "cpu", "--tasks", "alm_bench", "--sample", "--limit", "8"]
    result = run_cli(
        [*arguments, "--no-cache", "--output-dir", str(output)], tv_eval_cache, timeout=RUN_TIMEOUT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = output.iterdir()
    return records_of(run_dir)


def test_an_lmms_eval_model_on_a_tv_eval_task(
    lmms_env: dict[str, Any], tv_eval_cache: Path, fixture_paths: dict[str, Path]
) -> None:
    """lmms-eval's llava_hf through the bridge answers ALM-Bench exactly as tv-eval's transformers
    adapter does with the same checkpoint, and the answers are scored as ALM-Bench scores them."""
    model = ["--model-option", f"pretrained={fixture_paths['model']}", "--model-option", "device_map=cpu"]
    bridged = _alm_bench_run(
        tv_eval_cache, fixture_paths["root"] / "alm-lmms", "--model", "lmms:llava_hf", *model
    )
    native = _alm_bench_run(
        tv_eval_cache, fixture_paths["root"] / "alm-hf", "--model", f"hf:{fixture_paths['model']}"
    )
    assert len(bridged) == 8
    assert [(r["sample_id"], r["prediction"], r["scores"]) for r in bridged] == [
        (r["sample_id"], r["prediction"], r["scores"]) for r in native
    ]
    assert all(record["status"] == "scored" for record in bridged)
