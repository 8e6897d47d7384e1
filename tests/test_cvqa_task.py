"""CVQA on fixtures in its real public schema (the Hub's twelve columns, `Label` -1), loaded through the
same `datasets` path as the Hub: (language, country) from `Subset`, labels from a file or a labelled
copy, the fork's prompt in both column sets, and the leaderboard's `ID,index` file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.cvqa.make_sample import build_rows, labelled, labels_csv, write_cvqa_parquet
from tasks.cvqa.task import CvqaTask, read_labels
from tv_eval.core.task import DataSource, SubmissionFile, TaskConfigError
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.records import score_sample

PUBLIC_COLUMNS = [
    "image",
    "ID",
    "Subset",
    "Question",
    "Translated Question",
    "Options",
    "Translated Options",
    "Label",
    "Category",
    "Image Type",
    "Image Source",
    "License",
]


def task_with(options: dict[str, str] | None = None) -> CvqaTask:
    task = CvqaTask()
    task.configure(options or {})
    return task


def write_local(folder: Path, rows: list[dict]) -> Path:
    write_cvqa_parquet(rows, folder / "data" / "test-00000-of-00001.parquet")
    return folder


def load(task: CvqaTask, folder: Path) -> list:
    return task.load(DataSource(data_dir=folder), joshi_tier_map()).samples


def test_bundled_sample_is_the_public_schema_with_its_labels_file() -> None:
    import pyarrow.parquet as pq

    task = task_with()
    (parquet,) = task.sample_dir.glob("*.parquet")
    assert pq.read_schema(parquet).names == PUBLIC_COLUMNS
    assert set(pq.read_table(parquet).column("Label").to_pylist()) == {-1}
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    assert loaded.dataset.dataset_id == "afaji/cvqa" and loaded.dataset.num_rows == 16
    samples = loaded.samples
    assert all(sample.load_error is None for sample in samples)
    # (language, country) -> BCP-47 and Joshi class, by hand: ja 5, es 5, sw 2, am 2, id 3, jv 1, ga 2.
    seen = {(s.language, s.country, s.tier) for s in samples}
    assert seen == {
        ("ja", "Japan", "5"),
        ("es", "Mexico", "5"),
        ("es", "Spain", "5"),
        ("sw", "Kenya", "2"),
        ("am", "Ethiopia", "2"),
        ("id", "Indonesia", "3"),
        ("jv", "Indonesia", "1"),
        ("ga", "Ireland", "2"),
    }
    expected = {row["ID"]: row["label"] for row in build_rows()}
    assert {s.sample_id: s.metadata["label"] for s in samples} == expected
    assert all(s.reference == s.choices[expected[s.sample_id]] for s in samples)


def test_public_rows_need_a_reference_and_keep_the_chosen_option(tmp_path: Path) -> None:
    task = task_with()
    samples = load(task, write_local(tmp_path, build_rows()[:2]))
    assert [s.metadata["label"] for s in samples] == [-1, -1] and samples[0].reference == ""
    verdict = task.score(samples[0], "C", "robust")
    assert verdict.status is SampleStatus.NEEDS_REFERENCE and verdict.scores == {}
    assert verdict.details == {"choice": 2} and verdict.extracted == samples[0].choices[2]


def test_labels_file_scores_accuracy_and_joins_the_fingerprint(tmp_path: Path) -> None:
    rows = build_rows()
    folder = write_local(tmp_path / "public", rows)
    labels = tmp_path / "labels.csv"
    labels.write_text("ID,label\n" + labels_csv(rows[:3]), encoding="utf-8")
    public = task_with().load(DataSource(data_dir=folder), joshi_tier_map())
    task = task_with({"labels": str(labels)})
    loaded = task.load(DataSource(data_dir=folder), joshi_tier_map())
    assert loaded.dataset.fingerprint != public.dataset.fingerprint
    by_id = {s.sample_id: s for s in loaded.samples}
    first = by_id[rows[0]["ID"]]
    right = "ABCD"[rows[0]["label"]]
    wrong = "ABCD"[(rows[0]["label"] + 1) % 4]
    assert task.score(first, right, "robust").scores == {"accuracy": 1.0}
    assert task.score(first, wrong, "robust").scores == {"accuracy": 0.0}
    assert task.score(first, "no idea", "robust").scores == {"accuracy": 0.0}
    # Rows the file does not list keep the data's -1.
    assert task.score(by_id[rows[3]["ID"]], right, "robust").status is SampleStatus.NEEDS_REFERENCE


def test_a_labelled_copy_is_scored_from_its_own_label_column(tmp_path: Path) -> None:
    rows = labelled(build_rows())
    task = task_with()
    samples = load(task, write_local(tmp_path, rows))
    answers = {row["ID"]: "ABCD"[row["label"]] for row in rows}
    # Right for the first eight questions, the next option for the others: accuracy 8 / 16.
    verdicts = [
        task.score(s, answers[s.sample_id] if n < 8 else "ABCD"[(s.metadata["label"] + 1) % 4], "robust")
        for n, s in enumerate(samples)
    ]
    assert [v.scores["accuracy"] for v in verdicts] == [1.0] * 8 + [0.0] * 8


def test_prompt_is_the_forks_in_both_column_sets(tmp_path: Path) -> None:
    rows = build_rows()[:1]
    folder = write_local(tmp_path, rows)
    (default,) = load(task_with(), folder)
    options = rows[0]["Options"]
    lettered = f"A. {options[0]}\nB. {options[1]}\nC. {options[2]}\nD. {options[3]}"
    assert task_with().prompt(default, "robust") == (
        f"Question: What colour is the shape in this picture? \n\n Options: {lettered} \n\n "
        "Answer with the option's letter from the given choices directly."
    )
    translated_task = task_with({"prompt": "translated"})
    (translated,) = load(translated_task, folder)
    prompt = translated_task.prompt(translated, "robust")
    assert prompt.startswith(f"Question: {rows[0]['Translated Question']} \n\n Options: A. ")
    assert translated.choices == tuple(rows[0]["Translated Options"])
    assert translated_task.build_request(translated, "robust").generation.max_new_tokens == 16


def test_unreadable_subset_and_bad_label_fail_their_rows_only(tmp_path: Path) -> None:
    rows = build_rows()[:3]
    rows[0] = {**rows[0], "Subset": "Japanese, Japan"}
    rows[1] = {**rows[1], "Subset": "('Zzyzxian', 'Nowhere')"}
    rows[2] = {**rows[2], "Label": 7}
    samples = load(task_with(), write_local(tmp_path, rows))
    assert [s.language for s in samples] == ["und", "und", "es"]
    assert samples[0].load_error.startswith("Subset 'Japanese, Japan' is not a (language, country) pair")
    assert samples[1].load_error == "unknown language name 'Zzyzxian'"
    assert samples[2].load_error == "label 7 is not an option index (0-3)"


def test_submission_lists_every_question_with_its_option_index(tmp_path: Path) -> None:
    task = task_with()
    samples = load(task, write_local(tmp_path, build_rows()[:3]))
    predictions = ["B", "I cannot tell", None]
    records: list[ScoredSample] = [
        score_sample(task, sample, "robust", prediction=prediction, response_error=None, prompt="p")
        for sample, prediction in zip(samples, predictions, strict=True)
    ]
    submission = task.submission(records, "robust")
    assert isinstance(submission, SubmissionFile) and submission.extension == "csv"
    ids = [s.sample_id for s in samples]
    assert submission.text == f"{ids[0]},1\n{ids[1]},-1\n{ids[2]},-1\n"


def test_labels_file_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("a,1\nb,x\n", encoding="utf-8")
    with pytest.raises(TaskConfigError, match="line 2 is not `ID,label`"):
        read_labels(bad)
    with pytest.raises(TaskConfigError, match="does not exist"):
        task_with({"labels": str(tmp_path / "missing.csv")})
    with pytest.raises(TaskConfigError, match="prompt must be one of"):
        task_with({"prompt": "english"})
