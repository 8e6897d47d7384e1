"""MTVQA on fixtures in its schema (id, image, lang, qa_pairs), read through the same `datasets` path as
the Hub: one sample per question-answer pair (the base's `row_items`), scored as upstream lmms-eval does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tasks.mtvqa.make_sample import build_rows, write_mtvqa_parquet
from tasks.mtvqa.task import MtvqaTask
from tests.conftest import records_of
from tests.open_vqa_runs import assert_numbers_from_samples, predictions, run_task
from tv_eval.core.task import DataSource
from tv_eval.core.types import Sample, TextPart
from tv_eval.data.tiers import joshi_tier_map

LANGUAGES = {"ar", "de", "fr", "it", "ja", "ko", "ru", "th", "vi"}


def load(folder: Path | None = None) -> list[Sample]:
    task = MtvqaTask()
    task.configure({})
    source = DataSource(data_dir=folder) if folder else DataSource(use_sample=True)
    return task.load(source, joshi_tier_map()).samples


def write(folder: Path, rows: list[dict]) -> Path:
    write_mtvqa_parquet(rows, folder / "data" / "test-00000-of-00001.parquet")
    return folder


def test_bundled_sample_is_one_sample_per_pair_clustered_by_image() -> None:
    samples = load()
    assert {s.language for s in samples} == LANGUAGES and len(samples) == 18
    assert [s.sample_id for s in samples[:3]] == ["0_0", "0_1", "1_0"]  # upstream's question ids
    assert all(s.load_error is None and s.tier == joshi_tier_map().tier_of(s.language) for s in samples)
    assert len({s.cluster_id for s in samples}) == 9
    assert (samples[2].text, samples[2].reference) == ("Welche Farbe hat die Form?", "Blau")


def test_pairs_as_a_list_column_load_as_their_text_does(tmp_path: Path) -> None:
    as_lists = [{**row, "qa_pairs": ast.literal_eval(row["qa_pairs"])} for row in build_rows()]
    listed = load(write(tmp_path / "lists", as_lists))
    assert [(s.sample_id, s.language, s.text, s.reference) for s in listed] == [
        (s.sample_id, s.language, s.text, s.reference) for s in load()
    ]


def test_unusable_pairs_are_left_out_and_unreadable_rows_fail(tmp_path: Path) -> None:
    good = build_rows()[1]
    rows = [
        {
            **good,
            "id": 7,
            "qa_pairs": repr([{"question": " ", "answer": "x"}, {"question": "Wo?", "answer": " Bonn "}]),
        },
        {**good, "id": 8, "qa_pairs": "[{'question': 'Wer?'"},
        {**good, "id": 9, "qa_pairs": ""},
        {**good, "id": 10, "qa_pairs": '[{"question": "Was?", "answer": "Kiel"}]'},
        {**good, "id": 11, "lang": "Korean"},
        {**good, "id": 12, "lang": "kr"},
        {**good, "id": 13, "lang": "XX"},
    ]
    samples = {s.sample_id: s for s in load(write(tmp_path, rows))}
    assert sorted(samples) == ["10_0", "11_0", "11_1", "12_0", "12_1", "13_0", "13_1", "7_0", "8_0"]
    assert (samples["7_0"].text, samples["7_0"].reference) == ("Wo?", "Bonn")
    assert samples["8_0"].load_error == "qa_pairs text is neither a Python nor a JSON list"
    assert samples["10_0"].reference == "Kiel" and samples["10_0"].load_error is None
    assert samples["11_0"].language == samples["12_0"].language == "ko"
    assert samples["13_0"].load_error == "unknown language 'XX'"


def test_prompt_is_upstreams() -> None:
    """mtvqa_doc_to_text: '' + question.strip() + post_prompt; 64 new tokens."""
    task = MtvqaTask()
    sample = load()[0]
    request = task.build_request(sample, "official")
    text = request.messages[0].content[1]
    suffix = "\nAnswer the question using a word or phrase in the language of the question."
    assert isinstance(text, TextPart) and text.text == "ما لون الشكل؟" + suffix
    assert request.generation.max_new_tokens == 64


@pytest.mark.parametrize(
    ("prediction", "answer", "official", "robust"),
    [
        ("Die Antwort ist Berlin.", "Berlin", 1.0, 1.0),
        ("u.s.a", "USA", 1.0, 1.0),
        ("3.50", "350", 1.0, 0.0),
        ("東京都", "東京", 1.0, 1.0),
        ("ＡＢＣ", "abc", 0.0, 1.0),
        ("Hamburg", "Berlin", 0.0, 0.0),
    ],
)
def test_scoring_modes(prediction: str, answer: str, official: float, robust: float) -> None:
    sample = Sample(sample_id="x", task="mtvqa", language="de", reference=answer)
    assert MtvqaTask().score(sample, prediction, "official").scores == {"accuracy": official}
    assert MtvqaTask().score(sample, prediction, "robust").scores == {"accuracy": robust}
    assert MtvqaTask().scoring_mode(None) == "official"


@pytest.mark.slow
def test_cli_runs_score_and_filter_as_the_samples_say(tv_eval_cache: Path, tmp_path: Path) -> None:
    first = predictions(
        run_task(tv_eval_cache, tmp_path / "out1", "mtvqa", write(tmp_path / "data", build_rows()))
    )
    # The first pair of every image gets a piece of the model's answer as its reference: designed hits.
    rows = build_rows()
    for row in rows:
        pairs = ast.literal_eval(row["qa_pairs"])
        piece = first[f"{row['id']}_0"].strip().lower().replace(".", "")[3:9].strip()
        if piece:
            pairs[0]["answer"] = piece
        row["qa_pairs"] = repr(pairs)
    run_dir = run_task(tv_eval_cache, tmp_path / "out2", "mtvqa", write(tmp_path / "designed", rows))
    records = records_of(run_dir)
    assert len(records) == 18
    for record in records:
        answer, prediction = (
            record[key].strip().lower().replace(".", "") for key in ("reference", "prediction")
        )
        assert record["scores"]["accuracy"] == float(answer in prediction)
    block = assert_numbers_from_samples(run_dir, "mtvqa", "accuracy")
    assert block["scoring"] == "official" and block["overall"]["accuracy"]["value"] >= 0.4
    filtered = run_task(
        tv_eval_cache,
        tmp_path / "out3",
        "mtvqa",
        tmp_path / "designed",
        "--languages",
        "ar,th,vi",
        "--tiers",
        "3,4",
    )
    block = assert_numbers_from_samples(filtered, "mtvqa", "accuracy")
    assert set(block["by_language"]) == {"th", "vi"} and block["by_tier"].keys() == {"3", "4"}
