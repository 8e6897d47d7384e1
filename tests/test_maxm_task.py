"""MaXM on fixtures in its schema (per-language splits; image, image_id, question, answers), read through
the same `datasets` path as the Hub; its prompt and scorers against the TowerVision fork's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.maxm.make_sample import build_rows, write_maxm_folder
from tasks.maxm.task import MaxmTask
from tests.conftest import records_of
from tests.open_vqa_runs import assert_numbers_from_samples, predictions, run_task
from tv_eval.core.task import DataSource
from tv_eval.core.types import Sample, TextPart
from tv_eval.data.tiers import joshi_tier_map

LANGUAGES = {"en", "fr", "hi", "he", "ro", "th", "zh"}


def load(source: DataSource) -> list[Sample]:
    task = MaxmTask()
    task.configure({})
    return task.load(source, joshi_tier_map()).samples


def test_bundled_sample_has_seven_languages_with_tiers_and_parallel_ids() -> None:
    samples = load(DataSource(use_sample=True))
    assert {s.language for s in samples} == LANGUAGES and len(samples) == 42
    assert all(s.load_error is None and s.tier == joshi_tier_map().tier_of(s.language) for s in samples)
    keys = {
        language: {s.metadata["parallel_id"]: s for s in samples if s.language == language}
        for language in LANGUAGES
    }
    assert len({frozenset(by_key) for by_key in keys.values()}) == 1 and len(keys["en"]) == 6
    for key, english in keys["en"].items():
        assert keys["he"][key].cluster_id == english.cluster_id  # the same picture, asked in Hebrew


def test_iw_split_is_hebrew_and_prompted_as_the_fork_prompts(tmp_path: Path) -> None:
    write_maxm_folder(tmp_path, build_rows())
    task = MaxmTask()
    task.configure({})
    samples = task.load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples
    first = next(sample for sample in samples if sample.sample_id.startswith("iw/"))
    assert (first.language, first.script, first.sample_id) == ("he", "Hebr", "iw/4b1f0c2a9e7d3a01")
    text = task.build_request(first, "robust").messages[0].content[1]
    # maxm_iw.yaml `default`: pre_prompt + question.strip() + post_prompt; 64 new tokens.
    pre = "Given the image and the question, provide a concise answer. "
    post = "\nAnswer the question using a single word or phrase in Hebrew."
    assert isinstance(text, TextPart) and text.text == f"{pre}באיזה צבע הצורה?{post}"
    assert task.build_request(first, "paper").generation.max_new_tokens == 64


def test_rows_with_problems_fail_with_their_reason(tmp_path: Path) -> None:
    splits = build_rows()
    good = splits["en"][0]
    splits["en"] += [
        {**good, "image_id": "no_answers", "answers": []},
        {**good, "image_id": "blank_answers", "answers": [" ", ""]},
        {**good, "image_id": "no_question", "question": "  "},
        {**good, "image_id": "empty_image", "image": {"bytes": b"", "path": None}},
    ]
    write_maxm_folder(tmp_path, splits)
    errors = {s.sample_id: s.load_error for s in load(DataSource(data_dir=tmp_path)) if s.load_error}
    assert errors == {
        "en/no_answers": "no reference answers",
        "en/blank_answers": "no reference answers",
        "en/no_question": "empty question",
        "en/empty_image": "image is empty (0 bytes)",
    }


def sample_with(answers: tuple[str, ...]) -> Sample:
    return Sample(sample_id="x", task="maxm", language="fr", reference="", metadata={"answers": answers})


@pytest.mark.parametrize(
    ("prediction", "answers", "robust", "paper", "relaxed"),
    [
        ("rouge", ("rouge", "rouge vif"), 1.0, 1.0, 1.0),
        ("Rouge.", ("rouge",), 1.0, 0.0, 1.0),
        (" rouge", ("rouge",), 1.0, 0.0, 1.0),
        ("rouge vif", ("rouge",), 0.0, 0.0, 1.0),
        ("bleu", ("rouge", "vert"), 0.0, 0.0, 0.0),
    ],
)
def test_scoring_modes(
    prediction: str, answers: tuple[str, ...], robust: float, paper: float, relaxed: float
) -> None:
    task = MaxmTask()
    sample = sample_with(answers)
    assert task.score(sample, prediction, "robust").scores == {"exact_match": robust}
    assert task.score(sample, prediction, "paper").scores == {
        "exact_match": paper,
        "relaxed_accuracy": relaxed,
    }
    assert [spec.name for spec in task.metric_specs("paper")] == ["exact_match", "relaxed_accuracy"]
    assert [spec.name for spec in task.metric_specs("robust")] == ["exact_match"]


@pytest.mark.slow
def test_cli_runs_score_and_filter_as_the_samples_say(tv_eval_cache: Path, tmp_path: Path) -> None:
    write_maxm_folder(tmp_path / "data", build_rows())
    first = predictions(run_task(tv_eval_cache, tmp_path / "out1", "maxm", tmp_path / "data"))
    # Every other question gets the model's own answer among its references: designed hits.
    splits = build_rows()
    designed = set()
    for split, rows in splits.items():
        for index, row in enumerate(rows):
            sample_id = f"{split}/{row['image_id']}" + ("#2" if index % 2 else "")
            if index % 2 == 0 and first[sample_id].strip():
                row["answers"] = [*row["answers"], first[sample_id]]
                designed.add(sample_id)
    write_maxm_folder(tmp_path / "designed", splits)
    run_dir = run_task(tv_eval_cache, tmp_path / "out2", "maxm", tmp_path / "designed", "--scoring", "paper")
    records = records_of(run_dir)
    assert len(records) == 42 and len(designed) >= 10
    for record in records:
        assert record["metadata"]["parallel_id"] == record["sample_id"].split("/", 1)[1]
        expected = float(record["prediction"] in record["metadata"]["answers"])
        assert record["scores"]["exact_match"] == expected == float(record["sample_id"] in designed)
    block = assert_numbers_from_samples(run_dir, "maxm", "exact_match")
    assert_numbers_from_samples(run_dir, "maxm", "relaxed_accuracy")
    assert block["scoring"] == "paper" and block["overall"]["exact_match"]["value"] > 0
    robust = run_task(
        tv_eval_cache,
        tmp_path / "out3",
        "maxm",
        tmp_path / "designed",
        "--languages",
        "he,th,zh",
        "--tiers",
        "3",
    )
    assert {record["language"] for record in records_of(robust)} == {"he", "th"}
    block = assert_numbers_from_samples(robust, "maxm", "exact_match")
    assert set(block["by_language"]) == {"he", "th"} and block["by_tier"].keys() == {"3"}
    hits = {r["sample_id"] for r in records_of(robust) if r["scores"]["exact_match"] == 1.0}
    assert hits == {sample_id for sample_id in designed if sample_id.split("/")[0] in {"iw", "th"}}
