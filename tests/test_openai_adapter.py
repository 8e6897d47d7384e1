"""The OpenAI-compatible adapter against a real HTTP server on 127.0.0.1 (tests/openai_server.py).

Faults are injected server-side (429 with Retry-After, 500, replies slower than the timeout), and the
key is checked never to surface: not in responses, errors, logs, the identity or the adapter's repr.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from model_adapters.openai_adapter import OpenAIAdapter, _retry_after_seconds, public_url
from tests.openai_server import Fault, canned, frame_indices_of, image_parts, message_text, serve
from tv_eval.core.adapter import AdapterSettings, ModelLoadError
from tv_eval.core.registry import load_adapter_class, resolve_model
from tv_eval.core.types import GenerationParams, ImageInput, ImagePart, Message, Request, TextPart, VideoPart
from tv_eval.data.synthetic import shape_image
from tv_eval.data.video import indexed_clip, uniform_frame_indices, video_input

KEY = "sk-test-5b1d7c0ffee-DO-NOT-LEAK"
FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 0.5}


def adapter_for(base_url: str, **options: object) -> OpenAIAdapter:
    return OpenAIAdapter(
        AdapterSettings(model_id="served-model", options={"base_url": base_url, **FAST, **options})
    )


def text_request(request_id: str, text: str, **generation: object) -> Request:
    return Request(
        request_id=request_id,
        messages=(Message(role="user", content=(TextPart(text),)),),
        generation=GenerationParams(**generation) if generation else GenerationParams(max_new_tokens=8),
    )


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_registry_resolves_openai_prefix() -> None:
    spec = resolve_model("openai:gpt-4o")
    assert (spec.adapter, spec.model_id) == ("openai", "gpt-4o")
    assert load_adapter_class("openai") is OpenAIAdapter


def test_text_image_and_usage(key_env: None) -> None:
    image = ImageInput.from_bytes(shape_image("circle", "red"))
    requests = [
        text_request("plain", "Say hello.", max_new_tokens=5, temperature=0.0, stop=("\n",)),
        Request(
            request_id="picture",
            messages=(
                Message(role="system", content=(TextPart("Be brief."),)),
                Message(role="user", content=(ImagePart(image), TextPart("What is this?"))),
            ),
        ),
    ]
    with serve(lambda messages, body: f"echo: {message_text(messages)}", api_key=KEY) as server:
        responses = adapter_for(server.base_url).generate(requests)
        bodies = {
            body["messages"][-1]["content"]
            if isinstance(body["messages"][-1]["content"], str)
            else "picture": body
            for body in server.state.bodies
        }
    assert [r.request_id for r in responses] == ["plain", "picture"]
    assert responses[0].text == "echo: Say hello." and responses[0].error is None
    assert responses[0].prompt_tokens == 2 and responses[0].completion_tokens == 3
    assert responses[1].text == "echo: Be brief.\nWhat is this?"
    plain = bodies["Say hello."]
    assert plain["model"] == "served-model"
    assert (plain["max_tokens"], plain["temperature"], plain["stop"]) == (5, 0.0, ["\n"])
    picture = bodies["picture"]
    assert picture["messages"][0] == {"role": "system", "content": "Be brief."}
    url = picture["messages"][1]["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert image_parts(picture) == [image.data]


def test_video_travels_as_uniformly_sampled_frames(key_env: None, tmp_path: Path) -> None:
    clip = video_input(indexed_clip(tmp_path / "clip.mp4", 37))
    request = Request(
        request_id="video",
        messages=(Message(role="user", content=(VideoPart(clip, num_frames=6), TextPart("What happens?"))),),
    )
    with serve(canned("a clip"), api_key=KEY) as server:
        (response,) = adapter_for(server.base_url).generate([request])
        (body,) = server.state.bodies
    assert response.error is None
    assert frame_indices_of(body) == uniform_frame_indices(37, 6) == [3, 9, 15, 21, 27, 33]
    assert all(
        url["image_url"]["url"].startswith("data:image/jpeg;base64,")
        for url in body["messages"][0]["content"][:6]
    )


def test_broken_video_is_a_per_request_error(key_env: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    request = Request(
        request_id="broken",
        messages=(Message(role="user", content=(VideoPart(video_input(broken), 4), TextPart("?"))),),
    )
    with serve(canned("fine"), api_key=KEY) as server:
        responses = adapter_for(server.base_url).generate([request, text_request("ok", "hi")])
        assert server.state.attempts == 1
    assert responses[0].error is not None and responses[0].error.startswith("video could not be decoded")
    assert responses[1].text == "fine"


def test_retries_429_500_and_timeout_then_succeeds(key_env: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with serve(canned("finally"), api_key=KEY) as server:
        server.inject(Fault(status=429, retry_after="0.3"), Fault(status=500), Fault(delay_s=1.5))
        started = time.perf_counter()
        (response,) = adapter_for(server.base_url, max_retries=4).generate([text_request("r", "hi")])
        elapsed = time.perf_counter() - started
        assert server.state.attempts == 4
    assert response.text == "finally" and response.error is None
    assert elapsed >= 0.3 + 0.5  # waited out Retry-After, and the 0.5 s timeout expired once
    messages = [record.getMessage() for record in caplog.records]
    assert any("HTTP 429" in message for message in messages)
    assert any("HTTP 500" in message for message in messages)
    assert any("timed out" in message for message in messages)


def test_gives_up_after_max_retries(key_env: None) -> None:
    with serve(canned("never"), api_key=KEY) as server:
        server.inject(*[Fault(status=503)] * 5)
        (response,) = adapter_for(server.base_url, max_retries=2).generate([text_request("r", "hi")])
        assert server.state.attempts == 3
    assert response.error == "gave up after 3 attempts; last: HTTP 503: injected 503"


def test_client_errors_are_not_retried(key_env: None) -> None:
    with serve(canned("x"), api_key=KEY) as server:
        server.inject(Fault(status=400))
        (response,) = adapter_for(server.base_url).generate([text_request("r", "hi")])
        assert server.state.attempts == 1
    assert response.error == "HTTP 400: injected 400"


def test_concurrency_is_limited(key_env: None) -> None:
    with serve(canned("ok"), api_key=KEY, latency_s=0.1) as server:
        responses = adapter_for(server.base_url, max_concurrency=3).generate(
            [text_request(f"r{i}", f"q{i}") for i in range(12)]
        )
        assert server.state.max_in_flight == 3
    assert [r.request_id for r in responses] == [f"r{i}" for i in range(12)]
    assert all(r.text == "ok" for r in responses)


def test_key_never_leaks(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with serve(canned("ok"), api_key="sk-the-server-wants-another-key") as server:
        adapter = adapter_for(server.base_url, api_key_file=str(key_file))
        (response,) = adapter.generate([text_request("r", "hi")])
    assert response.error is not None and response.error.startswith("HTTP 401: Incorrect API key provided: ")
    assert "[REDACTED]" in response.error
    visible = [
        response.error,
        repr(adapter),
        repr(adapter.settings),
        repr(adapter.identity),
        repr(vars(adapter)),
    ]
    visible += [record.getMessage() for record in caplog.records]
    assert not [text for text in visible if KEY in text]


def test_key_from_file_is_sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY)
    with serve(canned("accepted"), api_key=KEY) as server:
        (response,) = adapter_for(server.base_url, api_key_file=str(key_file)).generate(
            [text_request("r", "hi")]
        )
    assert response.text == "accepted"


def test_preflight_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelLoadError, match=r"no API key for https://api\.openai\.com/v1"):
        OpenAIAdapter.preflight(AdapterSettings(model_id="gpt-4o"))
    with pytest.raises(ModelLoadError, match="cannot read API key file"):
        OpenAIAdapter.preflight(
            AdapterSettings(model_id="m", options={"api_key_file": str(tmp_path / "nope")})
        )
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ModelLoadError, match="is empty"):
        OpenAIAdapter.preflight(
            AdapterSettings(model_id="m", options={"api_key_file": str(tmp_path / "empty")})
        )
    with pytest.raises(ModelLoadError, match="not an http"):
        OpenAIAdapter.preflight(AdapterSettings(model_id="m", options={"base_url": "ftp://host/v1"}))
    OpenAIAdapter.preflight(AdapterSettings(model_id="m", options={"base_url": "http://127.0.0.1:9/v1"}))


def test_identity_records_the_server_without_credentials(key_env: None) -> None:
    adapter = adapter_for("http://user:pw@127.0.0.1:8000/v1?token=abc")
    identity = adapter.identity
    assert (identity.model_id, identity.adapter, identity.device) == (
        "served-model",
        "openai",
        "http://127.0.0.1:8000/v1",
    )
    assert public_url("https://api.openai.com/v1/") == "https://api.openai.com/v1/"


def test_retry_after_forms() -> None:
    assert _retry_after_seconds("2.5") == 2.5
    assert _retry_after_seconds(None) is None
    assert _retry_after_seconds("soon") is None
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= _retry_after_seconds(date) <= 31  # type: ignore[operator]


@pytest.mark.parametrize("content", [None, "", " \n"], ids=["null", "empty", "blank"])
def test_an_empty_completion_is_an_error(key_env: None, content: str | None) -> None:
    with serve(canned(content), api_key=KEY) as server:
        (response,) = adapter_for(server.base_url).generate([text_request("r", "hi")])
        assert server.state.attempts == 1  # an empty answer is not retried within the run
    assert response.error == "empty completion from the server (finish_reason: stop)"
    assert response.text == ""


def test_a_lone_surrogate_is_replaced_and_counted(key_env: None) -> None:
    with serve(canned("caf\udce9 \ud83d"), api_key=KEY) as server:
        (response,) = adapter_for(server.base_url).generate([text_request("r", "hi")])
    assert (response.text, response.replaced_code_points, response.error) == ("caf\ufffd \ufffd", 2, None)
    response.text.encode("utf-8")  # no longer raises


def test_a_backing_off_request_gives_its_slot_to_the_next(key_env: None) -> None:
    """One request waits out a 2 s Retry-After; meanwhile the other 19 use both slots (10 rounds of
    0.2 s, done when it is). Holding its slot, they would have one slot for those 2 s: 3.2 s in all."""
    with serve(canned("ok"), api_key=KEY, latency_s=0.2) as server:
        server.inject(Fault(status=503, retry_after="2"))
        started = time.perf_counter()
        responses = adapter_for(server.base_url, max_concurrency=2).generate(
            [text_request(f"r{i}", "q") for i in range(20)]
        )
        elapsed = time.perf_counter() - started
        assert server.state.max_in_flight == 2
    assert all(r.text == "ok" for r in responses)
    assert 2.2 <= elapsed < 2.8


def test_concurrency_does_not_follow_the_batch_size(key_env: None) -> None:
    with serve(canned("ok"), api_key=KEY, latency_s=0.05) as server:
        settings = AdapterSettings(model_id="m", batch_size=2, options={"base_url": server.base_url, **FAST})
        OpenAIAdapter(settings).generate([text_request(f"r{i}", "q") for i in range(16)])
        assert server.state.max_in_flight == 8  # the default concurrency, not the batch size


def test_base_url_credentials_are_sent_but_never_shown(key_env: None) -> None:
    secret = "tok-URL-CANARY-19"
    with serve(canned("ok")) as server:  # user info goes as basic auth, in place of the bearer key
        url = server.base_url.replace("http://", f"http://user:{secret}@") + f"?api_key={secret}"
        adapter = adapter_for(url)
        (response,) = adapter.generate([text_request("r", "hi")])
        assert server.state.queries == [f"api_key={secret}"]
    assert response.text == "ok"
    assert secret not in repr(vars(adapter)) + repr(adapter.identity)
    assert adapter._secrets.scrub(f"bad token {secret} for user x") == "bad token [REDACTED] for [REDACTED] x"


def test_a_resumed_run_whose_url_was_redacted_says_how_to_go_on(key_env: None) -> None:
    with pytest.raises(ModelLoadError, match=r"give the URL again with --resume"):
        OpenAIAdapter.preflight(
            AdapterSettings(model_id="m", options={"base_url": "http://REDACTED@127.0.0.1:9/v1"})
        )
