"""CulturalVQA on fixtures in its real public schema (u_id, image, question: the answers are withheld),
with references from an answers file or a local copy's own `answers`/`country` columns."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tasks.cultural_vqa.make_sample import answers_file, build_rows, public_rows, write_cultural_vqa_parquet
from tasks.cultural_vqa.task import CulturalVqaTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, SampleStatus, ScoredSample, TextPart
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.records import score_sample

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


def task_with(options: dict[str, str] | None = None) -> CulturalVqaTask:
    task = CulturalVqaTask()
    task.configure(options or {})
    return task


def write_public(folder: Path, rows: list[dict]) -> Path:
    write_cultural_vqa_parquet(public_rows(rows), folder / "data" / "test-00000-of-00001.parquet")
    return folder


def test_bundled_sample_is_public_schema_with_its_answers_file() -> None:
    import pyarrow.parquet as pq

    task = task_with()
    (parquet,) = task.sample_dir.glob("*.parquet")
    assert pq.read_schema(parquet).names == ["u_id", "image", "question"]
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    samples = loaded.samples
    assert loaded.dataset.dataset_id == "mair-lab/CulturalVQA" and loaded.dataset.source == "sample"
    assert Counter(sample.country for sample in samples) == dict.fromkeys(PAPER_COUNTRIES, 2)
    assert len(samples) == 22
    assert {(s.language, s.tier, s.script) for s in samples} == {("en", "5", "Latn")}
    assert all(s.load_error is None for s in samples)
    first = samples[0]
    assert first.metadata == {"answers": ("red", "red", "crimson"), "u_id": "0000_1"}
    assert first.reference == "red | red | crimson"
    assert first.cluster_id == samples[1].cluster_id  # two questions share each picture


def test_public_data_loads_and_needs_a_reference(tmp_path: Path) -> None:
    task = task_with()
    samples = task.load(
        DataSource(data_dir=write_public(tmp_path, build_rows()[:3])), joshi_tier_map()
    ).samples
    assert [s.sample_id for s in samples] == ["0000_1", "0000_2", "0001_1"]
    assert all(s.load_error is None and s.country is None and s.reference == "" for s in samples)
    assert not task.judged(samples[0], "lave")
    assert task.judge_prompt(samples[0], "red", "lave") is None
    assert task.score(samples[0], "red", "lave").status is SampleStatus.NEEDS_REFERENCE


def test_answers_file_gives_references_and_countries(tmp_path: Path) -> None:
    rows = build_rows()[:4]
    answers = answers_file(rows)
    answers["0000_2"] = ["yes"]  # a bare list: no country
    answers["0001_1"] = {"answers": [], "country": "Canada"}
    del answers["0001_2"]
    (tmp_path / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
    task = task_with({"answers": str(tmp_path / "answers.json")})
    samples = task.load(
        DataSource(data_dir=write_public(tmp_path / "public", rows)), joshi_tier_map()
    ).samples
    assert [s.metadata["answers"] for s in samples] == [("red", "red", "crimson"), ("yes",), (), ()]
    assert [s.country for s in samples] == ["Brazil", None, "Canada", None]
    assert [s.load_error for s in samples] == [None, None, "no reference answers", None]
    assert task.score(samples[0], "red", "lave").status is SampleStatus.NEEDS_JUDGE
    assert task.score(samples[3], "red", "lave").status is SampleStatus.NEEDS_REFERENCE
    without = task_with().load(DataSource(data_dir=tmp_path / "public"), joshi_tier_map())
    with_file = task.load(DataSource(data_dir=tmp_path / "public"), joshi_tier_map())
    assert without.dataset.fingerprint != with_file.dataset.fingerprint


def test_a_local_copy_with_answer_columns_still_reads_them(tmp_path: Path) -> None:
    rows = build_rows()[:4]
    rows[1] = {**rows[1], "answers": []}
    rows[2] = {**rows[2], "image": None}
    rows[3] = {**rows[3], "u_id": rows[0]["u_id"]}
    write_cultural_vqa_parquet(rows, tmp_path / "data" / "test-00000-of-00001.parquet")
    samples = task_with().load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples
    assert [s.load_error for s in samples] == [None, "no reference answers", "missing image", None]
    assert [s.sample_id for s in samples] == ["0000_1", "0000_2", "0001_1", "0000_1#2"]
    assert samples[0].country == "Brazil"


def test_request_scoring_and_judge_prompt() -> None:
    task = task_with()
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    request = task.build_request(sample, "lave")
    image, text = request.messages[0].content
    assert isinstance(image, ImagePart) and isinstance(text, TextPart)
    assert (
        text.text
        == "What colour is the shape in this picture?\nAnswer the question using a word or a short phrase."
    )
    assert task.score(sample, "red", "lave").status is SampleStatus.NEEDS_JUDGE
    prompt = task.judge_prompt(sample, " Crimson. ", "lave")
    assert prompt is not None
    assert prompt.user.endswith(
        "Question: 'What colour is the shape in this picture?'\nReference answers: 'crimson', 'red', 'red'\n"
        "Candidate answer: 'Crimson.'\nOutput:"
    )
    assert task.judge_protocol("lave").parser == "lave_rating_1_3"
    with pytest.raises(TaskConfigError):
        task.score(sample, "red", "exact")


def test_submission_lists_every_question(tmp_path: Path) -> None:
    task = task_with()
    samples = task.load(
        DataSource(data_dir=write_public(tmp_path, build_rows()[:3])), joshi_tier_map()
    ).samples
    records = [
        score_sample(task, samples[0], "lave", "p", " Feijoada \n", None),
        score_sample(task, samples[1], "lave", "p", None, "model error"),
        ScoredSample.from_json(score_sample(task, samples[2], "lave", "p", "no", None).to_json()),
    ]
    assert records[0].status is SampleStatus.NEEDS_REFERENCE
    assert task.submission(records, "lave") == {"0000_1": "Feijoada", "0000_2": "", "0001_1": "no"}


def test_bad_sources_are_config_errors(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"u_id": ["1"], "image": [None]}), tmp_path / "data" / "test.parquet")
    with pytest.raises(TaskConfigError, match="lacks column"):
        task_with().load(DataSource(data_dir=tmp_path), joshi_tier_map())
    with pytest.raises(TaskConfigError, match="does not exist"):
        task_with({"answers": str(tmp_path / "nope.json")})
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(TaskConfigError, match="must be a JSON object"):
        task_with({"answers": str(tmp_path / "list.json")}).load(
            DataSource(use_sample=True), joshi_tier_map()
        )
