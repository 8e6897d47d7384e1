"""The transformers adapter's shortcuts: prompt lengths without image preprocessing, the next batch
preprocessed during generation, and reruns that never import torch. Each must leave outputs unchanged."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model_adapters.transformers_config import cpu_threads, resolve_device
from model_adapters.transformers_prefetch import Prefetcher
from model_adapters.transformers_tokens import PromptCounter
from tests.conftest import TINY_ALM_RUN, run_cli
from tests.test_transformers_adapter import adapter, mixed_requests, tiny_cache
from tv_eval.core import devices
from tv_eval.core.adapter import ModelLoadError

__all__ = ["adapter", "tiny_cache"]  # session fixtures shared with test_transformers_adapter


class _MiscountingProcessor:
    """The real processor, but claiming one image token more per image than it makes."""

    def __init__(self, processor: Any) -> None:
        self._processor = processor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._processor, name)

    def _get_num_multimodal_tokens(self, image_sizes: list[tuple[int, int]]) -> Any:
        data = self._processor._get_num_multimodal_tokens(image_sizes=image_sizes)
        data.num_image_tokens = [count + 1 for count in data.num_image_tokens]
        return data


def _prepared_items(adapter: Any) -> list[Any]:
    return [adapter._prepare(index, request, reserve=12) for index, request in enumerate(mixed_requests())]


def test_quick_count_equals_the_processors_own_length(adapter: Any) -> None:
    items = _prepared_items(adapter)
    assert {len(item.images) for item in items} == {0, 1, 2}
    for item in items:
        counter = adapter.preparer.prompt_counter
        quick = counter._quick_count(item.images, counter._text_ids([item.text])[0]) if item.images else None
        exact = adapter._full_prompt_count(item.text, item.images)
        assert item.prompt_tokens == exact
        if item.images:
            assert quick == exact


def test_counter_checks_the_shortcut_once_per_image_count_then_trusts_it(adapter: Any) -> None:
    full_counts: list[int] = []

    def full(text: str, images: Any) -> int:
        full_counts.append(len(images))
        return adapter._full_prompt_count(text, images)

    counter = PromptCounter(adapter.processor, full)
    items = [item for item in _prepared_items(adapter) if item.images]
    counts = counter.count_many([(item.text, item.images) for item in items])
    assert counts == [item.prompt_tokens for item in items]
    assert sorted(full_counts) == [1, 2]


class _AskCountingProcessor(_MiscountingProcessor):
    """The real processor, recording the image sizes it is asked to count tokens for."""

    def __init__(self, processor: Any) -> None:
        super().__init__(processor)
        self.asked: list[tuple[tuple[int, int], ...]] = []

    def _get_num_multimodal_tokens(self, image_sizes: list[tuple[int, int]]) -> Any:
        self.asked.append(tuple(image_sizes))
        return self._processor._get_num_multimodal_tokens(image_sizes=image_sizes)


def test_counter_asks_the_processor_once_per_set_of_image_sizes(adapter: Any) -> None:
    processor = _AskCountingProcessor(adapter.processor)
    counter = PromptCounter(processor, adapter._full_prompt_count)
    items = [item for item in _prepared_items(adapter) if item.images] * 3
    counts = counter.count_many([(item.text, item.images) for item in items])
    assert counts == [item.prompt_tokens for item in items]
    sizes = {tuple((image.height, image.width) for image in item.images) for item in items}
    assert sorted(processor.asked) == sorted(sizes)


def test_counter_falls_back_to_the_full_encode_when_the_shortcut_is_wrong(adapter: Any) -> None:
    full_counts: list[int] = []

    def full(text: str, images: Any) -> int:
        full_counts.append(len(images))
        return adapter._full_prompt_count(text, images)

    counter = PromptCounter(_MiscountingProcessor(adapter.processor), full)
    items = [item for item in _prepared_items(adapter) if len(item.images) == 1]
    assert counter.count_many([(item.text, item.images) for item in items]) == [
        item.prompt_tokens for item in items
    ]
    assert len(full_counts) == len(items)


class _RefusingTokenizer:
    """The real tokenizer, raising on any text that holds `word`."""

    def __init__(self, tokenizer: Any, word: str) -> None:
        self._tokenizer = tokenizer
        self._word = word

    def __call__(self, texts: str | list[str], **options: Any) -> Any:
        if any(self._word in text for text in ([texts] if isinstance(texts, str) else texts)):
            raise ValueError(f"cannot tokenize {self._word}")
        return self._tokenizer(texts, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)


class _RefusingProcessor:
    """The real processor, with a tokenizer that refuses texts holding `word`."""

    def __init__(self, processor: Any, word: str) -> None:
        self._processor = processor
        self.tokenizer = _RefusingTokenizer(processor.tokenizer, word)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._processor, name)


def test_a_prompt_that_cannot_be_counted_is_its_own_error(
    adapter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = mixed_requests()
    expected = adapter.preparer.prepare_many([(index, request, 12) for index, request in enumerate(requests)])
    refusing = PromptCounter(_RefusingProcessor(adapter.processor, "Amharic"), adapter._full_prompt_count)
    monkeypatch.setattr(adapter.preparer, "prompt_counter", refusing)
    items = adapter.preparer.prepare_many([(index, request, 12) for index, request in enumerate(requests)])
    failed = [item.request.request_id for item in items if item.error is not None]
    assert failed == ["text-only"]
    assert items[3].error == "request could not be rendered: cannot tokenize Amharic"
    counted = [item.prompt_tokens for item in items if item.error is None]
    assert counted == [item.prompt_tokens for item in expected if item.request.request_id != "text-only"]


def test_generation_encodes_each_batch_once(adapter: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[tuple[int, ...]] = []
    threads: set[str] = set()
    original = adapter.prefetcher._encode

    def counting(batch: list[Any]) -> Any:
        encoded.append(tuple(item.index for item in batch))
        threads.add(threading.current_thread().name)
        return original(batch)

    monkeypatch.setattr(adapter.prefetcher, "_encode", counting)
    monkeypatch.setattr(adapter, "batch_size", 2)
    requests = mixed_requests()
    batched = adapter.generate(requests)
    assert sorted(index for batch in encoded for index in batch) == list(range(len(requests)))
    assert any(name.startswith("tv-eval-prefetch") for name in threads)
    monkeypatch.setattr(adapter, "batch_size", 1)
    single = adapter.generate(requests)
    assert [response.text for response in batched] == [response.text for response in single]


def test_a_window_told_ahead_is_prepared_once_and_its_first_batch_encoded_ahead(
    adapter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next window is prepared before the current one's last batch runs, its first batch then
    planned: each request is prepared and each batch encoded once, and the answers are those of
    windows asked with nothing told ahead. A window other than the one told is prepared afresh."""
    prepared: list[str] = []
    encoded: list[tuple[str, ...]] = []
    original_prepare, original_encode = adapter.preparer.prepare_many, adapter.prefetcher._encode

    def counting_prepare(entries: Any) -> Any:
        prepared.extend(request.request_id for _, request, _ in entries)
        return original_prepare(entries)

    def counting_encode(batch: list[Any]) -> Any:
        encoded.append(tuple(item.request.request_id for item in batch))
        return original_encode(batch)

    monkeypatch.setattr(adapter.preparer, "prepare_many", counting_prepare)
    monkeypatch.setattr(adapter.prefetcher, "_encode", counting_encode)
    monkeypatch.setattr(adapter, "batch_size", 2)
    requests = mixed_requests()
    first, second = requests[:6], requests[6:]
    expected = [r.text for r in adapter.generate(first)] + [r.text for r in adapter.generate(second)]
    prepared.clear()
    encoded.clear()
    adapter.expect(second)
    told = adapter.generate(first)
    assert adapter._ahead is not None and adapter._ahead[0] == second
    assert sorted(prepared) == sorted(r.request_id for r in requests)  # the second window already too
    told += adapter.generate(second)
    assert [r.text for r in told] == expected
    assert sorted(prepared) == sorted(r.request_id for r in requests)  # and not again
    assert len(encoded) == len(set(encoded))
    adapter.expect(second)
    adapter.generate(first)
    prepared.clear()
    assert [r.text for r in adapter.generate(list(reversed(second)))] == list(reversed(expected[6:]))
    assert sorted(prepared) == sorted(r.request_id for r in second)
    assert adapter.prefetcher._planned == {}


def _recording_prefetcher() -> tuple[Prefetcher[int, list[int]], list[list[int]]]:
    calls: list[list[int]] = []

    def encode(batch: list[int]) -> list[int]:
        calls.append(batch)
        if -1 in batch:
            raise ValueError("cannot encode -1")
        return [item * 10 for item in batch]

    return Prefetcher(encode, key=lambda item: item), calls


def test_prefetcher_hands_over_planned_batches_and_encodes_others_at_once() -> None:
    prefetcher, calls = _recording_prefetcher()
    prefetcher.plan([1, 2])
    assert prefetcher.take([1, 2]) == [10, 20]
    assert prefetcher.take([3]) == [30]
    assert calls == [[1, 2], [3]]
    prefetcher.close()


def test_prefetcher_keeps_only_the_batch_about_to_run_and_the_next() -> None:
    prefetcher, calls = _recording_prefetcher()
    for batch in ([1], [2], [3]):
        prefetcher.plan(batch)
    assert prefetcher.take([3]) == [30]
    assert prefetcher.take([2]) == [20]
    before = len(calls)
    assert prefetcher.take([1]) == [10]
    assert len(calls) == before + 1
    prefetcher.close()


def test_dropping_plans_can_keep_the_one_made_for_the_next_call() -> None:
    prefetcher, calls = _recording_prefetcher()
    prefetcher.plan([1])
    prefetcher.plan([2])
    prefetcher.drop(keep=[2])
    assert prefetcher.take([2]) == [20]
    before = len(calls)
    assert prefetcher.take([1]) == [10]
    assert len(calls) == before + 1  # [1]'s plan was dropped: encoded again
    prefetcher.close()


def test_prefetcher_raises_the_encode_error_where_the_batch_is_taken() -> None:
    prefetcher, _ = _recording_prefetcher()
    prefetcher.plan([-1])
    with pytest.raises(ValueError, match="cannot encode -1"):
        prefetcher.take([-1])
    prefetcher.close()


def _no_gpu_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices.sys, "platform", "linux")
    monkeypatch.setattr(devices, "GPU_DEVICE_NODES", ("no-such-gpu-node-*",))


@pytest.fixture
def torch_version(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    version = ["2.13.0"]
    monkeypatch.setattr(devices.metadata, "version", lambda name: version[0])
    yield version


def test_auto_device_without_a_gpu_does_not_ask_torch(
    monkeypatch: pytest.MonkeyPatch, torch_version: list[str]
) -> None:
    asked: list[bool] = []
    monkeypatch.setitem(sys.modules, "torch", _ForbiddenTorch(asked))
    _no_gpu_nodes(monkeypatch)
    assert resolve_device("auto") == "cpu"
    torch_version[0] = "2.13.0+cpu"
    monkeypatch.setattr(devices, "GPU_DEVICE_NODES", ("*",))
    assert resolve_device("auto") == "cpu"
    assert asked == []


def test_auto_device_asks_torch_where_a_gpu_may_be(
    monkeypatch: pytest.MonkeyPatch, torch_version: list[str]
) -> None:
    asked: list[bool] = []
    monkeypatch.setitem(sys.modules, "torch", _ForbiddenTorch(asked, available=True))
    monkeypatch.setattr(devices.sys, "platform", "linux")
    monkeypatch.setattr(devices, "GPU_DEVICE_NODES", ("*",))
    assert resolve_device("auto") == "cuda"
    assert asked == [True]


class _ForbiddenTorch:
    """A stand-in for the torch module that records being asked about CUDA."""

    def __init__(self, asked: list[bool], available: bool = False) -> None:
        self.cuda = self
        self._asked = asked
        self._available = available

    def is_available(self) -> bool:
        self._asked.append(True)
        return self._available


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_threads_option_must_be_a_positive_whole_number(value: str) -> None:
    with pytest.raises(ModelLoadError, match="threads"):
        cpu_threads({"threads": value})


def test_threads_option_is_read() -> None:
    assert cpu_threads({"threads": "3"}) == 3
    assert cpu_threads({}) is None


@pytest.mark.slow
def test_a_fully_cached_rerun_imports_neither_torch_nor_transformers(
    tmp_path: Path, tv_eval_cache: Path
) -> None:
    args = [*TINY_ALM_RUN, "--sample", "--limit", "6", "--device", "cpu"]
    first = run_cli([*args, "--output-dir", str(tmp_path / "first")], tv_eval_cache)
    assert first.returncode == 0, first.stderr
    again = run_cli(
        [*args, "--output-dir", str(tmp_path / "again")],
        tv_eval_cache,
        extra_env={"PYTHONPROFILEIMPORTTIME": "1"},
    )
    assert again.returncode == 0, again.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if "|" in line}
    assert "tv_eval.pipeline.runner" in imported
    assert not imported & {"torch", "transformers"}
