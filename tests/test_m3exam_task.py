"""M3Exam on fixtures in its PangeaBench schema (base64 image_0..image_9, "None" where absent), loaded
through `datasets` from a local folder as from the Hub: language names through langcodes, each
`(image)[id]` replaced by its image in place, the fork's prompt and the fork's scoring."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tasks.m3exam.make_sample import SPLITS, build_rows, write_split
from tasks.m3exam.task import M3examTask
from tv_eval.core.interleave import IMAGE_SLOT
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImageInput, ImagePart, Sample, TextPart
from tv_eval.data.tiers import joshi_tier_map

FORK = json.loads((Path(__file__).parent / "data" / "fork_prompts.json").read_text(encoding="utf-8"))
CODES = {
    "afrikaans": "af",
    "chinese": "zh",
    "english": "en",
    "italian": "it",
    "portuguese": "pt",
    "thai": "th",
}


def load(options: dict | None = None, source: DataSource | None = None) -> tuple[M3examTask, list[Sample]]:
    task = M3examTask()
    task.configure(options or {})
    return task, task.load(source or DataSource(use_sample=True), joshi_tier_map()).samples


def column_image(row: dict, column: str) -> ImageInput:
    import base64

    return ImageInput.from_bytes(base64.b64decode(row[column]))


def test_bundled_sample_languages_tiers_and_images() -> None:
    _, samples = load()
    assert Counter(s.language for s in samples) == dict.fromkeys([*CODES.values(), "vi"], 3)
    tiers = joshi_tier_map()
    assert all(s.tier == tiers.tier_of(s.language) and s.tier != "unknown" for s in samples)
    assert all(s.load_error is None for s in samples)
    assert [len(s.images) for s in samples[:3]] == [1, 2, 3]
    assert [s.reference for s in samples if s.language == "zh"] == ["B", "B", "A"]  # "2", "B", "1"


def test_single_image_prompt_is_the_forks() -> None:
    task, samples = load()
    for sample in samples[::3]:
        prompt = task.prompt(sample, "official").replace(IMAGE_SLOT, "<image>")
        assert prompt == FORK["m3exam"][f"{sample.metadata['language_name']}/0"]


def test_every_reference_is_its_image_in_place() -> None:
    task, samples = load()
    rows = build_rows("english")
    english = [s for s in samples if s.language == "en"]
    background = task.build_request(english[1], "official").messages[0].content
    assert [type(part) for part in background] == [TextPart, ImagePart, TextPart, ImagePart, TextPart]
    assert background[0].text.endswith("\n\n\nLook at the shape: ")  # type: ignore[union-attr]
    assert background[2] == TextPart("\nIs the shape in ")
    assert english[1].images == (column_image(rows[1], "image_0"), column_image(rows[1], "image_1"))
    options = task.build_request(english[2], "official").messages[0].content
    assert [type(part) for part in options][:2] == [ImagePart, TextPart]  # named by no text: first
    assert options[2:5] == (ImagePart(column_image(rows[2], "image_0")), TextPart("\n(B) "), options[4])
    assert english[2].images == tuple(column_image(rows[2], f"image_{k}") for k in (2, 0, 1))
    # The fork leaves a background reference as text and drops options holding images.
    assert "(image)[bg.png]" in FORK["m3exam"]["english/1"] and "(A)" not in FORK["m3exam"]["english/2"]


def test_english_instructions_as_an_option() -> None:
    task, samples = load({"prompt_language": "english"})
    thai = next(s for s in samples if s.language == "th")
    prompt = task.prompt(thai, "official")
    assert prompt.startswith("The following is a multiple choice question about Natural Science.")
    assert prompt.endswith("\n(D) yellow\nAnswer:")
    with pytest.raises(TaskConfigError, match="native or english"):
        M3examTask().configure({"prompt_language": "thai"})


def test_fixture_with_broken_rows(tmp_path: Path) -> None:
    for split in SPLITS:
        rows = build_rows(split)
        if split == "italian":
            rows[0]["image_0"] = "not base64!"
            rows[1]["image_1"] = "None"  # two ids, one image
            rows[2]["answer_text"] = "7"
            rows.append({**build_rows(split)[0], "subject_category": "cooking", "language": "klingon"})
        write_split(rows, tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    _, samples = load(source=DataSource(data_dir=tmp_path))
    italian = [s for s in samples if s.sample_id.startswith("italian/")]
    assert [s.load_error for s in italian] == [
        "image_0: image is not valid base64: Only base64 data is allowed",
        "2 images referred to, 1 given",
        "answer '7' names none of 3 options",
        "unknown language name 'klingon'; unknown subject category 'cooking'",
    ]
    assert all(s.images == () for s in italian)


@pytest.mark.parametrize(
    ("reply", "official", "robust"),
    [
        ("B", 1.0, 1.0),
        ("(B) blue", 1.0, 1.0),
        ("The answer is B", 0.0, 1.0),
        ("blue", 1.0, 1.0),
        ("C", 0.0, 0.0),
    ],
)
def test_scoring_modes(reply: str, official: float, robust: float) -> None:
    task, samples = load()
    chinese = next(s for s in samples if s.language == "zh")  # reference B: "(2) blue"
    assert task.score(chinese, reply, "official").scores == {"accuracy": official}
    assert task.score(chinese, reply, "robust").scores == {"accuracy": robust}
