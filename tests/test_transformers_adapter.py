"""The transformers adapter, run for real on the locally built tiny LLaVA (no Hub, CPU, exact results)."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from model_adapters.aliases import ALIASES
from model_adapters.tiny_random import (
    TINY_MODEL_NAME,
    TINY_MODEL_REVISION,
    TinyRandomAdapter,
    build_tiny_model,
    tiny_model_path,
)
from model_adapters.transformers_adapter import TransformersAdapter
from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.cache_root import CACHE_DIR_ENV
from tv_eval.core.registry import load_adapter_class, resolve_model
from tv_eval.core.types import (
    GenerationParams,
    ImageInput,
    ImagePart,
    Message,
    Request,
    TextPart,
)

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

QUESTIONS = (
    "What is shown in this image?",
    "Qu'est-ce qui est représenté sur cette image ? Répondez en une phrase.",
    "Какой предмет изображён на этой картинке?",
    "ماذا يظهر في هذه الصورة؟",
    "इस चित्र में क्या दिखाया गया है?",
    "这张图片里有什么?",
    "この画像には何が写っていますか?",
    "이 사진에는 무엇이 있습니까?",
    "ในภาพนี้มีอะไรบ้าง?",
    "በዚህ ምስል ውስጥ ምን ይታያል?",
    "මෙම රූපයේ පෙන්වන්නේ කුමක්ද?",
)


def png_bytes(seed: int, size: tuple[int, int] = (48, 40)) -> bytes:
    """A small deterministic picture: a gradient whose colours depend on the seed."""
    image = Image.new("RGB", size)
    image.putdata(
        [
            ((x * 7 + seed * 31) % 256, (y * 11 + seed * 17) % 256, (x * y + seed) % 256)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_request(
    request_id: str,
    question: str,
    seed: int,
    generation: GenerationParams | None = None,
    continuation: str | None = None,
    image_data: bytes | None = None,
) -> Request:
    image = ImageInput.from_bytes(image_data if image_data is not None else png_bytes(seed))
    return Request(
        request_id=request_id,
        messages=(Message(role="user", content=(ImagePart(image), TextPart(question))),),
        generation=generation or GenerationParams(max_new_tokens=12),
        continuation=continuation,
    )


def text_request(request_id: str, question: str, continuation: str | None = None) -> Request:
    return Request(
        request_id=request_id,
        messages=(Message(role="user", content=(TextPart(question),)),),
        generation=GenerationParams(max_new_tokens=12),
        continuation=continuation,
    )


def mixed_requests() -> list[Request]:
    """Different lengths, scripts and image counts (0, 1, 2), in an order the adapter must restore."""
    requests = [image_request(f"img-{i}", QUESTIONS[i % len(QUESTIONS)] * (1 + i % 3), i) for i in range(10)]
    requests.insert(3, text_request("text-only", "Say something in Amharic: ሰላም"))
    two_images = Request(
        request_id="two-images",
        messages=(
            Message(
                role="user",
                content=(
                    ImagePart(ImageInput.from_bytes(png_bytes(100))),
                    ImagePart(ImageInput.from_bytes(png_bytes(101, (30, 60)))),
                    TextPart("Compare the two images."),
                ),
            ),
        ),
        generation=GenerationParams(max_new_tokens=12),
    )
    requests.insert(7, two_images)
    return requests


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory holding the tiny model, built once for the whole session."""
    cache = tmp_path_factory.mktemp("tv-eval-cache")
    build_tiny_model(cache / "models" / f"{TINY_MODEL_NAME}-{TINY_MODEL_REVISION}")
    return cache


@pytest.fixture(scope="session")
def adapter(tiny_cache: Path) -> Iterator[TinyRandomAdapter]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(tiny_cache))
        loaded = TinyRandomAdapter(AdapterSettings(model_id="tiny-random", batch_size=8))
    yield loaded
    loaded.close()


@pytest.fixture
def batch_size(adapter: TinyRandomAdapter) -> Iterator[None]:
    """Tests that change the adapter's batch size get it back afterwards."""
    original = adapter.batch_size
    yield
    adapter.batch_size = original


def weights_hash(directory: Path) -> str:
    from safetensors.torch import load_file

    digest = hashlib.sha256()
    for name, tensor in sorted(load_file(directory / "model.safetensors").items()):
        digest.update(name.encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def test_tiny_model_rebuilds_identically(tmp_path: Path, tiny_cache: Path) -> None:
    first = build_tiny_model(tmp_path / "first")
    second = build_tiny_model(tmp_path / "second")
    reference = tiny_cache / "models" / f"{TINY_MODEL_NAME}-{TINY_MODEL_REVISION}"
    assert weights_hash(first) == weights_hash(second) == weights_hash(reference)
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "staging dir left behind"


def test_tiny_model_path_uses_cache_env(monkeypatch: pytest.MonkeyPatch, tiny_cache: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tiny_cache))
    assert tiny_model_path() == tiny_cache / "models" / f"{TINY_MODEL_NAME}-{TINY_MODEL_REVISION}"


def test_tokenizer_round_trips_every_script(adapter: TinyRandomAdapter) -> None:
    tokenizer = adapter.processor.tokenizer
    for question in QUESTIONS:
        assert tokenizer.decode(tokenizer(question, add_special_tokens=False)["input_ids"]) == question


def test_identity(adapter: TinyRandomAdapter) -> None:
    identity = adapter.identity
    assert (identity.model_id, identity.revision) == ("tiny-random", "v1")
    assert (identity.adapter, identity.adapter_version) == ("tiny_random", "1")
    assert (identity.dtype, identity.device) == ("float32", "cpu")


def test_batched_and_unbatched_greedy_outputs_match(adapter: TinyRandomAdapter, batch_size: None) -> None:
    requests = mixed_requests()
    adapter.batch_size = 8
    batched = adapter.generate(requests)
    adapter.batch_size = 1
    unbatched = adapter.generate(requests)
    assert [response.request_id for response in batched] == [request.request_id for request in requests]
    assert [(r.text, r.completion_tokens) for r in batched] == [
        (r.text, r.completion_tokens) for r in unbatched
    ]
    assert all(response.error is None for response in batched)
    assert all(response.prompt_tokens and response.completion_tokens for response in batched)


def test_outputs_come_back_in_input_order(adapter: TinyRandomAdapter) -> None:
    requests = mixed_requests()
    alone = {request.request_id: adapter.generate([request])[0].text for request in requests}
    reordered = list(reversed(requests))
    responses = adapter.generate(reordered)
    assert [response.request_id for response in responses] == [request.request_id for request in reordered]
    assert [response.text for response in responses] == [alone[request.request_id] for request in reordered]


def test_generation_is_deterministic(adapter: TinyRandomAdapter) -> None:
    requests = mixed_requests()
    assert [r.text for r in adapter.generate(requests)] == [r.text for r in adapter.generate(requests)]


def test_corrupt_image_is_a_per_request_error(adapter: TinyRandomAdapter) -> None:
    requests = [
        image_request("good-1", QUESTIONS[0], 1),
        image_request("broken", QUESTIONS[1], 2, image_data=b"\x89PNG\r\n\x1a\n this is not a picture"),
        image_request("good-2", QUESTIONS[2], 3),
    ]
    responses = adapter.generate(requests)
    assert [response.request_id for response in responses] == ["good-1", "broken", "good-2"]
    assert responses[1].error is not None
    assert responses[1].error.startswith("image could not be decoded:")
    assert " at 0x" not in responses[1].error
    assert responses[0].error is None and responses[2].error is None
    assert responses[0].text == adapter.generate([requests[0]])[0].text


def test_too_long_prompt_is_a_context_error(adapter: TinyRandomAdapter) -> None:
    requests = [text_request("long", "word " * 3000), image_request("short", QUESTIONS[0], 1)]
    responses = adapter.generate(requests)
    assert responses[0].error is not None
    assert responses[0].error.startswith("prompt has ")
    assert "more than the model's context of" in responses[0].error
    assert responses[1].error is None


def test_stop_strings_truncate(adapter: TinyRandomAdapter) -> None:
    request = image_request("free", QUESTIONS[0], 5, GenerationParams(max_new_tokens=16))
    full = adapter.generate([request])[0].text
    assert len(full) > 4
    stop = full[2:4]
    stopped_request = image_request(
        "stopped", QUESTIONS[0], 5, GenerationParams(max_new_tokens=16, stop=(stop,))
    )
    stopped = adapter.generate([stopped_request])[0].text
    assert stopped == full[: full.find(stop)]
    assert stop not in stopped


def test_sampling_is_seeded(adapter: TinyRandomAdapter) -> None:
    params = GenerationParams(max_new_tokens=12, temperature=1.0, top_p=0.9)
    requests = [image_request(f"sample-{i}", QUESTIONS[i], i, params) for i in range(3)]
    sampled = [r.text for r in adapter.generate(requests)]
    assert [r.text for r in adapter.generate(requests)] == sampled
    greedy = [replace(r, generation=replace(params, temperature=0.0)) for r in requests]
    assert [r.text for r in adapter.generate(greedy)] != sampled  # it did sample


def test_out_of_memory_halves_the_batch(
    adapter: TinyRandomAdapter, batch_size: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [image_request(f"oom-{i}", QUESTIONS[i % 3], i) for i in range(6)]
    expected = [response.text for response in adapter.generate(requests)]
    real_batch = adapter._generate_batch
    seen: list[int] = []

    def tight_memory(batch: list) -> list:
        seen.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_batch(batch)

    monkeypatch.setattr(adapter, "_generate_batch", tight_memory)
    adapter.batch_size = 8
    assert [response.text for response in adapter.generate(requests)] == expected
    assert seen[:3] == [6, 3, 1] and adapter.batch_size == 1


def test_out_of_memory_at_batch_size_one_is_a_per_request_error(
    adapter: TinyRandomAdapter, batch_size: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_batch = adapter._generate_batch

    def fails_on_big_image(batch: list) -> list:
        if any(item.request.request_id == "huge" for item in batch):
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_batch(batch)

    monkeypatch.setattr(adapter, "_generate_batch", fails_on_big_image)
    responses = adapter.generate(
        [image_request("huge", QUESTIONS[0], 1), image_request("fine", QUESTIONS[1], 2)]
    )
    assert responses[0].error is not None and responses[0].error.startswith("out of memory")
    assert responses[1].error is None


def direct_loglikelihood(adapter: TinyRandomAdapter, request: Request) -> float:
    """The same quantity from one plain forward pass, computed independently of the adapter's batching."""
    processor = adapter.processor
    messages = [
        {
            "role": message.role,
            "content": [
                {"type": "image"} if isinstance(part, ImagePart) else {"type": "text", "text": part.text}
                for part in message.content
            ],
        }
        for message in request.messages
    ]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    images = [Image.open(io.BytesIO(image.data)).convert("RGB") for image in request.images] or None
    inputs = processor(text=[prompt], images=images, return_tensors="pt", add_special_tokens=False)
    continuation = processor.tokenizer(request.continuation, add_special_tokens=False)["input_ids"]
    input_ids = torch.cat([inputs["input_ids"], torch.tensor([continuation])], dim=1)
    extra = {"pixel_values": inputs["pixel_values"]} if images else {}
    with torch.no_grad():
        log_probs = adapter.model(input_ids=input_ids, **extra).logits.log_softmax(dim=-1)[0]
    start = inputs["input_ids"].shape[1]
    return sum(float(log_probs[start - 1 + k, token]) for k, token in enumerate(continuation))


def test_loglikelihood_matches_a_direct_forward_pass(adapter: TinyRandomAdapter, batch_size: None) -> None:
    continuations = ("A cat.", " Это кошка на столе", "猫", "ሰላም ለዓለም", "x")
    requests = [
        image_request(f"ll-{i}", QUESTIONS[i] * (1 + i % 2), i, continuation=continuation)
        for i, continuation in enumerate(continuations)
    ]
    requests.append(text_request("ll-text", "Translate to Sinhala: hello", continuation=" ආයුබෝවන්"))
    adapter.batch_size = 8
    batched = adapter.loglikelihood(requests)
    adapter.batch_size = 1
    unbatched = adapter.loglikelihood(requests)
    for request, value, single in zip(requests, batched, unbatched, strict=True):
        assert value < 0
        assert value == pytest.approx(direct_loglikelihood(adapter, request), abs=1e-4)
        assert value == pytest.approx(single, abs=1e-4)


def test_loglikelihood_of_an_unusable_request_is_nan(adapter: TinyRandomAdapter) -> None:
    requests = [
        image_request("broken", QUESTIONS[0], 1, continuation="a", image_data=b"not an image"),
        image_request("fine", QUESTIONS[0], 1, continuation="a"),
    ]
    broken, fine = adapter.loglikelihood(requests)
    assert math.isnan(broken) and fine < 0


def test_loglikelihood_needs_a_continuation(adapter: TinyRandomAdapter) -> None:
    with pytest.raises(ValueError, match="no continuation"):
        adapter.loglikelihood([image_request("none", QUESTIONS[0], 1)])


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_resolve_through_the_registry(alias: str) -> None:
    spec = resolve_model(alias)
    assert spec.model_id == ALIASES[alias]["model_id"]
    assert spec.adapter == ALIASES[alias]["adapter"]
    assert spec.dtype in {"bfloat16", "float16", "float32"}
    assert load_adapter_class(spec.adapter) in {TransformersAdapter, TinyRandomAdapter}


def test_towervision_aliases() -> None:
    for size in ("2b", "9b"):
        spec = resolve_model(f"towervision-{size}")
        assert spec.model_id == f"utter-project/TowerVision-{size.upper()}"
        assert (spec.adapter, spec.dtype) == ("transformers", "bfloat16")
        assert "LlavaNextForConditionalGeneration" in spec.description


def test_local_path_loads_through_the_generic_adapter(tiny_cache: Path) -> None:
    path = tiny_cache / "models" / f"{TINY_MODEL_NAME}-{TINY_MODEL_REVISION}"
    generic = TransformersAdapter(
        AdapterSettings(model_id=str(path), device="cpu", dtype="float32", batch_size=2)
    )
    try:
        assert generic.identity.model_id == str(path) and generic.identity.adapter == "transformers"
        assert generic.identity.revision == TransformersAdapter.cache_identity(generic.settings).revision
        assert str(generic.identity.revision).startswith("sha256:")
        assert generic.generate([image_request("r", QUESTIONS[0], 1)])[0].error is None
    finally:
        generic.close()


def test_missing_model_is_a_load_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(ModelLoadError, match="cannot load"):
        TransformersAdapter(AdapterSettings(model_id=str(tmp_path / "empty-dir"), device="cpu"))
