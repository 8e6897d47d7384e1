from collections import Counter
from pathlib import Path

import pytest

from tasks.alm_bench.make_sample import build_rows, write_alm_bench_parquet
from tasks.alm_bench.task import AlmBenchTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, Sample, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map

TASK = AlmBenchTask()


@pytest.fixture(scope="module")
def sample_samples() -> list[Sample]:
    return TASK.load(DataSource(use_sample=True), joshi_tier_map()).samples


def test_every_listed_language_name_maps_to_a_known_tier() -> None:
    names = TASK.language_names
    assert len(set(names.values())) >= 100
    unknown = [name for name, code in names.items() if joshi_tier_map().tier_of(code) == "unknown"]
    assert unknown == []


def test_language_name_lookup() -> None:
    assert TASK.language_code("Chinese (Traditional)") == "zh-Hant"
    assert TASK.language_code("Emirati Arabic") == "ar-AE"
    assert TASK.language_code("Norwegian") == "no"
    assert TASK.language_code("Kinyarwanda") == "rw"
    assert TASK.language_code("Esperanto") == "eo"  # not in the table: langcodes' English names


def test_question_type_slugs() -> None:
    assert TASK.question_type_slug("Multiple Choice Questions") == "mcq"
    assert TASK.question_type_slug(" False Question") == "true_false"  # a value seen in the real data
    assert TASK.question_type_slug("Short Question") == "short"
    assert TASK.question_type_slug("Long Question") == "long"


def test_sample_covers_languages_tiers_scripts_and_types(sample_samples: list[Sample]) -> None:
    assert len({s.language for s in sample_samples}) >= 12
    assert {s.tier for s in sample_samples} == {"0", "1", "2", "3", "4", "5"}
    assert len({s.script for s in sample_samples}) >= 8
    assert set(Counter(s.question_type for s in sample_samples)) == {"mcq", "true_false", "short", "long"}
    images = Counter(s.cluster_id for s in sample_samples)
    assert max(images.values()) > 1  # questions share images
    assert all(s.load_error is None for s in sample_samples)


def _by_type(samples: list[Sample], question_type: str, language: str) -> Sample:
    return next(s for s in samples if s.question_type == question_type and s.language == language)


def test_prompts_follow_the_protocols(sample_samples: list[Sample]) -> None:
    mcq = _by_type(sample_samples, "mcq", "de")
    request = TASK.build_request(mcq, "robust")
    parts = request.messages[0].content
    assert isinstance(parts[0], ImagePart) and isinstance(parts[1], TextPart)
    assert parts[1].text == (
        "For the given Multiple Choice Question Answer below, analyze the question and answer strictly "
        "from one of the options below. Strictly answer the choice only. No additional text.\n"
        + mcq.text
        + "\n"
        + "\n".join(mcq.choices)
    )
    true_false = _by_type(sample_samples, "true_false", "sw")
    assert TASK.build_request(true_false, "robust").messages[0].content[1].text == (
        true_false.text
        + "\nThe above question is a True/False question. Please provide the answer as one word in "
        "Swahili"
    )
    long = _by_type(sample_samples, "long", "si")
    assert (
        TASK.build_request(long, "robust")
        .messages[0]
        .content[1]
        .text.endswith("\nAnswer the question in detail in Sinhala language.")
    )
    short = _by_type(sample_samples, "short", "ja")
    assert (
        TASK.build_request(short, "robust")
        .messages[0]
        .content[1]
        .text.endswith("\nPlease provide brief, clear responses in Japanese language.")
    )


RIGHT = {"accuracy": 1.0, "score": 1.0, "unparsed_reference": 0.0}
WRONG = {"accuracy": 0.0, "score": 0.0, "unparsed_reference": 0.0}


def test_paper_mode_is_strict(sample_samples: list[Sample]) -> None:
    mcq = _by_type(sample_samples, "mcq", "en")
    assert TASK.score(mcq, mcq.reference, "paper").scores == RIGHT
    assert TASK.score(mcq, f"  {mcq.reference}\n", "paper").scores == RIGHT
    assert TASK.score(mcq, mcq.reference + ".", "paper").scores == WRONG
    assert TASK.score(mcq, mcq.reference.upper(), "paper").scores == WRONG
    assert TASK.score(mcq, mcq.reference + ".", "robust").scores == {"accuracy": 1.0, "score": 1.0}
    letter = "ABCD"[mcq.choices.index(mcq.reference)]
    assert TASK.score(mcq, letter, "robust").scores == {"accuracy": 1.0, "score": 1.0}
    assert TASK.score(mcq, letter, "paper").scores == WRONG


def test_paper_mode_excludes_non_mcq(sample_samples: list[Sample]) -> None:
    true_false = _by_type(sample_samples, "true_false", "en")
    assert not TASK.needs_model(true_false, "paper")
    assert TASK.score(true_false, "True", "paper").status is SampleStatus.EXCLUDED


def test_true_false_robust(sample_samples: list[Sample]) -> None:
    for sample in (s for s in sample_samples if s.question_type == "true_false"):
        is_true = sample.metadata["english_answer"] == "True"
        assert TASK.score(sample, sample.reference, "robust").scores == {"accuracy": 1.0, "score": 1.0}, (
            sample
        )
        assert TASK.score(sample, "Yes." if is_true else "No", "robust").scores == {
            "accuracy": 1.0,
            "score": 1.0,
        }
        assert TASK.score(sample, "No" if is_true else "Yes", "robust").scores == {
            "accuracy": 0.0,
            "score": 0.0,
        }
        assert TASK.score(sample, "???", "robust").extracted is None


def test_open_questions_need_the_judge(sample_samples: list[Sample]) -> None:
    long = _by_type(sample_samples, "long", "en")
    assert TASK.score(long, "A long answer.", "robust").status is SampleStatus.NEEDS_JUDGE


def test_local_folder_in_the_real_schema(tmp_path: Path) -> None:
    rows = build_rows()[:7]
    rows[1] = {**rows[1], "Language": "Notalanguage"}
    rows[2] = {
        **rows[2],
        "Translated_Answer": "no options here",
        "Question_Type": "Multiple Choice Questions",
    }
    write_alm_bench_parquet(rows, tmp_path / "data" / "test-00000-of-00001.parquet")
    loaded = TASK.load(DataSource(data_dir=tmp_path), joshi_tier_map())
    assert loaded.dataset.source.startswith("local:")
    assert loaded.dataset.num_rows == 7
    errors = [TASK.sample_error(s, "robust") for s in loaded.samples]
    assert errors[1] == "unknown language name 'Notalanguage'"
    assert loaded.samples[1].tier == "unknown"
    assert errors[2] == "multiple-choice answer has no '(Options: ...)' list"
    assert errors.count(None) == 5
    # The paper protocol scores that item (0, as the fork's regex cannot read it); bad data still fails.
    assert TASK.sample_error(loaded.samples[2], "paper") is None
    assert TASK.sample_error(loaded.samples[1], "paper") == errors[1]


def test_missing_column_is_a_config_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "broken"
    folder.mkdir()
    pq.write_table(pa.table({"ID": ["1"], "Lang": ["English"]}), folder / "test-00000-of-00001.parquet")
    with pytest.raises(TaskConfigError, match="lacks column"):
        TASK.load(DataSource(data_dir=folder), joshi_tier_map())


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(TaskConfigError, match="does not exist"):
        TASK.load(DataSource(data_dir=tmp_path / "nope"), joshi_tier_map())


def test_robust_reads_the_choice_in_the_samples_language(sample_samples: list[Sample]) -> None:
    mcq = _by_type(sample_samples, "mcq", "de")
    negated = next(choice for choice in mcq.choices if choice != mcq.reference)
    # German negation applies because the sample is German: a lone negated option is no answer.
    assert TASK.score(mcq, f"Nicht {negated}.", "robust").extracted is None
    assert TASK.score(mcq, f"Nicht {negated}, sondern {mcq.reference}.", "robust").scores["accuracy"] == 1.0
