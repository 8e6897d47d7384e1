"""xGQA on fixtures in its schema (per-language splits; image, question, answer in English), read through
the same `datasets` path as the Hub; its prompt and scorers against the TowerVision fork's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.xgqa.make_sample import build_rows, write_xgqa_folder
from tasks.xgqa.task import XgqaTask
from tests.conftest import records_of
from tests.open_vqa_runs import assert_numbers_from_samples, predictions, run_task
from tv_eval.core.task import DataSource
from tv_eval.core.types import Sample, TextPart
from tv_eval.data.tiers import joshi_tier_map

LANGUAGES = {"bn", "de", "en", "id", "ko", "pt", "ru", "zh"}


def load(source: DataSource) -> list[Sample]:
    task = XgqaTask()
    task.configure({})
    return task.load(source, joshi_tier_map()).samples


def by_parallel_id(samples: list[Sample], language: str) -> dict[str, Sample]:
    return {s.metadata["parallel_id"]: s for s in samples if s.language == language}


def test_bundled_sample_has_eight_languages_with_tiers() -> None:
    samples = load(DataSource(use_sample=True))
    assert {s.language for s in samples} == LANGUAGES and len(samples) == 48
    assert all(s.load_error is None and s.tier == joshi_tier_map().tier_of(s.language) for s in samples)
    assert {s.reference for s in samples} == {"red", "blue", "yellow", "yes", "no"}


def test_parallel_ids_pair_the_same_question_even_when_a_language_orders_pictures_otherwise(
    tmp_path: Path,
) -> None:
    splits = build_rows()
    splits["de"] = splits["de"][4:] + splits["de"][:4]  # the last picture's two questions first
    write_xgqa_folder(tmp_path, splits)
    samples = load(DataSource(data_dir=tmp_path))
    english, german = by_parallel_id(samples, "en"), by_parallel_id(samples, "de")
    assert english.keys() == german.keys() and len(english) == 6
    for key, sample in english.items():
        assert (german[key].reference, german[key].cluster_id) == (sample.reference, sample.cluster_id)


def test_prompts_are_the_forks() -> None:
    """xgqa_doc_to_text: question.strip() + ' ' + post_prompt.strip(); English's post_prompt lacks
    'in English'. 16 new tokens."""
    task = XgqaTask()
    task.configure({})
    samples = load(DataSource(use_sample=True))
    english = next(s for s in samples if s.language == "en")
    korean = next(s for s in samples if s.language == "ko")
    requests = [task.build_request(sample, "paper") for sample in (english, korean)]
    texts = [request.messages[0].content[1] for request in requests]
    assert all(isinstance(text, TextPart) for text in texts)
    assert texts[0].text == "What color is the shape? Answer the question using a single word or phrase."
    assert (
        texts[1].text == "도형은 무슨 색입니까? Answer the question using a single word or phrase in English."
    )
    assert {request.generation.max_new_tokens for request in requests} == {16}


@pytest.mark.parametrize(
    ("prediction", "answer", "robust", "paper"),
    [
        ("yes", "yes", 1.0, 1.0),
        ("Yes.", "yes", 1.0, 1.0),
        ("yes, it is", "yes", 0.0, 1.0),
        ("woman", "man", 0.0, 1.0),
        ("ＹＥＳ", "yes", 1.0, 0.0),
        ("the table", "table", 1.0, 1.0),
        ("no", "yes", 0.0, 0.0),
    ],
)
def test_scoring_modes(prediction: str, answer: str, robust: float, paper: float) -> None:
    sample = Sample(sample_id="x", task="xgqa", language="de", reference=answer)
    assert XgqaTask().score(sample, prediction, "robust").scores == {"exact_match": robust}
    assert XgqaTask().score(sample, prediction, "paper").scores == {"exact_match": paper}


def test_rows_with_problems_fail_with_their_reason(tmp_path: Path) -> None:
    splits = build_rows()
    good = splits["en"][0]
    splits["en"] += [{**good, "answer": " "}, {**good, "question": ""}]
    write_xgqa_folder(tmp_path, splits)
    errors = [s.load_error for s in load(DataSource(data_dir=tmp_path)) if s.load_error]
    assert errors == ["empty answer", "empty question"]


@pytest.mark.slow
def test_cli_runs_score_and_filter_as_the_samples_say(tv_eval_cache: Path, tmp_path: Path) -> None:
    write_xgqa_folder(tmp_path / "data", build_rows())
    first = predictions(run_task(tv_eval_cache, tmp_path / "out1", "xgqa", tmp_path / "data"))
    # Every other question's answer becomes a piece of what the model said: the fork counts it.
    splits = build_rows()
    loaded = load(DataSource(data_dir=tmp_path / "data"))
    for split, rows in splits.items():
        ids = [s.sample_id for s in loaded if s.sample_id.startswith(f"{split}/")]
        for index, (row, sample_id) in enumerate(zip(rows, ids, strict=True)):
            piece = first[sample_id].strip().lower()[2:8].strip()
            if index % 2 == 0 and piece:
                row["answer"] = piece
    write_xgqa_folder(tmp_path / "designed", splits)
    run_dir = run_task(tv_eval_cache, tmp_path / "out2", "xgqa", tmp_path / "designed", "--scoring", "paper")
    records = records_of(run_dir)
    assert len(records) == 48
    for record in records:
        expected = float(record["reference"].strip().lower() in record["prediction"].strip().lower())
        assert record["scores"]["exact_match"] == expected
    block = assert_numbers_from_samples(run_dir, "xgqa", "exact_match")
    assert block["scoring"] == "paper" and block["overall"]["exact_match"]["value"] >= 0.4
    filtered = run_task(
        tv_eval_cache,
        tmp_path / "out3",
        "xgqa",
        tmp_path / "designed",
        "--languages",
        "bn,id,ko",
        "--tiers",
        "3",
    )
    block = assert_numbers_from_samples(filtered, "xgqa", "exact_match")
    assert set(block["by_language"]) == {"bn", "id"} and block["by_tier"].keys() == {"3"}
