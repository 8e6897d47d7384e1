"""CulturalVQA on fixtures in its real schema (u_id, image, question, answers, country)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tasks.cultural_vqa.make_sample import build_rows, write_cultural_vqa_parquet
from tasks.cultural_vqa.task import CulturalVqaTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map

TASK = CulturalVqaTask()
# The 11 countries of CulturalVQA as its paper lists them (Nayak et al., 2024), written here by hand.
PAPER_COUNTRIES = (
    "Brazil",
    "Canada",
    "China",
    "Ethiopia",
    "Germany",
    "India",
    "Iran",
    "Nigeria",
    "Rwanda",
    "Turkey",
    "USA",
)


def test_bundled_sample_covers_the_eleven_countries() -> None:
    loaded = TASK.load(DataSource(use_sample=True), joshi_tier_map())
    samples = loaded.samples
    assert loaded.dataset.dataset_id == "mair-lab/CulturalVQA" and loaded.dataset.source == "sample"
    assert Counter(sample.country for sample in samples) == dict.fromkeys(PAPER_COUNTRIES, 2)
    assert len(samples) == 22
    assert {(s.language, s.tier, s.script) for s in samples} == {("en", "5", "Latn")}
    assert all(s.load_error is None for s in samples)
    first = samples[0]
    assert first.metadata["answers"] == ("red", "red", "crimson")
    assert first.reference == "red | red | crimson"
    assert first.cluster_id == samples[1].cluster_id  # two questions share each picture


def test_local_fixture_with_problems(tmp_path: Path) -> None:
    rows = build_rows()[:4]
    rows[1] = {**rows[1], "answers": []}
    rows[2] = {**rows[2], "image": None}
    rows[3] = {**rows[3], "u_id": rows[0]["u_id"]}
    write_cultural_vqa_parquet(rows, tmp_path / "data" / "test-00000-of-00001.parquet")
    samples = TASK.load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples
    assert [s.load_error for s in samples] == [None, "no reference answers", "missing image", None]
    assert [s.sample_id for s in samples] == ["0000_1", "0000_2", "0001_1", "0000_1#2"]


def test_request_scoring_and_judge_prompt() -> None:
    sample = TASK.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    request = TASK.build_request(sample, "lave")
    image, text = request.messages[0].content
    assert isinstance(image, ImagePart) and isinstance(text, TextPart)
    assert (
        text.text
        == "What colour is the shape in this picture?\nAnswer the question using a word or a short phrase."
    )
    assert TASK.score(sample, "red", "lave").status is SampleStatus.NEEDS_JUDGE
    prompt = TASK.judge_prompt(sample, " Crimson. ", "lave")
    assert prompt is not None
    assert prompt.user.endswith(
        "Question: 'What colour is the shape in this picture?'\nReference answers: 'crimson', 'red', 'red'\n"
        "Candidate answer: 'Crimson.'\nOutput:"
    )
    assert TASK.judge_protocol("lave").parser == "lave_rating_1_3"
    with pytest.raises(TaskConfigError):
        TASK.score(sample, "red", "exact")


def test_missing_answers_column_is_a_config_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    pq.write_table(
        pa.table({"u_id": ["1"], "question": ["q"], "country": ["Iran"]}), tmp_path / "data" / "test.parquet"
    )
    with pytest.raises(TaskConfigError, match="lacks column"):
        TASK.load(DataSource(data_dir=tmp_path), joshi_tier_map())
