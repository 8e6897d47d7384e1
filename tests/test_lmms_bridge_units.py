"""The lmms-eval bridge's own logic, without the lmms-eval environment: which language a doc is in, how
task names resolve, what a bridged task rejects before any worker starts, and how requests and model
options are carried over."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from model_adapters.lmms_adapter import model_arguments
from tasks.lmms_bridge.languages import LanguageRule, language_of_task_name, parse_language_map
from tasks.lmms_bridge.requests import generation_params
from tasks.lmms_bridge.task import LmmsTask
from tests.conftest import run_cli
from tv_eval.api import DataSource, TaskConfigError
from tv_eval.bridges.lmms_env import LMMS_EVAL_VERSION
from tv_eval.core import registry
from tv_eval.core.managed_env import MARKER
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.scoring.lmms_aggregation import LmmsAggregation, lmms_corpus_spec, repeated_items


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("alm-bench-de", "de"),
        ("multi30k-fr", "fr"),
        ("tvtoy_sw", "sw"),
        ("alm_bench_swahili", "sw"),
        ("mmmu_val", None),
        ("textvqa", None),
        ("docvqa_test", None),
    ],
)
def test_language_of_task_name(name: str, language: str | None) -> None:
    assert language_of_task_name(name) == language


def test_rule_order_field_then_mapping_then_fixed_then_name() -> None:
    fields = {"lang": "Amharic"}
    assert (
        LanguageRule.from_options({"language_field": "lang", "language": "de"}).language("x-fr", fields)
        == "am"
    )
    mapped = LanguageRule.from_options({"languages": "x-fr:hi,other:sw", "language": "de"})
    assert mapped.language("x-fr", {}) == "hi"
    assert mapped.language("y", {}) == "de"
    assert LanguageRule.from_options({}).language("x-fr", {}) == "fr"
    assert LanguageRule.from_options({}).language("textvqa", {}) == "und"


def test_a_field_without_a_language_is_und_never_a_guess() -> None:
    rule = LanguageRule.from_options({"language_field": "lang"})
    assert rule.language("x-fr", {"lang": ""}) == "und"
    assert rule.language("x-fr", {"lang": "no-such-language"}) == "und"
    assert rule.language("x-fr", {}) == "und"


def test_language_map_rejects_malformed_pairs() -> None:
    assert parse_language_map("a:de, b:Swahili") == {"a": "de", "b": "sw"}
    with pytest.raises(TaskConfigError, match="TASK:LANGUAGE"):
        parse_language_map("a-de")
    with pytest.raises(TaskConfigError, match="neither a language code nor a name"):
        parse_language_map("a:blah")


def test_prefixed_task_names_resolve_to_the_bridge() -> None:
    task = registry.load_task("lmms:mmmu_val")
    assert isinstance(task, LmmsTask) and task.name == "lmms:mmmu_val" and task.target == "mmmu_val"
    with pytest.raises(registry.RegistryError, match="unknown task prefix"):
        registry.load_task("nope:x")
    with pytest.raises(registry.RegistryError, match="names no task"):
        registry.load_task("lmms:")


def test_configuration_errors_come_before_any_worker(tmp_path: Path) -> None:
    task = LmmsTask("tvtoy")
    with pytest.raises(TaskConfigError, match="read their own data"):
        task.configure({}, DataSource(use_sample=True))
    with pytest.raises(TaskConfigError, match="format must be"):
        task.configure({"format": "html"})
    with pytest.raises(TaskConfigError, match="is not a folder"):
        task.configure({"include_path": str(tmp_path / "missing")})
    with pytest.raises(TaskConfigError, match="has no option"):
        task.configure({"include": str(tmp_path)})


def test_generation_kwargs_carry_over() -> None:
    params = generation_params({"max_new_tokens": 6, "temperature": 0, "until": ["\n\n"], "top_p": None})
    assert (params.max_new_tokens, params.temperature, params.top_p, params.stop) == (6, 0.0, 1.0, ("\n\n",))
    assert generation_params({"until": "###"}).stop == ("###",)
    assert generation_params({}).max_new_tokens == 1024
    assert generation_params({"do_sample": False, "num_beams": 1}).greedy
    with pytest.raises(TaskConfigError, match=r"not bridged.*num_beams"):
        generation_params({"num_beams": 4})


def test_model_options_become_lmms_model_args() -> None:
    options = {"pretrained": "/m", "device_map": "cpu", "force_simple": "true", "default_dtype": "float32"}
    assert model_arguments(options) == "pretrained=/m,device_map=cpu"


def _fake_environment(cache: Path) -> None:
    """A 'finished' lmms-eval environment whose interpreter has no lmms-eval: a broken one."""
    folder = cache / "envs" / f"lmms-eval-{LMMS_EVAL_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").symlink_to(sys.executable)
    (folder / MARKER).write_text(json.dumps({"versions": {}, "setup_s": 1.0}), encoding="utf-8")


def test_a_broken_environment_is_a_one_line_error(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _fake_environment(cache)
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", "lmms:tvtoy", "--output-dir", str(tmp_path / "out")],
        cache,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "lmms-eval load_tasks failed: ModuleNotFoundError: No module named 'lmms_eval'" in lines[0]


@pytest.mark.slow
def test_an_environment_that_cannot_be_built_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", "lmms:tvtoy", "--output-dir", str(tmp_path / "out")],
        tmp_path / "cache",
        extra_env={"TV_EVAL_LMMS_TORCH": "torch==0.0.0"},
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip() and "creating the" not in line]
    assert len(lines) == 1, result.stderr
    assert "the lmms-eval environment cannot be built" in lines[0] and "torch==0.0.0" in lines[0]


def test_a_groups_counts_become_the_item_list_lmms_eval_aggregates() -> None:
    assert repeated_items(["a", "b", "c"], [1.0, 0.0, 2.0]) == ["a", "c", "c"]
    assert repeated_items([[1, 2]], [3.0]) == [[1, 2]] * 3


def test_only_records_with_an_item_enter_an_lmms_aggregation() -> None:
    spec = lmms_corpus_spec(
        "char_f1", "utils.char_f1", "tvtoy_de", None, higher_is_better=True, primary=False
    )
    assert spec.kind.value == "corpus" and spec.params["lmms_task"] == "tvtoy_de"

    def record(sample_id: str, status: SampleStatus, details: dict) -> ScoredSample:
        return ScoredSample(sample_id, "lmms:tvtoy", "de", "5", status, "p", "x", "x", details=details)

    metric = LmmsAggregation(spec)
    with_item = record("a", SampleStatus.SCORED, {"lmms_item:char_f1": [1, 2, 3]})
    assert metric.applies(with_item)
    assert not metric.applies(record("b", SampleStatus.SCORED, {}))
    assert not metric.applies(record("c", SampleStatus.FAILED, {"lmms_item:char_f1": [1, 2, 3]}))
    assert metric.statistics([with_item, with_item]).tolist() == [[1.0, 0.0], [0.0, 1.0]]
