"""The lmms-eval bridge's own logic, without the lmms-eval environment: which language a doc is in, how
task names resolve, what a bridged task rejects before any worker starts, and how requests and model
options are carried over."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_adapters.lmms_adapter import model_arguments
from tasks.lmms_bridge.languages import LanguageRule, language_of_task_name, parse_language_map
from tasks.lmms_bridge.requests import generation_params
from tasks.lmms_bridge.task import LmmsTask
from tv_eval.api import DataSource, TaskConfigError
from tv_eval.core import registry


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
