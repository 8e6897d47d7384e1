"""ALM-Bench `paper` and `official` against what their reference code returns.

The vectors in tests/data/alm_bench_reference_vectors.json were recorded by running the fork's
`lmms_eval/tasks/alm_bench/utils.py` functions and the ALM-Bench authors' inline string splits
(qwen2hf.py, GPTScoring.py) outside this project; the file names the commits. Every check goes
through the task's own request, scoring and judge-prompt paths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tasks.alm_bench.task import AlmBenchPaperTask, AlmBenchTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import Sample, SampleStatus, TextPart
from tv_eval.pipeline.records import score_sample

VECTORS = json.loads((Path(__file__).parent / "data" / "alm_bench_reference_vectors.json").read_text("utf-8"))
TASK = AlmBenchTask()
LANG_SPLIT_PRE = (
    "For the given Multiple Choice Question Answer below, analyze the question and answer strictly from "
    "one of the options below. Strictly answer the choice only. No additional text."
)
OFFICIAL_MCQ = (
    "For the given Multiple Choice Question, analyze the question and answer strictly from one of the "
    "options below. Strictly answer the choice only. No additional text.\n"
)


def _sample(answer: str, question: str = "Q?", question_type: str = "mcq") -> Sample:
    return Sample(
        sample_id="x",
        task="alm_bench",
        language="en",
        reference=answer.strip(),
        question_type=question_type,
        text=question.strip(),
        metadata={"language_name": "English", "translated_question": question, "translated_answer": answer},
    )


def _text(task: AlmBenchTask, sample: Sample, scoring: str) -> str:
    (text,) = [
        part.text
        for part in task.build_request(sample, scoring).messages[0].content
        if isinstance(part, TextPart)
    ]
    return text


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [repr(vector["answer"])[:40] for vector in vectors]


@pytest.mark.parametrize(
    "vector", VECTORS["fork_split_answer_options"], ids=_ids(VECTORS["fork_split_answer_options"])
)
def test_paper_prompt_and_target_equal_the_forks(vector: dict[str, Any]) -> None:
    sample = _sample(vector["answer"])
    assert _text(TASK, sample, "paper") == f"{LANG_SPLIT_PRE} Q?\n{vector['choices']}"
    target = vector["target"]
    probe = target if target is not None else vector["answer"].strip()
    score = TASK.score(sample, probe, "paper")
    assert score.status is SampleStatus.SCORED
    assert score.scores["score"] == float(target is not None)
    assert score.scores["unparsed_reference"] == float(target is None)
    assert score.details["paper_target"] == target


@pytest.mark.parametrize(
    "vector", VECTORS["fork_doc_to_text"], ids=[v["question"] for v in VECTORS["fork_doc_to_text"]]
)
def test_paper_prompt_assembly_equals_doc_to_text(vector: dict[str, Any]) -> None:
    data = "lang-split" if vector["pre_prompt"] == LANG_SPLIT_PRE else "mcq-subset"
    task = AlmBenchPaperTask()
    task.configure({"data": data})
    sample = _sample(vector["answer"], vector["question"])
    assert _text(task, sample, "paper") == vector["prompt"]
    assert task.build_request(sample, "paper").generation.max_new_tokens == (
        128 if data == "lang-split" else 16
    )


@pytest.mark.parametrize(
    "vector", VECTORS["fork_exact_match"], ids=[v["prediction"] for v in VECTORS["fork_exact_match"]]
)
def test_paper_exact_match_equals_lmms_eval(vector: dict[str, Any]) -> None:
    assert vector["process_results"] == vector["lang_split"]
    score = TASK.score(_sample(vector["answer"]), vector["prediction"], "paper")
    assert score.scores["score"] == vector["lang_split"]


@pytest.mark.parametrize("vector", VECTORS["authors_mcq"], ids=_ids(VECTORS["authors_mcq"]))
def test_official_prompt_and_judge_ground_truth_equal_the_authors(vector: dict[str, Any]) -> None:
    sample = _sample(vector["answer"], "Welche Farbe? ")
    request = TASK.build_request(sample, "official")
    assert request.generation.max_new_tokens == 2048
    if vector["options_line"] is not None:
        assert _text(TASK, sample, "official") == OFFICIAL_MCQ + "Welche Farbe? \n" + vector["options_line"]
    judge = TASK.judge_prompt(sample, "rot", "official")
    assert judge is not None
    assert "\nQuestion: Welche Farbe? \n" in judge.user
    assert f"\nGround Truth: {vector['ground_truth']}\nModel Prediction: rot\n" in judge.user


@pytest.mark.parametrize("question_type", ["true_false", "short", "long"])
def test_official_open_types_use_the_raw_answer_and_2048_tokens(question_type: str) -> None:
    sample = _sample(" Wahr ", "Ist es rot? ", question_type)
    assert TASK.build_request(sample, "official").generation.max_new_tokens == 2048
    assert _text(TASK, sample, "official").startswith("Ist es rot? \n")
    judge = TASK.judge_prompt(sample, "ja", "official")
    assert judge is not None and "\nGround Truth:  Wahr \n" in judge.user


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("d (Options: a, b, c)", "multiple-choice answer 'd' is not among its options"),
        ("A (Options: A, B) (Options: C, D)", "multiple-choice answer has two '(Options: ...)' groups"),
        ("A（选项：A、B）（选项：C、D）", "multiple-choice answer has two '(Options: ...)' groups"),
        ("True", "multiple-choice answer has no '(Options: ...)' list"),
        ("x (Options: x)", "multiple-choice answer lists fewer than two options"),
    ],
)
def test_malformed_items_fail_with_their_reason_except_under_paper(answer: str, reason: str) -> None:
    sample = _sample(answer)
    for scoring in ("robust", "official"):
        record = score_sample(TASK, sample, scoring, "", None, None)
        assert (record.status, record.error) == (SampleStatus.FAILED, reason)
    paper = score_sample(TASK, sample, "paper", "p", "A", None)
    assert paper.status is SampleStatus.SCORED


@pytest.mark.parametrize(
    ("answer", "reference", "choices"),
    [
        ("Red (note: bright) (Options: Red, Blue)", "Red", ("Red", "Blue")),
        ("Apple Inc. (Options: Apple Inc., Google)", "Apple Inc.", ("Apple Inc.", "Google")),
        ("黄色（选项：绿色、黄色）", "黄色", ("绿色", "黄色")),
        ("ቢጫ (አማራጮች: አረንጓዴ, ቢጫ)", "ቢጫ", ("አረንጓዴ", "ቢጫ")),
        (
            "Washington, D.C. (Options: Boston, Washington, D.C.)",
            "Washington, D.C.",
            ("Boston", "Washington, D.C."),
        ),
    ],
)
def test_robust_reads_what_the_fork_regex_does_not(
    answer: str, reference: str, choices: tuple[str, ...]
) -> None:
    from tasks.alm_bench.answers import robust_mcq

    parsed = robust_mcq(answer)
    assert not isinstance(parsed, str)
    assert (parsed.answer, parsed.options) == (reference, choices)
    assert TASK.sample_error(_sample(answer), "robust") is None


def test_paper_mode_counts_unparsed_references() -> None:
    specs = {spec.name: spec for spec in TASK.metric_specs("paper")}
    assert not specs["unparsed_reference"].higher_is_better
    assert "unparsed_reference" not in {spec.name for spec in TASK.metric_specs("robust")}


def test_data_choice() -> None:
    paper = AlmBenchPaperTask()
    paper.configure({}, DataSource())
    assert paper.dataset_id == "sonalsannigrahi/alm-bench-lang-split"
    assert [part.split for part in paper.parts()][:2] == ["English", "German"]
    assert paper.scoring_mode(None) == "paper"
    subset = AlmBenchPaperTask()
    subset.configure({"data": "mcq-subset"}, DataSource())
    assert subset.dataset_id == "sonalsannigrahi/alm-bench-mcq-subset"
    release = AlmBenchTask()
    release.configure({}, DataSource())
    assert release.dataset_id == "MBZUAI/ALM-Bench"
    with pytest.raises(TaskConfigError, match="unknown data 'mbzuai'"):
        release.configure({"data": "mbzuai"}, DataSource())


def test_mode_prompts_move_only_their_modes_hash() -> None:
    assert TASK.prompts_hash("robust") == TASK.prompts_hash()
    assert len({TASK.prompts_hash(mode) for mode in ("robust", "official", "paper")}) == 3
    subset = AlmBenchPaperTask()
    subset.configure({"data": "mcq-subset"})
    assert subset.prompts_hash("paper") != AlmBenchPaperTask().prompts_hash("paper")
