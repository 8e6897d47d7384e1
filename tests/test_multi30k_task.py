"""Multi30K loading (official release layout, Hub schema, bundled sample), prompts, options and metrics."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tasks.multi30k.make_sample import LINES, generated_image
from tasks.multi30k.task import SAMPLE_DIR, Multi30kTask
from tests.translation_fixtures import (
    TEST_SETS,
    multi30k_sentences,
    real_lines,
    write_hub_fixture,
    write_official_fixture,
)
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, TextPart
from tv_eval.data.tiers import joshi_tier_map

PROMPT = "Translate the following source text from English to {language}:\n{source}"


def configured(**options: str) -> Multi30kTask:
    task = Multi30kTask()
    task.configure(options)
    return task


def test_bundled_sample_is_a_slice_of_the_real_sentences() -> None:
    for name, targets in TEST_SETS.items():
        for language in ["en", *targets]:
            sample_lines = (SAMPLE_DIR / f"{name}.{language}").read_text(encoding="utf-8").splitlines()
            assert len(sample_lines) == LINES
            assert [line.strip() for line in sample_lines] == real_lines(name, language, LINES)
        image_names = (SAMPLE_DIR / f"{name}.images.txt").read_text(encoding="utf-8").split()
        release_names = (multi30k_sentences() / f"{name}.images.txt").read_text(encoding="utf-8").split()
        assert image_names == release_names[:LINES]
        for image_name in image_names:
            assert (SAMPLE_DIR / "images" / image_name).read_bytes() == generated_image(image_name)


def test_official_layout_loads_every_test_set(tmp_path: Path) -> None:
    root = write_official_fixture(tmp_path / "m30k", lines=12)
    loaded = configured(test_sets="all").load(DataSource(data_dir=root), joshi_tier_map())
    assert len(loaded.samples) == 12 * sum(len(targets) for targets in TEST_SETS.values())
    assert loaded.dataset.source == f"local:{root}"
    by_id = {sample.sample_id: sample for sample in loaded.samples}
    for name, targets in TEST_SETS.items():
        english = real_lines(name, "en", 12)
        for language in targets:
            references = real_lines(name, language, 12)
            for line in range(12):
                sample = by_id[f"{name}:{line:05d}:{language}"]
                assert sample.text == english[line]
                assert sample.reference == references[line]
                assert sample.category == name
                assert sample.cluster_id == f"{name}:{line:05d}"
                assert sample.load_error is None
    czech = by_id["test_2018_flickr:00000:cs"]
    assert czech.tier == "4" and czech.script == "Latn"
    image_name = (root / "test_2018_flickr.images.txt").read_text().split()[0]
    assert czech.image is not None
    assert czech.image.sha256 == hashlib.sha256(generated_image(image_name)).hexdigest()


def test_official_layout_in_a_release_checkout(tmp_path: Path) -> None:
    """data/task1/raw/*.gz and data/task1/image_splits/*.txt, with images in an image_dir of their own."""
    flat = write_official_fixture(tmp_path / "flat", lines=5)
    checkout = tmp_path / "release"
    (checkout / "data" / "task1" / "raw").mkdir(parents=True)
    (checkout / "data" / "task1" / "image_splits").mkdir(parents=True)
    import gzip

    for language in ("en", "cs", "de", "fr"):
        text = (flat / f"test_2016_flickr.{language}").read_bytes()
        (checkout / "data" / "task1" / "raw" / f"test_2016_flickr.{language}.gz").write_bytes(
            gzip.compress(text)
        )
    (checkout / "data" / "task1" / "image_splits" / "test_2016_flickr.txt").write_bytes(
        (flat / "test_2016_flickr.images.txt").read_bytes()
    )
    loaded = configured(image_dir=str(flat / "images")).load(DataSource(data_dir=checkout), joshi_tier_map())
    assert len(loaded.samples) == 15
    assert all(sample.image is not None and sample.load_error is None for sample in loaded.samples)


def test_missing_image_fails_only_that_sample(tmp_path: Path) -> None:
    root = write_official_fixture(tmp_path / "m30k", lines=4)
    missing = (root / "test_2016_flickr.images.txt").read_text().split()[2]
    (root / "images" / missing).unlink()
    loaded = configured().load(DataSource(data_dir=root), joshi_tier_map())
    failed = [sample for sample in loaded.samples if sample.load_error]
    assert {sample.sample_id.split(":")[1] for sample in failed} == {"00002"}
    assert len(failed) == 3
    assert missing in (failed[0].load_error or "")


def test_misaligned_files_are_a_configuration_error(tmp_path: Path) -> None:
    root = write_official_fixture(tmp_path / "m30k", lines=4)
    (root / "test_2016_flickr.de").write_text("only one line\n", encoding="utf-8")
    with pytest.raises(TaskConfigError, match="not aligned"):
        configured().load(DataSource(data_dir=root), joshi_tier_map())


def test_hub_schema_loads_through_datasets(tmp_path: Path) -> None:
    root = write_hub_fixture(tmp_path / "hub", lines=7)
    loaded = configured().load(DataSource(data_dir=root), joshi_tier_map())
    assert loaded.dataset.dataset_id == "romrawinjp/multi30k"
    assert len(loaded.samples) == 21
    german = [sample for sample in loaded.samples if sample.language == "de"]
    assert [sample.reference for sample in german] == real_lines("test_2016_flickr", "de", 7)
    assert [sample.text for sample in german] == real_lines("test_2016_flickr", "en", 7)
    assert all(sample.image is not None for sample in loaded.samples)


def test_hub_data_has_only_the_2016_test_set(tmp_path: Path) -> None:
    root = write_hub_fixture(tmp_path / "hub", lines=2)
    with pytest.raises(TaskConfigError, match="holds only test_2016_flickr"):
        configured(test_sets="2017").load(DataSource(data_dir=root), joshi_tier_map())


@pytest.mark.parametrize(("language", "name"), [("de", "German"), ("fr", "French"), ("cs", "Czech")])
def test_prompt_is_the_papers_with_the_image_first(language: str, name: str) -> None:
    task = configured()
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    sample = next(s for s in loaded.samples if s.language == language)
    request = task.build_request(sample, "robust")
    image, text = request.messages[0].content
    assert isinstance(image, ImagePart) and image.image == sample.image
    assert isinstance(text, TextPart)
    assert text.text == PROMPT.format(language=name, source=sample.text)
    assert request.generation.max_new_tokens == 128
    assert request.generation.greedy


def test_prompt_template_option() -> None:
    task = configured(prompt="Image caption in English: {source}\nThe same in {target_language}:")
    loaded = task.load(DataSource(use_sample=True), joshi_tier_map())
    sample = next(s for s in loaded.samples if s.language == "fr")
    text = task.build_request(sample, "robust").messages[0].content[-1]
    assert isinstance(text, TextPart)
    assert text.text == f"Image caption in English: {sample.text}\nThe same in French:"
    assert task.prompts_hash() != configured().prompts_hash()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"test_set": "2016"}, "has no option 'test_set'; did you mean test_sets?"),
        ({"test_sets": "2019"}, "unknown Multi30K test set '2019'"),
        ({"metrics": "bleu,meteor"}, "unknown metric(s) meteor"),
        ({"prompt": "Translate: {text}"}, "must contain {source}"),
        ({"comet_batch_size": "0"}, "comet_batch_size must be a positive integer"),
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(TaskConfigError) as error:
        configured(**options)
    assert message in str(error.value)


def primary_of(task: Multi30kTask) -> str:
    return next(spec.name for spec in task.metric_specs("robust") if spec.primary)


def test_metric_defaults() -> None:
    """The paper's xCOMET-XL by default; the offline sample defaults to the lexical metrics. The choice
    follows the configuration (options and source) alone: loading data does not change it."""
    hub = configured()
    assert primary_of(hub) == "xcomet"
    assert [scorer.model for scorer in hub.batch_scorers("robust")] == ["Unbabel/XCOMET-XL"]
    assert [metric.name for metric in hub.corpus_metrics("robust")] == ["bleu", "chrf", "chrf++"]
    sample = Multi30kTask()
    sample.configure({}, DataSource(use_sample=True))
    assert sample.batch_scorers("robust") == []
    assert primary_of(sample) == "bleu"
    specs_before = sample.metric_specs("robust")
    sample.load(DataSource(use_sample=True), joshi_tier_map())
    assert sample.metric_specs("robust") == specs_before
    bleu = next(spec for spec in specs_before if spec.name == "bleu")
    assert (bleu.kind.value, bleu.scale.value) == ("corpus", "0-100")
    chosen = configured(metrics="chrf,comet", comet_model="/models/comet")
    assert [scorer.model for scorer in chosen.batch_scorers("robust")] == ["/models/comet"]
    assert primary_of(chosen) == "chrf"
    assert [spec.kind.value for spec in chosen.metric_specs("robust")] == ["corpus", "segment"]


def test_score_keeps_the_hypothesis_on_one_line() -> None:
    task = configured()
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    verdict = task.score(sample, "  Ein Mann\nmit  Hut.\n", "robust")
    assert verdict.extracted == "Ein Mann mit Hut."
    assert verdict.scores == {}
