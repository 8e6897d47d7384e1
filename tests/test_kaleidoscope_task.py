"""Kaleidoscope on fixtures in its Hub layout (eleven columns, `image` a path into `data.zip` whose
members sit under `final_data/`), loaded through the same `datasets` path as the Hub; its prompt and
strict answer reading checked against vectors recorded from upstream lmms-eval's own functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.kaleidoscope.make_sample import build_sample, write_archive, write_kaleidoscope_parquet
from tasks.kaleidoscope.task import KaleidoscopeTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "kaleidoscope_upstream_choices.json").read_text(encoding="utf-8")
)
COLUMNS = [
    "question",
    "options",
    "answer",
    "image",
    "image_information",
    "image_type",
    "language",
    "country",
    "level",
    "category_en",
    "general_category_en",
]
# The 18 languages of the paper with their Joshi et al. (2020) classes, written here by hand.
JOSHI = {
    "ar": "5", "bn": "3", "de": "5", "en": "5", "es": "5", "fa": "4", "fr": "5", "hi": "4", "hr": "4",
    "hu": "4", "lt": "3", "ne": "1", "nl": "4", "pt": "4", "ru": "4", "sr": "4", "te": "1", "uk": "3",
}  # fmt: skip


def task_with(options: dict[str, str] | None = None) -> KaleidoscopeTask:
    task = KaleidoscopeTask()
    task.configure(options or {})
    return task


def write_local(
    folder: Path, rows: list[dict], pictures: dict[str, bytes], *, extracted: bool = False
) -> Path:
    write_kaleidoscope_parquet(rows, folder / "data" / "train-00000-of-00001.parquet")
    if extracted:
        for name, data in pictures.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
    else:
        write_archive(pictures, folder / "data.zip")
    return folder


def test_bundled_sample_has_the_hub_columns_and_reads_pictures_from_the_archive() -> None:
    import pyarrow.parquet as pq

    task = task_with()
    (parquet,) = task.sample_dir.glob("*.parquet")
    schema = pq.read_schema(parquet)
    assert schema.names == COLUMNS and str(schema.field("image").type) == "string"
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    samples = loaded.samples
    assert loaded.dataset.dataset_id == "CohereLabs/kaleidoscope" and loaded.dataset.split == "train"
    assert all(sample.load_error is None for sample in samples)
    assert {s.language: s.tier for s in samples} == JOSHI
    rows, pictures = build_sample()
    multimodal = [s for s in samples if s.question_type == "multimodal"]
    assert len(multimodal) == 18 and all(s.image is not None for s in multimodal)
    assert multimodal[0].image.data == pictures[rows[0]["image"]]
    text_only = [s for s in samples if s.question_type == "text_only"]
    assert len(text_only) == 7 and all(s.image is None for s in text_only)
    assert [s.reference for s in samples] == [row["options"][row["answer"]] for row in rows]


def test_extracted_tree_serves_the_pictures_too(tmp_path: Path) -> None:
    rows, pictures = build_sample()
    samples = (
        task_with()
        .load(
            DataSource(data_dir=write_local(tmp_path, rows[:2], pictures, extracted=True)), joshi_tier_map()
        )
        .samples
    )
    assert [s.image.data for s in samples] == [pictures[row["image"]] for row in rows[:2]]


def test_missing_or_escaping_pictures_fail_their_rows_only(tmp_path: Path) -> None:
    rows, pictures = build_sample()
    rows = [{**rows[0], "image": "data/nowhere.png"}, {**rows[1], "image": "../outside.png"}, rows[2]]
    samples = (
        task_with().load(DataSource(data_dir=write_local(tmp_path, rows, pictures)), joshi_tier_map()).samples
    )
    assert samples[0].load_error == "image: file 'data/nowhere.png' is not in data.zip"
    assert samples[1].load_error == "image: file path '../outside.png' escapes the dataset folder"
    assert samples[2].load_error is None and samples[2].image is not None


def test_prompt_and_system_turn_are_upstreams(tmp_path: Path) -> None:
    doc = VECTORS["prompt"]["doc"]
    rows, pictures = build_sample()
    row = {**rows[2], "question": doc["question"], "options": doc["options"], "answer": 0}
    task = task_with()
    (sample,) = task.load(
        DataSource(data_dir=write_local(tmp_path, [row], pictures)), joshi_tier_map()
    ).samples
    request = task.build_request(sample, "robust")
    system, user = request.messages
    assert (system.role, system.text) == ("system", VECTORS["prompt"]["system"])
    assert isinstance(user.content[0], ImagePart) and user.text == VECTORS["prompt"]["user_text"]
    assert request.generation.max_new_tokens == 1024
    assert task_with({"max_new_tokens": "24"}).build_request(sample, "robust").generation.max_new_tokens == 24


def test_picture_options_follow_the_question_as_images() -> None:
    task = task_with()
    samples = task.load(DataSource(use_sample=True), joshi_tier_map()).samples
    (with_pictures,) = [s for s in samples if s.choices[0].endswith(".png")]
    (user,) = task.build_request(with_pictures, "robust").messages[1:]
    kinds = [type(part) for part in user.content]
    assert kinds == [ImagePart] * 4 + [TextPart]
    _, pictures = build_sample()
    assert [part.image.data for part in user.content[:4]] == [
        pictures[path] for path in with_pictures.choices
    ]


def test_scores_accuracy_valid_accuracy_and_format_error_per_mode() -> None:
    task = task_with()
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[3]  # English
    answer = sample.metadata["answer"]
    right, wrong = sample.choices[answer], sample.choices[(answer + 1) % 4]
    cases = {
        (f'{{"choice": "{"ABCD"[answer]}"}}', "robust"): {
            "accuracy": 1.0,
            "valid_accuracy": 1.0,
            "format_error": 0.0,
        },
        (f'{{"choice": "{"ABCD"[(answer + 1) % 4]}"}}', "official"): {
            "accuracy": 0.0,
            "valid_accuracy": 0.0,
            "format_error": 0.0,
        },
        (f"The answer is {right}", "robust"): {"accuracy": 1.0, "valid_accuracy": 1.0, "format_error": 0.0},
        (f"The answer is {right}", "official"): {"accuracy": 0.0, "format_error": 1.0},
        (f"{wrong} or {right}", "robust"): {"accuracy": 0.0, "format_error": 1.0},
    }
    for (reply, mode), scores in cases.items():
        verdict = task.score(sample, reply, mode)
        assert verdict.status is SampleStatus.SCORED and dict(verdict.scores) == scores, (reply, mode)


def test_a_letter_answer_to_numeric_options_is_read_in_both_modes() -> None:
    """The options "4".."7" look like option labels to the core's extractor, which then takes no
    letter; the prompt letters them A-D, so `{"choice": "B"}` is the second one in either mode."""
    task = task_with()
    (sample, *_) = [
        s for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples if s.image is None
    ]
    assert sample.choices == ("4", "5", "6", "7") and sample.metadata["answer"] == 1
    for mode in ("robust", "official"):
        assert task.score(sample, '{"choice": "B"}', mode).scores["accuracy"] == 1.0, mode


def test_bad_rows_and_options_are_one_line_errors(tmp_path: Path) -> None:
    rows, pictures = build_sample()
    rows = [{**rows[0], "answer": 9}, {**rows[1], "language": "xx-notalanguage"}]
    samples = (
        task_with().load(DataSource(data_dir=write_local(tmp_path, rows, pictures)), joshi_tier_map()).samples
    )
    assert samples[0].load_error == "answer 9 is not an option index"
    assert samples[1].language == "und" and "unknown language code" in samples[1].load_error
    with pytest.raises(TaskConfigError, match="positive integer"):
        task_with({"max_new_tokens": "0"})
