"""xMMMU on fixtures in its real schema (image_1..image_7, options as a list literal), loaded through
`datasets` from a local folder as from the Hub: images in the order the text refers to them, MMMU's
prompt and MMMU's scoring."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tasks.xmmmu.make_sample import SPLITS, build_rows, write_split
from tasks.xmmmu.task import XmmmuTask
from tv_eval.core.interleave import IMAGE_SLOT
from tv_eval.core.task import DataSource
from tv_eval.core.types import ImageInput, ImagePart, Sample, TextPart
from tv_eval.data.tiers import joshi_tier_map

MCQ_SUFFIX = "\nAnswer with the option letter from the given choices directly."


def load(source: DataSource) -> list[Sample]:
    task = XmmmuTask()
    task.configure({})
    return task.load(source, joshi_tier_map()).samples


def image_of(row: dict, column: str) -> ImageInput:
    return ImageInput.from_bytes(row[column]["bytes"])


def test_bundled_sample_has_every_language_and_each_reference_its_image() -> None:
    samples = load(DataSource(use_sample=True))
    assert Counter(s.language for s in samples) == dict.fromkeys(SPLITS, 4)
    assert Counter(s.question_type for s in samples) == {"multiple-choice": 14, "open": 14}
    assert all(s.load_error is None for s in samples)
    tiers = joshi_tier_map()
    assert all(s.tier == tiers.tier_of(s.language) for s in samples)
    rows = build_rows("fr")
    french = [s for s in samples if s.language == "fr"]
    assert [len(s.images) for s in french] == [1, 2, 2, 2]
    assert french[1].images == (image_of(rows[1], "image_1"), image_of(rows[1], "image_2"))
    assert french[3].images == (image_of(rows[3], "image_1"),) * 2  # referred to twice, shown twice
    assert [s.category for s in french] == ["Art", "Basic_Medical_Science", "Math", "Math"]


def test_request_places_each_image_where_the_text_refers_to_it() -> None:
    task = XmmmuTask()
    sample = next(s for s in load(DataSource(use_sample=True)) if s.sample_id.startswith("validation_Basic"))
    first, second = sample.images
    content = task.build_request(sample, "official").messages[0].content
    assert content == (
        TextPart("Which picture shows the same shape as "),
        ImagePart(first),
        TextPart("?\nA. "),
        ImagePart(second),
        TextPart("\nB. neither" + MCQ_SUFFIX),
    )
    assert task.prompt(sample, "official").count(IMAGE_SLOT) == 2


def test_fixture_with_broken_rows(tmp_path: Path) -> None:
    rows = build_rows("en")
    rows[0]["question"] = "<image 1> and <image 3>: same colour?"  # image_3 is empty
    rows[1]["options"] = "['unclosed'"
    rows[2]["image_2"] = {"bytes": b"", "path": None}
    rows[3]["question"] = "Is <image 2> the shape of <image 1>?"  # referred to out of number order
    rows[3]["image_2"] = rows[2]["image_1"]
    write_split(rows, tmp_path / "data" / "en-00000-of-00001.parquet")
    for split in SPLITS:
        if split != "en":
            write_split(build_rows(split), tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    task = XmmmuTask()
    task.configure({})
    samples = [
        s for s in task.load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples if s.language == "en"
    ]
    errors = [s.load_error for s in samples]
    assert errors == [
        "<image 3> refers to no image",
        "options are not a list",
        "image is empty (0 bytes)",
        None,
    ]
    assert samples[0].images == () and samples[2].images == ()  # never half the images
    assert samples[3].images == (image_of(rows[3], "image_2"), image_of(rows[3], "image_1"))
    assert task.build_request(samples[0], "official").images == ()


@pytest.mark.parametrize(
    ("reply", "official", "robust"),
    [("B", 1.0, 1.0), ("(B) blue", 1.0, 1.0), ("A", 0.0, 0.0), ("I am not sure", None, 0.0)],
)
def test_multiple_choice_scoring(reply: str, official: float | None, robust: float) -> None:
    task = XmmmuTask()
    sample = next(s for s in load(DataSource(use_sample=True)) if s.language == "ar")
    sample = Sample(**{**sample.__dict__, "reference": "B"})
    scored = task.score(sample, reply, "official")
    if official is None:  # MMMU guesses: the guess is seeded by the sample id, and said so
        assert scored.details == {"guessed": True} and scored.extracted in "ABCD"
        assert scored.scores["accuracy"] == float(scored.extracted == "B")
    else:
        assert scored.scores["accuracy"] == official and scored.details == {"guessed": False}
    assert task.score(sample, reply, "robust").scores["accuracy"] == robust


def test_open_scoring_follows_mmmu() -> None:
    task = XmmmuTask()
    open_question = next(s for s in load(DataSource(use_sample=True)) if s.reference == "2")
    assert task.score(open_question, "There are 2 shapes.", "official").scores == {"accuracy": 1.0}
    assert task.score(open_question, "So the total is 2.0", "official").scores == {"accuracy": 1.0}
    assert task.score(open_question, "twenty", "official").scores == {"accuracy": 0.0}
    named = next(s for s in load(DataSource(use_sample=True)) if s.reference == "triangle")
    assert task.score(named, "It is a yellow Triangle.", "official").scores == {"accuracy": 1.0}
    assert task.score(named, "a circle", "official").scores == {"accuracy": 0.0}


def test_prompts_are_the_forks() -> None:
    """The fork's `mmmu_doc_to_text` writes each reference as `<image>`, where tv-eval puts the image."""
    fork = json.loads((Path(__file__).parent / "data" / "fork_prompts.json").read_text(encoding="utf-8"))
    task = XmmmuTask()
    samples = load(DataSource(use_sample=True))
    for sample in samples:
        position = samples.index(sample) % 4
        rendered = task.prompt(sample, "official").replace(IMAGE_SLOT, "<image>")
        assert rendered == fork["xmmmu"][f"{sample.language}/{position}"]
