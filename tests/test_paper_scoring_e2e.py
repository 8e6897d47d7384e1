"""Paper-mode scoring end to end with answers known in advance: exact accuracies, not just "some number".

A model whose answers are always wrong scores 0 under any scorer, so a test on the tiny random model
cannot tell a strict scorer from one that always returns 0. Here an OpenAI-compatible server on
127.0.0.1 (tests/openai_server.py) answers each ALM-Bench multiple-choice question of the offline
sample with a scripted reply: the option itself, the option with a full stop, its letter, or a wrong
option. The paper protocol counts only the exact option text; the robust one also reads the letter
and the punctuated option. The expected accuracies are written out from that script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.alm_bench.task import AlmBenchPaperTask, AlmBenchTask
from tests.conftest import run_cli
from tests.openai_server import Responder, RunningServer, message_text, serve
from tv_eval.core.task import DataSource
from tv_eval.core.types import TextPart
from tv_eval.data.tiers import joshi_tier_map

pytestmark = pytest.mark.slow

# The six multiple-choice questions of the sample in English and German, and the scripted replies.
SCRIPT = {
    "001_1_01_000": "blue",  # right option: right in both modes
    "001_1_01_001": "triangle.",  # right option with a full stop: right only in robust mode
    "001_1_02_000": "B",  # the right option's letter: right only in robust mode
    "002_2_01_000": "grün",  # right
    "002_2_01_001": "Kreis",  # a wrong option
    "002_2_02_000": "gelb",  # right
}
PAPER = {"en": 1 / 3, "de": 2 / 3, "all": 3 / 6}
ROBUST_MCQ = 5 / 6
UNSCRIPTED = "I cannot tell."


def _scripted_responder() -> Responder:
    """Prompt text -> reply, from the requests the task itself renders for the scripted samples."""
    task = AlmBenchTask()
    samples = {s.sample_id: s for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples}
    replies = {}
    for sample_id, reply in SCRIPT.items():
        assert samples[sample_id].question_type == "mcq", sample_id
        for scoring in ("paper", "robust"):
            content = task.build_request(samples[sample_id], scoring).messages[0].content
            (text,) = [part.text for part in content if isinstance(part, TextPart)]
            replies[text] = reply
    return lambda messages, body: replies.get(message_text(messages), UNSCRIPTED)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve(_scripted_responder(), api_key="sk-scripted") as running:
        yield running


def _run(server_url: str, output: Path, cache: Path, scoring: str) -> Path:
    result = run_cli(
        [
            "run",
            "--model",
            "openai:scripted",
            "--base-url",
            server_url,
            "--tasks",
            "alm_bench",
            "--sample",
            "--languages",
            "en,de",
            "--scoring",
            scoring,
            "--output-dir",
            str(output),
        ],
        cache,
        extra_env={"OPENAI_API_KEY": "sk-scripted"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = output.iterdir()
    return run_dir


def _task(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]


def _assert_paper_values(task: dict) -> None:
    assert task["scoring"] == "paper"
    for metric in ("accuracy", "score"):
        assert task["overall"][metric]["value"] == pytest.approx(PAPER["all"])
        assert task["overall"][metric]["n"] == len(SCRIPT)
        for language in ("en", "de"):
            assert task["by_language"][language]["metrics"][metric]["value"] == pytest.approx(PAPER[language])
    assert task["counts"]["scored"] == len(SCRIPT)
    assert task["counts"]["excluded"] == task["counts"]["total"] - len(SCRIPT) > 0


def test_paper_run_scores_exactly_the_scripted_right_answers(server: RunningServer, tmp_path: Path) -> None:
    _assert_paper_values(_task(_run(server.base_url, tmp_path / "out", tmp_path / "cache", "paper")))
    assert len(server.state.bodies) == len(SCRIPT)  # excluded questions never reach the model


def test_robust_run_then_paper_rescoring(server: RunningServer, tmp_path: Path) -> None:
    run_dir = _run(server.base_url, tmp_path / "out", tmp_path / "cache", "robust")
    robust = _task(run_dir)
    assert robust["scoring"] == "robust"
    mcq = robust["by_question_type"]["mcq"]["accuracy"]
    assert (mcq["value"], mcq["n"]) == (pytest.approx(ROBUST_MCQ), len(SCRIPT))
    rescored = run_cli(["score", str(run_dir), "--scoring", "paper"], tmp_path / "cache")
    assert rescored.returncode == 0, rescored.stderr
    _assert_paper_values(_task(run_dir))


def _fork_target_responder() -> tuple[Responder, int]:
    """Each item of the fork-layout sample answered with the fork's target (plus whitespace, which
    lmms-eval strips); items whose reference the fork's regex cannot read get a filler reply."""
    task = AlmBenchPaperTask()
    task.configure({}, DataSource(use_sample=True))
    replies = {}
    for sample in task.load(DataSource(use_sample=True), joshi_tier_map()).samples:
        target = task.score(sample, "-", "paper").details["paper_target"]
        content = task.build_request(sample, "paper").messages[0].content
        (text,) = [part.text for part in content if isinstance(part, TextPart)]
        replies[text] = f" {target}\n" if target is not None else UNSCRIPTED
    parsed = sum(reply != UNSCRIPTED for reply in replies.values())
    return (lambda messages, body: replies.get(message_text(messages), "?")), parsed


def test_paper_variant_reads_the_forks_data_and_counts_unparsed_references(tmp_path: Path) -> None:
    responder, parsed = _fork_target_responder()
    with serve(responder, api_key="sk-scripted") as running:
        result = run_cli(
            [
                *("run", "--model", "openai:scripted", "--base-url", running.base_url),
                *("--tasks", "alm_bench_paper", "--sample", "--output-dir", str(tmp_path / "out")),
            ],
            tmp_path / "cache",
            extra_env={"OPENAI_API_KEY": "sk-scripted"},
        )
        bodies = list(running.state.bodies)
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    task = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench_paper"]
    assert task["scoring"] == "paper"
    assert task["dataset"]["dataset_id"] == "sonalsannigrahi/alm-bench-lang-split"
    total = task["counts"]["total"]
    assert (task["counts"]["scored"], task["counts"]["failed"], total) == (total, 0, len(bodies))
    assert 0 < parsed < total
    assert task["overall"]["score"]["value"] == pytest.approx(parsed / total)
    unparsed = task["overall"]["unparsed_reference"]
    assert (unparsed["value"] * unparsed["n"], unparsed["n"]) == (pytest.approx(total - parsed), total)
    assert {body["max_tokens"] for body in bodies} == {128}
