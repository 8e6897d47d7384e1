"""CoMMuTE: real-schema loading, contrastive requests, the verdict, and log-likelihoods on the task path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from model_adapters.tiny_random import TinyRandomAdapter
from tasks.commute.task import CommuteTask
from tests.test_transformers_adapter import adapter, batch_size, direct_loglikelihood, tiny_cache  # noqa: F401
from tests.translation_fixtures import COMMUTE_ITEMS, write_commute_fixture
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_commute_fixture(tmp_path_factory.mktemp("commute"), ["de", "fr", "zh"])


def test_bundled_sample_has_every_split_in_the_real_schema() -> None:
    loaded = CommuteTask().load(DataSource(use_sample=True), joshi_tier_map())
    assert sorted({sample.language for sample in loaded.samples}) == [
        "ar",
        "cs",
        "de",
        "es",
        "fr",
        "ru",
        "zh",
    ]
    assert len(loaded.samples) == 14
    assert loaded.dataset.split == "ar,cs,de,es,fr,ru,zh"
    assert all(sample.image is not None and sample.load_error is None for sample in loaded.samples)


def test_fixture_loads_with_shared_clusters(fixture_dir: Path) -> None:
    loaded = CommuteTask().load(DataSource(data_dir=fixture_dir), joshi_tier_map())
    german = [sample for sample in loaded.samples if sample.language == "de"]
    assert len(german) == 4
    first, second = german[0], german[1]
    assert first.text == second.text == COMMUTE_ITEMS["de"][0][0]
    assert first.choices == (COMMUTE_ITEMS["de"][0][1], COMMUTE_ITEMS["de"][0][2])
    assert second.choices == (COMMUTE_ITEMS["de"][0][2], COMMUTE_ITEMS["de"][0][1])
    assert first.reference == first.choices[0]
    french = next(sample for sample in loaded.samples if sample.language == "fr")
    assert first.cluster_id == second.cluster_id == french.cluster_id
    assert first.image != second.image
    assert first.metadata["image_name"] == "item0_1.jpg"


def test_requests_share_the_prompt_and_differ_in_continuation() -> None:
    task = CommuteTask()
    sample = next(
        s for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples if s.language == "de"
    )
    correct, incorrect = task.loglikelihood_requests(sample, "robust")
    assert correct.messages == incorrect.messages
    image, text = correct.messages[0].content
    assert isinstance(image, ImagePart) and isinstance(text, TextPart)
    assert text.text == f"Translate the following source text from English to German:\n{sample.text}"
    assert (correct.continuation, incorrect.continuation) == sample.choices
    assert correct.request_id.endswith("#correct") and incorrect.request_id.endswith("#incorrect")


def test_correct_only_when_strictly_more_likely() -> None:
    task = CommuteTask()
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    assert task.score_loglikelihoods(sample, [-3.0, -5.0], "robust").scores == {"accuracy": 1.0}
    tie = task.score_loglikelihoods(sample, [-4.0, -4.0], "robust")
    assert tie.scores == {"accuracy": 0.0}
    assert tie.extracted == sample.choices[1]
    worse = task.score_loglikelihoods(sample, [-6.0, -5.0], "robust")
    assert worse.status is SampleStatus.SCORED
    assert worse.details == {"loglikelihood_correct": -6.0, "loglikelihood_incorrect": -5.0}


def test_prompt_option_and_unknown_options() -> None:
    task = CommuteTask()
    task.configure({"prompt": "{source} -> {target_language}:"})
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    text = task.loglikelihood_requests(sample, "robust")[0].messages[0].content[-1]
    assert isinstance(text, TextPart) and text.text == f"{sample.text} -> Arabic:"
    with pytest.raises(TaskConfigError, match="has no option 'metrics'"):
        CommuteTask().configure({"metrics": "bleu"})


def test_task_loglikelihoods_equal_a_direct_forward_pass_and_ignore_batching(
    adapter: TinyRandomAdapter,  # noqa: F811 - the adapter test module's session fixture
    batch_size: None,  # noqa: F811
    fixture_dir: Path,
) -> None:
    task = CommuteTask()
    samples = [
        s
        for s in task.load(DataSource(data_dir=fixture_dir), joshi_tier_map()).samples
        if s.language in ("de", "zh")
    ]
    requests = [request for sample in samples for request in task.loglikelihood_requests(sample, "robust")]
    adapter.batch_size = 8
    batched = adapter.loglikelihood(requests)
    adapter.batch_size = 1
    single = adapter.loglikelihood(requests)
    for request, value, alone in zip(requests, batched, single, strict=True):
        assert not math.isnan(value) and value < 0
        assert value == pytest.approx(direct_loglikelihood(adapter, request), abs=1e-4)
        assert value == pytest.approx(alone, abs=1e-4)
