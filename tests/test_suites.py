"""Suites: the data file checked against the registry, `--tasks SUITE` expansion, option precedence.

Expansion and precedence are checked on what the run would actually do: the RunConfig the CLI builds
from its parsed options, then the pipeline's own preparation of each task (options, scoring mode,
samples) on the bundled samples.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tv_eval.cli import run_command
from tv_eval.core import registry
from tv_eval.data import suites as suites_module
from tv_eval.data.suites import SuiteError, parse_suites, select_tasks, suites
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.preparation import RunConfigError, prepare_tasks

# The TowerVision paper's set, as far as this installation registers its tasks (tv_eval/data/suites.toml).
# The paper's set: the benchmarks of its abstract, CoMMuTE, and the fork's multilingual tasks.
TOWERVISION = [
    "alm_bench_paper", "multi30k", "commute", "vimul_bench", "maxm", "xgqa", "xmmmu", "m3exam", "marvl",
    "cvqa", "xm3600", "cc_ocr",
]  # fmt: skip

CUSTOM = """
[mt]
description = "translation"
source = "a test"
[[mt.tasks]]
task = "multi30k"
options = { metrics = "bleu,chrf", bleu_tokenizer = "13a" }
[[mt.tasks]]
task = "commute"
scoring = "paper"

[mcq]
description = "a second suite"
source = "a test"
[[mcq.tasks]]
task = "alm_bench_paper"
languages = ["de", "ko"]
[[mcq.tasks]]
task = "commute"
scoring = "paper"
"""


def test_every_suite_member_is_a_registered_task_run_as_the_suite_says() -> None:
    known = suites()
    assert known["towervision"].task_names == TOWERVISION
    registered = registry.task_names()
    for suite in known.values():
        assert suite.name not in registered
        for member in suite.tasks:
            assert member.task in registered, f"suite {suite.name} names unregistered task {member.task}"
            task = registry.load_task(member.task)
            assert member.scoring is None or member.scoring in task.scoring_modes
            assert set(member.options) <= set(task.option_help)


def _one_suite(name: str, members: str) -> str:
    return f'[{name}]\ndescription = "d"\nsource = "s"\n{members}'


def test_a_suite_naming_an_unregistered_task_or_named_like_a_task_is_refused() -> None:
    registered = ["multi30k"]
    with pytest.raises(SuiteError, match="names task 'cvqa', which is not registered"):
        parse_suites(_one_suite("s", '[[s.tasks]]\ntask = "cvqa"\n'), registered)
    with pytest.raises(SuiteError, match="'multi30k' is both a task and a suite"):
        parse_suites(_one_suite("multi30k", '[[multi30k.tasks]]\ntask = "multi30k"\n'), registered)
    twice = '[[s.tasks]]\ntask = "multi30k"\n' * 2
    with pytest.raises(SuiteError, match="lists multi30k more than once"):
        parse_suites(_one_suite("s", twice), registered)
    with pytest.raises(SuiteError, match="suite 's': tasks"):
        parse_suites(_one_suite("s", "tasks = []\n"), registered)
    bad_language = '[[s.tasks]]\ntask = "multi30k"\nlanguages = ["xx-notalanguage"]\n'
    with pytest.raises(SuiteError, match="task 'multi30k': unknown language code 'xx-notalanguage'"):
        parse_suites(_one_suite("s", bad_language), registered)


def test_expansion_keeps_order_and_runs_a_task_named_twice_once_under_its_suite() -> None:
    known = parse_suites(CUSTOM, registry.task_names())
    selection = select_tasks(["cultural_vqa", "mt", "multi30k"], known)
    assert selection.tasks == ("cultural_vqa", "multi30k", "commute")
    assert selection.suite_of == {"multi30k": "mt", "commute": "mt"}
    assert selection.scoring == {"commute": "paper"}
    assert selection.options == {"multi30k": {"metrics": "bleu,chrf", "bleu_tokenizer": "13a"}}
    both = select_tasks(["mt", "mcq"], known)
    assert both.tasks == ("multi30k", "commute", "alm_bench_paper")
    assert both.suite_of["commute"] == "mt" and both.suite_of["alm_bench_paper"] == "mcq"
    assert both.languages == {"alm_bench_paper": ("de", "ko")}


def test_a_task_of_a_registered_family_passes_through_and_an_unknown_family_does_not() -> None:
    known = parse_suites(CUSTOM, registry.task_names())
    assert select_tasks(["lmms:tvtoy", "mt"], known).tasks == ("lmms:tvtoy", "multi30k", "commute")
    with pytest.raises(SuiteError, match="nofamily:x"):
        select_tasks(["nofamily:x"], known)


def test_two_suites_running_one_task_differently_is_an_error() -> None:
    text = CUSTOM + '\n[other]\ndescription = "d"\nsource = "s"\n[[other.tasks]]\ntask = "commute"\n'
    with pytest.raises(SuiteError, match="suites mt and other run commute differently"):
        select_tasks(["mt", "other"], parse_suites(text, registry.task_names()))


def _params(**given: object) -> dict[str, object]:
    """`tv-eval run`'s parsed options: its defaults, with `given` as if typed on the command line."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(run_command.run).parameters.items()
        if name != "ctx"
    }
    return {**defaults, "model": "tiny-random", "sample": True, **given}


@pytest.fixture
def custom_suites(monkeypatch: pytest.MonkeyPatch) -> None:
    known = parse_suites(CUSTOM, registry.task_names())
    monkeypatch.setattr(suites_module, "suites", lambda: known)


def test_suite_options_reach_the_task_and_the_command_line_overrides_them(
    custom_suites: None, tmp_path: Path
) -> None:
    config = run_command.config_from_options(
        _params(tasks="mt", task_option=["multi30k.metrics=chrf"], output_dir=tmp_path)
    )
    assert config.tasks == ("multi30k", "commute")
    assert config.task_options == {"multi30k": {"metrics": "chrf", "bleu_tokenizer": "13a"}}
    prepared = {item.task.name: item for item in prepare_tasks(config, joshi_tier_map())}
    assert dict(prepared["multi30k"].options) == {"metrics": "chrf", "bleu_tokenizer": "13a"}
    assert [spec.name for spec in prepared["multi30k"].task.metric_specs(prepared["multi30k"].scoring)] == [
        "chrf"
    ]
    assert prepared["commute"].scoring == "paper"
    official = run_command.config_from_options(_params(tasks="mt", scoring="official", output_dir=tmp_path))
    # --scoring applies to every task, over the suite's choice (multi30k has `robust` only).
    with pytest.raises(RunConfigError, match="official"):
        prepare_tasks(official, joshi_tier_map())
    paper_free = run_command.config_from_options(
        _params(tasks="commute", scoring="official", output_dir=tmp_path)
    )
    assert [item.scoring for item in prepare_tasks(paper_free, joshi_tier_map())] == ["official"]


def test_suite_languages_limit_the_task_within_the_command_lines(custom_suites: None, tmp_path: Path) -> None:
    config = run_command.config_from_options(_params(tasks="mcq", output_dir=tmp_path))
    (alm, commute) = prepare_tasks(config, joshi_tier_map())
    assert {sample.language for sample in alm.samples} == {"de", "ko"}
    assert len({sample.language for sample in commute.samples}) > 2
    narrowed = run_command.config_from_options(_params(tasks="mcq", languages="de,en", output_dir=tmp_path))
    (alm, commute) = prepare_tasks(narrowed, joshi_tier_map())
    assert {sample.language for sample in alm.samples} == {"de"}
    with pytest.raises(RunConfigError, match="task alm_bench_paper runs on de, ko in suite mcq, none of"):
        prepare_tasks(
            run_command.config_from_options(_params(tasks="mcq", languages="en", output_dir=tmp_path)),
            joshi_tier_map(),
        )


def test_unknown_names_are_one_line_listing_tasks_and_suites(tv_eval_cache: Path) -> None:
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", "towervision,nosuch", "--sample"], tv_eval_cache
    )
    assert result.returncode == 2
    tasks = ", ".join(registry.task_names())
    assert result.stderr.strip().splitlines() == [
        f"error: unknown task or suite 'nosuch'; tasks: {tasks}; suites: towervision"
    ]


def test_list_tasks_shows_each_suite_with_its_members(tv_eval_cache: Path) -> None:
    result = run_cli(["list", "tasks"], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    start = lines.index("towervision suite: The TowerVision paper's evaluation set (arXiv 2510.21849)")
    assert lines[start + 1 : start + 5] == [
        "alm_bench_paper",
        "multi30k",
        "commute (scoring paper)",
        "vimul_bench",
    ]
