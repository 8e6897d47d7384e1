"""A small OpenAI-compatible chat completions server on 127.0.0.1, for tests and bench/.

It speaks the real protocol over real HTTP (POST /v1/chat/completions, bearer key, JSON usage), so the
OpenAI adapter is tested exactly as it talks to vLLM or OpenAI, not through a mocked client. Answers
come from a `responder` (canned text, a rule, or the tiny model; None is sent as `"content": null`, and
text goes out as JSON escapes, so a lone surrogate arrives as `\\ud800` as a real server would send
it). Faults can be queued: each request takes the next fault, if any (HTTP 429 with Retry-After, 500,
a reply slower than the client's timeout); besides, `fault_rate` answers that share of all attempts
with a 500, spread evenly (the 20th, 40th, ... at 5%), so a short run has its share too. A wrong key
gets a 401 whose message echoes the key, as careless servers do, so tests can check the adapter
scrubs it. The state keeps when the first request arrived and when each answer left, for
throughput measured where the server sees it.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[list[dict[str, Any]], dict[str, Any]], str | None]


@dataclass(frozen=True)
class Fault:
    """`status` 429/500/...: reply with it; `delay_s`: sleep that long first (a timeout when long enough)."""

    status: int | None = None
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass
class ServerState:
    responder: Responder
    api_key: str | None
    latency_s: float = 0.0
    fault_rate: float = 0.0
    faults: deque[Fault] = field(default_factory=deque)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    attempts: int = 0
    answered: int = 0
    injected: int = 0
    first_arrival: float | None = None
    answer_times: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def canned(text: str | None) -> Responder:
    return lambda messages, body: text


def message_text(messages: list[dict[str, Any]]) -> str:
    """All text of a chat request, for responders that answer by rule."""
    parts = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(part["text"] for part in content if part.get("type") == "text")
    return "\n".join(parts)


def image_parts(body: dict[str, Any]) -> list[bytes]:
    """The decoded bytes of every image_url data URL in a request body."""
    images = []
    for message in body["messages"]:
        if isinstance(message["content"], list):
            for part in message["content"]:
                if part.get("type") == "image_url":
                    url = part["image_url"]["url"]
                    images.append(base64.b64decode(url.split(",", 1)[1]))
    return images


def tiny_model_responder(adapter: Any) -> Responder:
    """Serve a tv-eval adapter (the tiny LLaVA): chat messages with data-URL images in, its text out."""
    from tv_eval.core.types import GenerationParams, ImageInput, ImagePart, Message, Request, TextPart

    lock = threading.Lock()

    def respond(messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        converted = []
        for message in messages:
            content = message["content"]
            if isinstance(content, str):
                parts: list[Any] = [TextPart(content)]
            else:
                parts = []
                for part in content:
                    if part["type"] == "text":
                        parts.append(TextPart(part["text"]))
                    else:
                        data = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
                        parts.append(ImagePart(ImageInput.from_bytes(data)))
            converted.append(Message(role=message["role"], content=tuple(parts)))
        request = Request(
            request_id="served",
            messages=tuple(converted),
            generation=GenerationParams(max_new_tokens=int(body.get("max_tokens") or 16)),
        )
        with lock:  # one generate at a time: the model is not thread-safe
            response = adapter.generate([request])[0]
        return response.text

    return respond


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays readable."""

    def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with state.lock:
            state.attempts += 1
            if state.first_arrival is None:
                state.first_arrival = time.perf_counter()
            fault = state.faults.popleft() if state.faults else None
            if fault is None and int(state.attempts * state.fault_rate) > state.injected:
                fault = Fault(status=500)
                state.injected += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            self._serve(state, body, fault)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _serve(self, state: ServerState, body: dict[str, Any], fault: Fault | None) -> None:
        route, _, query = self.path.partition("?")
        with state.lock:
            state.queries.append(query)
        if route.rstrip("/") != "/v1/chat/completions":
            self._reply(404, {"error": {"message": f"no route {self.path}"}})
            return
        if state.api_key is not None:
            given = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if given != state.api_key:
                self._reply(401, {"error": {"message": f"Incorrect API key provided: {given}"}})
                return
        if fault is not None:
            time.sleep(fault.delay_s)
            if fault.status is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
                self._reply(fault.status, {"error": {"message": f"injected {fault.status}"}}, headers)
                return
        if state.latency_s:
            time.sleep(state.latency_s)
        with state.lock:
            state.bodies.append(body)
        text = state.responder(body["messages"], body)
        prompt_tokens = len(message_text(body["messages"]).split()) + 85 * len(image_parts(body))
        completion_tokens = len(text.split()) if text else 0
        self._reply(
            200,
            {
                "id": f"chatcmpl-{state.attempts}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )
        with state.lock:
            state.answered += 1
            state.answer_times.append(time.perf_counter())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class RunningServer:
    state: ServerState
    base_url: str

    def inject(self, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    def answers_per_second(self, share: float = 1.0) -> float:
        """The first `share` of the answers sent, over the time from the first request's arrival to the
        last of them: below 1, the steady rate, without the tail of the last requests' retries."""
        with self.state.lock:
            times, start = sorted(self.state.answer_times), self.state.first_arrival
        count = int(len(times) * share)
        if start is None or count == 0:
            return 0.0
        return count / max(times[count - 1] - start, 1e-9)


@contextmanager
def serve(
    responder: Responder, api_key: str | None = None, latency_s: float = 0.0, fault_rate: float = 0.0
) -> Iterator[RunningServer]:
    """Run the server in a background thread for the duration of the block."""
    state = ServerState(responder=responder, api_key=api_key, latency_s=latency_s, fault_rate=fault_rate)
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RunningServer(state=state, base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def frame_indices_of(body: dict[str, Any]) -> list[int]:
    """The frame indices written into generated test clips (data.video.index_pattern), per image sent."""
    from PIL import Image

    from tv_eval.data.video import read_index_pattern

    return [read_index_pattern(Image.open(io.BytesIO(data)).convert("RGB")) for data in image_parts(body)]
