"""ViMUL-Bench on fixtures in its layout: vimulmcq_/vimuloe_<language> configs and a videos/ folder."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from tasks.vimul_bench.make_sample import build_rows, write_clips, write_vimul_folder
from tasks.vimul_bench.task import VimulBenchTask
from tv_eval.core.task import DataSource
from tv_eval.core.types import SampleStatus, TextPart, VideoPart
from tv_eval.data.tiers import joshi_tier_map

LANGUAGES = {"ar", "bn", "zh", "en", "fr", "de", "hi", "ja", "ru", "si", "es", "sv", "ta", "ur"}


def fresh_task(frames: int | None = None) -> VimulBenchTask:
    task = VimulBenchTask()
    task.configure({"video_frames": frames} if frames else {})
    return task


def test_bundled_sample_covers_14_languages_and_three_question_types() -> None:
    loaded = fresh_task().load(DataSource(use_sample=True), joshi_tier_map())
    samples = loaded.samples
    assert {s.language for s in samples} == LANGUAGES
    assert Counter(s.question_type for s in samples) == {"mcq": 14, "short": 14, "long": 14}
    assert loaded.dataset.num_rows == 42 and loaded.dataset.dataset_id == "MBZUAI/ViMUL-Bench"
    assert all(s.load_error is None and s.video is not None for s in samples)
    assert len({s.cluster_id for s in samples}) == 3  # questions share the three clips


def test_frame_count_from_options_else_default() -> None:
    sample = next(s for s in fresh_task().load(DataSource(use_sample=True), joshi_tier_map()).samples)
    default = fresh_task().build_request(sample, "robust")
    chosen = fresh_task(5).build_request(sample, "robust")
    video = default.messages[0].content[0]
    assert isinstance(video, VideoPart) and video.num_frames == 16
    assert chosen.videos[0].num_frames == 5


def test_mcq_prompt_and_extraction() -> None:
    task = fresh_task()
    mcq = next(
        s
        for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples
        if s.language == "en" and s.question_type == "mcq"
    )
    text = task.build_request(mcq, "robust").messages[0].content[1]
    assert isinstance(text, TextPart)
    letters = "ABCD"
    assert text.text == (
        mcq.text
        + "\n"
        + "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(mcq.choices))
        + "\nAnswer with the option's letter from the given choices directly."
    )
    right = letters.index(mcq.reference)
    assert task.score(mcq, letters[right], "robust").scores == {"accuracy": 1.0}
    assert task.score(mcq, f"The answer is {mcq.choices[right]}.", "robust").scores == {"accuracy": 1.0}
    assert task.score(mcq, letters[(right + 1) % 4], "robust").scores == {"accuracy": 0.0}
    assert task.score(mcq, "no idea", "robust").extracted is None
    open_ended = next(
        s
        for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples
        if s.question_type == "short"
    )
    assert task.score(open_ended, "red", "robust").status is SampleStatus.NEEDS_JUDGE
    assert task.judge_prompt(mcq, "A", "robust") is None
    judge = task.judge_prompt(open_ended, " red ", "robust")
    assert (
        judge is not None and f"Correct Answer: {open_ended.reference}\nPredicted Answer: red\n" in judge.user
    )


def test_local_fixture_with_broken_rows(tmp_path: Path) -> None:
    names = write_clips(tmp_path)
    configs = build_rows(names)
    configs["english"]["mcq"].append({**configs["english"]["mcq"][0], "id": "bad_answer", "answer": "Z"})
    configs["english"]["oe"].append(
        {**configs["english"]["oe"][0], "id": "no_video", "video_name": "absent.mp4"}
    )
    configs["english"]["oe"].append(
        {**configs["english"]["oe"][0], "id": "escape", "video_name": "../../etc/passwd"}
    )
    write_vimul_folder(tmp_path, configs)
    samples = fresh_task().load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples
    errors = {s.sample_id.split("/")[1].split("#")[0]: s.load_error for s in samples if s.load_error}
    assert errors == {
        "bad_answer": "multiple-choice answer 'Z' is neither an option nor an option letter",
        "no_video": "video: file 'videos/absent.mp4' not found",
        "escape": "video: file path 'videos/../../etc/passwd' escapes the dataset folder",
    }


def test_a_missing_language_config_is_a_config_error(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent.parent / "tasks" / "vimul_bench" / "sample", tmp_path / "data")
    readme = tmp_path / "data" / "README.md"
    readme.write_text(readme.read_text().replace("vimuloe_urdu", "vimuloe_urdu_renamed"))
    from tv_eval.core.task import TaskConfigError

    with pytest.raises(TaskConfigError, match="config 'vimuloe_urdu'"):
        fresh_task().load(DataSource(data_dir=tmp_path / "data"), joshi_tier_map())


def _write_configs(directory: Path, configs: dict[str, dict[str, list[dict]]]) -> None:
    """Like write_vimul_folder, with whatever columns the rows have (features inferred)."""
    from datasets import Dataset

    lines = ["---", "configs:"]
    for language, kinds in configs.items():
        for kind, rows in kinds.items():
            relative = f"test/{language}/{language}_{kind}.parquet"
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(rows).to_parquet(str(directory / relative))
            lines += [
                f"- config_name: vimul{kind}_{language}",
                "  data_files:",
                "  - split: test",
                f"    path: {relative}",
            ]
    (directory / "README.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")


def _relabelled(row: dict, renames: dict[str, str]) -> dict:
    return {renames.get(key, key): value for key, value in row.items()}


def _canonical(directory: Path) -> list[tuple]:
    names = write_clips(directory)
    write_vimul_folder(directory, build_rows(names))
    return _summary(directory)


def _summary(directory: Path) -> list[tuple]:
    samples = fresh_task().load(DataSource(data_dir=directory), joshi_tier_map()).samples
    return [
        (
            s.language,
            s.question_type,
            s.text,
            s.reference,
            s.choices,
            s.category,
            s.video and s.video.sha256,
            s.load_error,
        )
        for s in samples
    ]


def test_plausible_other_layouts_load_the_same_samples(tmp_path: Path) -> None:
    expected = _canonical(tmp_path / "canonical")
    names = write_clips(tmp_path / "other")
    configs = build_rows(names)
    for kinds in configs.values():
        kinds["mcq"] = [
            {
                **_relabelled(
                    row, {"id": "ID", "video_name": "video", "question": "Question", "category": "Category"}
                ),
                "video": f"videos/{row['video_name']}",
                "options": "\n".join(
                    f"{letter}. {option}" for letter, option in zip("ABCD", row["options"], strict=True)
                ),
                "answer": f"{row['answer']}. {row['options']['ABCD'.index(row['answer'])]}",
            }
            for row in kinds["mcq"]
        ]
        kinds["oe"] = [
            _relabelled(row, {"id": "question_id", "video_name": "video_path", "question_type": "type"})
            for row in kinds["oe"]
        ]
    _write_configs(tmp_path / "other", configs)
    assert _summary(tmp_path / "other") == expected


def test_options_as_letter_columns(tmp_path: Path) -> None:
    names = write_clips(tmp_path)
    configs = build_rows(names)
    for kinds in configs.values():
        kinds["mcq"] = [
            {
                **{k: v for k, v in row.items() if k != "options"},
                **dict(zip("ABCD", row["options"], strict=True)),
            }
            for row in kinds["mcq"]
        ]
    _write_configs(tmp_path, configs)
    samples = fresh_task().load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples
    mcq = [s for s in samples if s.question_type == "mcq"]
    assert len(mcq) == 14 and all(len(s.choices) == 4 and s.load_error is None for s in mcq)


def test_a_missing_role_names_the_columns_found(tmp_path: Path) -> None:
    from tv_eval.core.task import TaskConfigError

    names = write_clips(tmp_path)
    configs = build_rows(names)
    for kinds in configs.values():
        kinds["mcq"] = [_relabelled(row, {"video_name": "clip_ref"}) for row in kinds["mcq"]]
    _write_configs(tmp_path, configs)
    with pytest.raises(TaskConfigError) as raised:
        fresh_task().load(DataSource(data_dir=tmp_path), joshi_tier_map())
    message = str(raised.value)
    assert "config 'vimulmcq_arabic' has no column for 'video' (tried video_name, video," in message
    assert message.endswith("columns found: id, clip_ref, question, options, answer, category")
