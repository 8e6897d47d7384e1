"""CoMMuTE: real-schema loading, both rules against vectors recorded from the reference code, and the
adapter's values against the references' own computations.

tests/data/commute/reference_vectors.json was recorded outside the repository by running the
reference code itself: the TowerVision fork's `lmms_eval/tasks/commute/utils.py` (deep-spin/lmms-eval,
branch multiling_multimodal_tasks_add; `commute_doc_to_text` with each language YAML's pre_prompt,
`commute_process_docs`, `commute_aggregate_results`) and CoMMuTE's `evaluate.py` (MatthieuFP/CoMMuTE,
v3) run as a program on one-line perplexity files. `accuracy` is what the reference returned.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from model_adapters.tiny_random import TinyRandomAdapter
from tasks.commute.task import CommuteTask
from tests.test_transformers_adapter import adapter, batch_size, direct_loglikelihood, tiny_cache  # noqa: F401
from tests.translation_fixtures import COMMUTE_ITEMS, write_commute_fixture
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ContinuationMeasure, ImagePart, Request, Sample, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "commute" / "reference_vectors.json").read_text(encoding="utf-8")
)
PAPER, OFFICIAL = "paper", "official"


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_commute_fixture(tmp_path_factory.mktemp("commute"), ["de", "fr", "zh"])


def vector_sample(language: str = "de", source: str = "s", choices: tuple[str, str] = ("a", "b")) -> Sample:
    return Sample(
        sample_id="v", task="commute", language=language, reference=choices[0], text=source, choices=choices
    )


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_default_set_is_the_original_release_and_spanish_only_on_request() -> None:
    loaded = CommuteTask().load(DataSource(use_sample=True), joshi_tier_map())
    assert sorted({sample.language for sample in loaded.samples}) == ["ar", "cs", "de", "fr", "ru", "zh"]
    assert loaded.dataset.split == "ar,cs,de,fr,ru,zh"
    assert all(sample.image is not None and sample.load_error is None for sample in loaded.samples)
    task = CommuteTask()
    task.configure({"splits": "de,es"})
    assert [s.language for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples] == [
        "de"
    ] * 2 + ["es"] * 2
    with pytest.raises(TaskConfigError, match="has no split xx"):
        CommuteTask().configure({"splits": "de,xx"})


def test_default_mode_is_the_original_rule() -> None:
    task = CommuteTask()
    assert task.scoring_mode(None) == OFFICIAL
    assert task.scoring_modes == (OFFICIAL, PAPER)
    with pytest.raises(TaskConfigError, match="no scoring mode 'robust'"):
        task.scoring_mode("robust")


def test_fixture_loads_with_shared_clusters(fixture_dir: Path) -> None:
    loaded = CommuteTask().load(DataSource(data_dir=fixture_dir), joshi_tier_map())
    german = [sample for sample in loaded.samples if sample.language == "de"]
    assert len(german) == 4
    first, second = german[0], german[1]
    assert first.text == second.text == COMMUTE_ITEMS["de"][0][0]
    assert first.choices == (COMMUTE_ITEMS["de"][0][1], COMMUTE_ITEMS["de"][0][2])
    assert second.choices == (COMMUTE_ITEMS["de"][0][2], COMMUTE_ITEMS["de"][0][1])
    french = next(sample for sample in loaded.samples if sample.language == "fr")
    assert first.cluster_id == second.cluster_id == french.cluster_id
    assert first.metadata["image_name"] == "item0_1.jpg"


def test_official_requests_score_each_translation_after_the_same_prompt() -> None:
    task = CommuteTask()
    sample = next(
        s for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples if s.language == "de"
    )
    correct, incorrect = task.loglikelihood_requests(sample, OFFICIAL)
    assert correct.messages == incorrect.messages
    image, text = correct.messages[0].content
    assert isinstance(image, ImagePart) and isinstance(text, TextPart)
    assert text.text == f"Translate the following source text from English to German:\n{sample.text}"
    assert (correct.continuation, incorrect.continuation) == sample.choices
    assert correct.measure is incorrect.measure is ContinuationMeasure.MEAN
    assert correct.request_id.endswith("#correct") and incorrect.request_id.endswith("#incorrect")


@pytest.mark.parametrize("vector", VECTORS["default"], ids=lambda v: f"{v['accuracy']}")
def test_official_verdict_equals_commute_evaluate_py(vector: dict[str, Any]) -> None:
    """The values are mean token log-probabilities (what the MEAN measure returns); evaluate.py saw
    exp(-mean) and answered `accuracy`. Ties are wrong and flagged."""
    task = CommuteTask()
    values = [mean(vector["token_logprobs_correct"]), mean(vector["token_logprobs_incorrect"])]
    verdict = task.score_loglikelihoods(vector_sample(), values, OFFICIAL)
    assert verdict.status is SampleStatus.SCORED
    assert verdict.scores["accuracy"] == vector["accuracy"]
    assert verdict.details["perplexity_correct"] == vector["perplexity_correct"]
    assert verdict.details["perplexity_incorrect"] == vector["perplexity_incorrect"]
    tie = vector["perplexity_correct"] == vector["perplexity_incorrect"]
    assert verdict.scores["tie"] == float(tie) and verdict.details["tie"] is tie


def test_official_vectors_cover_ties_and_length_normalisation() -> None:
    """The recorded set holds ties and items where summed log-likelihood and perplexity disagree."""
    ties = [v for v in VECTORS["default"] if v["perplexity_correct"] == v["perplexity_incorrect"]]
    by_sum = [
        v
        for v in VECTORS["default"]
        if float(sum(v["token_logprobs_correct"]) > sum(v["token_logprobs_incorrect"])) != v["accuracy"]
    ]
    assert len(VECTORS["default"]) >= 20 and len(ties) >= 3 and len(by_sum) >= 3


@pytest.mark.parametrize("vector", VECTORS["paper"]["contexts"], ids=lambda v: v["language"])
def test_paper_user_turn_equals_the_forks_doc_to_text(vector: dict[str, Any]) -> None:
    task = CommuteTask()
    sample = vector_sample(vector["language"], vector["source"], (vector["translation"], "other"))
    request = task.loglikelihood_requests(sample, PAPER)[0]
    image_free = [part for part in request.messages[0].content if isinstance(part, TextPart)]
    assert [part.text for part in image_free] == [vector["context"]]
    assert request.continuation == "answer"
    assert request.measure is ContinuationMeasure.LLAVA_HF_TURN_MEAN


def test_paper_pairs_each_items_two_translations_as_the_fork_does() -> None:
    """The fork scores all correct outputs, then all incorrect ones, and pairs them by position."""
    order = VECTORS["paper"]["document_order"]
    half = len(order) // 2
    assert [(order[k], order[k + half]) for k in range(half)] == [(f"c{k}", f"i{k}") for k in range(half)]
    task = CommuteTask()
    sample = vector_sample(choices=("c0", "i0"))
    correct, incorrect = task.loglikelihood_requests(sample, PAPER)
    assert correct.messages[0].text.endswith("c0") and incorrect.messages[0].text.endswith("i0")


@pytest.mark.parametrize("vector", VECTORS["paper"]["losses"], ids=lambda v: f"{v['accuracy']}")
def test_paper_verdict_equals_the_forks_aggregate(vector: dict[str, Any]) -> None:
    """The measure returns minus llava_hf's loss; the fork's aggregate answered `accuracy` on the loss."""
    task = CommuteTask()
    values = [-vector["loss_correct"], -vector["loss_incorrect"]]
    verdict = task.score_loglikelihoods(vector_sample(), values, PAPER)
    assert verdict.scores["accuracy"] == vector["accuracy"]
    assert verdict.details["loss_correct"] == vector["loss_correct"]
    assert verdict.scores["tie"] == float(vector["loss_correct"] == vector["loss_incorrect"])


@pytest.mark.parametrize("vector", VECTORS["paper"]["token_losses"], ids=lambda v: f"{v['accuracy']}")
def test_paper_verdict_from_token_log_probabilities(vector: dict[str, Any]) -> None:
    task = CommuteTask()
    values = [mean(vector["token_logprobs_correct"]), mean(vector["token_logprobs_incorrect"])]
    assert task.score_loglikelihoods(vector_sample(), values, PAPER).scores["accuracy"] == vector["accuracy"]


def test_prompt_option_and_unknown_options() -> None:
    task = CommuteTask()
    task.configure({"prompt": "{source} -> {target_language}:"})
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    text = task.loglikelihood_requests(sample, OFFICIAL)[0].messages[0].content[-1]
    assert isinstance(text, TextPart) and text.text == f"{sample.text} -> Arabic:"
    with pytest.raises(TaskConfigError, match="has no option 'metrics'"):
        CommuteTask().configure({"metrics": "bleu"})


def llava_hf_loss(model: TinyRandomAdapter, request: Request) -> float:
    """lmms-eval's llava_hf.loglikelihood steps through the HF API, the model's own loss included. The
    prompt's length comes from the tokenizer: the processor the fork ran passed image-free text to it
    (transformers 5's processor refuses `<image>` without images)."""
    tokenizer = model.processor.tokenizer
    context = " ".join(["<image>"] * len(request.images)) + "\n" + request.messages[0].text
    messages = [{"role": "user", "content": context}, {"role": "assistant", "content": request.continuation}]
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    images = [Image.open(io.BytesIO(image.data)).convert("RGB") for image in request.images]
    inputs = model.processor(text=[full], images=images, return_tensors="pt")
    labels = inputs["input_ids"].clone()
    labels[:, : len(tokenizer(prompt)["input_ids"])] = -100
    with torch.no_grad():
        return float(model.model(**inputs, labels=labels).loss)


def test_paper_values_equal_the_llava_hf_loss(
    adapter: TinyRandomAdapter,  # noqa: F811 - the adapter test module's session fixture
    batch_size: None,  # noqa: F811
    fixture_dir: Path,
) -> None:
    task = CommuteTask()
    samples = [
        s for s in task.load(DataSource(data_dir=fixture_dir), joshi_tier_map()).samples if s.language != "ar"
    ]
    requests = [request for sample in samples for request in task.loglikelihood_requests(sample, PAPER)]
    adapter.batch_size = 4
    values = adapter.loglikelihood(requests)
    for request, value in zip(requests, values, strict=True):
        assert -value == pytest.approx(llava_hf_loss(adapter, request), abs=1e-5)
    # The span starts inside the expanded image tokens, so the translation moves the value.
    assert len({round(value, 6) for value in values}) > len(values) // 2


def test_official_values_are_mean_token_log_probabilities(
    adapter: TinyRandomAdapter,  # noqa: F811
    batch_size: None,  # noqa: F811
    fixture_dir: Path,
) -> None:
    task = CommuteTask()
    samples = [
        s
        for s in task.load(DataSource(data_dir=fixture_dir), joshi_tier_map()).samples
        if s.language in ("de", "zh")
    ]
    requests = [request for sample in samples for request in task.loglikelihood_requests(sample, OFFICIAL)]
    tokenizer = adapter.processor.tokenizer
    adapter.batch_size = 8
    batched = adapter.loglikelihood(requests)
    adapter.batch_size = 1
    single = adapter.loglikelihood(requests)
    for request, value, alone in zip(requests, batched, single, strict=True):
        tokens = len(tokenizer(request.continuation, add_special_tokens=False)["input_ids"])
        assert not math.isnan(value) and value < 0
        assert value == pytest.approx(direct_loglikelihood(adapter, request) / tokens, abs=1e-5)
        assert value == pytest.approx(alone, abs=1e-5)
