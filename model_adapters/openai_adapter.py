"""OpenAI-compatible chat completions: OpenAI itself, vLLM's and SGLang's OpenAI servers, TGI, llama.cpp.

`--model openai:<model>`; the server is `--base-url` (or `OPENAI_BASE_URL`, default OpenAI's API) and
the key comes from `--api-key-file` or `OPENAI_API_KEY` (local servers may need none). Requests stream
through the concurrency limit (`--concurrency`, at most `max_concurrency` in flight, whatever the
batch size): the adapter takes a whole task at once and reports each answer as it arrives, so no
request waits for a slow neighbour. Failed attempts are retried with exponential backoff and full
jitter on 429, 5xx, timeouts and dropped connections, waiting at least as long as a `Retry-After`
header asks; a request waiting out its backoff gives its slot to the next request. An empty or null
completion is an error (never an answer, so never cached). Images travel as base64 data URLs; videos
as their uniformly sampled frames. Token usage is recorded per response. Secrets: openai_credentials.py.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from model_adapters.openai_credentials import DEFAULT_BASE_URL, KEY_ENV_VAR, Secrets, base_url, read_key
from tv_eval.api import (
    AdapterSettings,
    BatchCallback,
    ImageInput,
    ImagePart,
    ModelAdapter,
    ModelIdentity,
    ModelLoadError,
    Request,
    Response,
    VideoDecodeError,
    expand_video_parts,
    is_redacted,
    redact_url,
)

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF_BASE_S = 1.0
DEFAULT_BACKOFF_MAX_S = 60.0
MAX_RETRY_AFTER_S = 300.0
RETRYABLE_STATUS = frozenset({408, 409, 429})
# Requests under way per slot: the ones beyond the slots wait out a backoff while others are in flight.
REQUESTS_PER_SLOT = 2


@dataclass(frozen=True)
class _Policy:
    max_concurrency: int
    timeout_s: float
    max_retries: int
    backoff_base_s: float
    backoff_max_s: float


@dataclass(frozen=True)
class _Retryable:
    """An attempt that failed in a way another attempt may not."""

    error: str
    retry_after: float | None = None


def public_url(url: str) -> str:
    """The server's address without credentials or query string, safe to record."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class OpenAIAdapter(ModelAdapter):
    """Chat completions over HTTP; see the module docstring for concurrency, retries and key handling."""

    name = "openai"
    version = "1"
    streaming: ClassVar[bool] = True

    @classmethod
    def preflight(cls, settings: AdapterSettings) -> None:
        url = base_url(settings)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelLoadError(f"base URL {public_url(url)!r} is not an http(s) URL")
        if is_redacted(url):
            raise ModelLoadError(
                f"base URL {redact_url(url)} had credentials, which run.json does not keep: give the URL"
                " again with --resume (--base-url, or --judge-base-url for the judge)"
            )
        if read_key(settings) is None and parts.hostname == urlsplit(DEFAULT_BASE_URL).hostname:
            raise ModelLoadError(
                f"no API key for {public_url(url)}: set {KEY_ENV_VAR} or pass --api-key-file FILE"
            )

    def __init__(self, settings: AdapterSettings) -> None:
        super().__init__(settings)
        self.preflight(settings)
        self._secrets = Secrets(read_key(settings), base_url(settings))
        # What the adapter shows (its settings included) is the address with its credentials redacted.
        self.base_url = redact_url(self._secrets.url)
        self.settings = replace(settings, options={**settings.options, "base_url": self.base_url})
        options = settings.options
        self.policy = _Policy(
            max_concurrency=int(options.get("max_concurrency") or DEFAULT_CONCURRENCY),
            timeout_s=float(options.get("timeout_s") or DEFAULT_TIMEOUT_S),
            max_retries=int(options.get("max_retries", DEFAULT_MAX_RETRIES)),
            backoff_base_s=float(options.get("backoff_base_s", DEFAULT_BACKOFF_BASE_S)),
            backoff_max_s=float(options.get("backoff_max_s", DEFAULT_BACKOFF_MAX_S)),
        )
        self._random = random.Random(settings.seed)

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(
            model_id=self.settings.model_id,
            revision=self.settings.revision,
            adapter=self.name,
            adapter_version=self.version,
            dtype=None,
            device=public_url(self.base_url),
        )

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        """The same model name on two servers is two models: the server is part of the cache key."""
        identity = super().cache_identity(settings)
        return replace(identity, model_id=f"{settings.model_id}@{public_url(base_url(settings))}", dtype=None)

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        """Requests run concurrently; each answer reaches `on_batch` (and so the cache) as it arrives."""
        if not requests:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._generate_all(requests, on_batch))
        # Called from inside an event loop (a notebook): run ours in a thread of its own.
        result: list[list[Response]] = []
        worker = threading.Thread(
            target=lambda: result.append(asyncio.run(self._generate_all(requests, on_batch)))
        )
        worker.start()
        worker.join()
        return result[0]

    async def _generate_all(
        self, requests: Sequence[Request], on_batch: BatchCallback | None
    ) -> list[Response]:
        """Workers take the next request as soon as they are free; a semaphore keeps at most
        `max_concurrency` attempts in flight, and no worker waits for any other."""
        import httpx

        headers = {"Content-Type": "application/json"}
        if self._secrets.key:
            headers["Authorization"] = f"Bearer {self._secrets.key}"
        slots = self.policy.max_concurrency
        limits = httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
        in_flight = asyncio.Semaphore(slots)
        responses: dict[int, Response] = {}
        pending = iter(enumerate(requests))

        async def work(client: Any) -> None:
            for position, request in pending:
                responses[position] = await self._answer(client, in_flight, request)
                if on_batch is not None:
                    on_batch([position], [responses[position]])

        # A query in the base URL (`?api-version=`, `?api_key=`) goes with every request, not into its path.
        parts = urlsplit(self._secrets.url)
        async with httpx.AsyncClient(
            base_url=urlunsplit((*parts[:3], "", "")),
            params=parse_qsl(parts.query, keep_blank_values=True),
            headers=headers,
            timeout=self.policy.timeout_s,
            limits=limits,
        ) as client:
            workers = min(len(requests), REQUESTS_PER_SLOT * slots)
            await asyncio.gather(*(work(client) for _ in range(workers)))
        return [responses[position] for position in range(len(requests))]

    async def _answer(self, client: Any, in_flight: asyncio.Semaphore, request: Request) -> Response:
        """The request's body is built when a worker takes it, so only requests under way are in memory."""
        try:
            body = self._body(request)
        except VideoDecodeError as error:
            return Response(
                request_id=request.request_id, text="", error=f"video could not be decoded: {error}"
            )
        return await self._send_with_retries(client, in_flight, request.request_id, body)

    async def _send_with_retries(
        self, client: Any, in_flight: asyncio.Semaphore, request_id: str, body: dict[str, Any]
    ) -> Response:
        attempts = self.policy.max_retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            async with in_flight:
                outcome = await self._attempt(client, request_id, body)
            if isinstance(outcome, Response):
                return outcome
            last_error = outcome.error
            if attempt + 1 < attempts:
                delay = self._backoff(attempt, outcome.retry_after)
                logger.warning(
                    "request %s: %s; retry %d of %d in %.2fs",
                    request_id,
                    last_error,
                    attempt + 1,
                    self.policy.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)
        return Response(
            request_id=request_id, text="", error=f"gave up after {attempts} attempts; last: {last_error}"
        )

    async def _attempt(self, client: Any, request_id: str, body: dict[str, Any]) -> Response | _Retryable:
        """One POST: a final response (an answer or an error no retry can fix), or what to retry."""
        import httpx

        try:
            reply = await client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            return _Retryable(f"timed out after {self.policy.timeout_s:g}s")
        except httpx.TransportError as error:
            return _Retryable(f"connection error: {type(error).__name__}")
        if reply.status_code < 300:
            return self._parse(request_id, reply)
        error = f"HTTP {reply.status_code}: {self._server_message(reply)}"
        if reply.status_code not in RETRYABLE_STATUS and reply.status_code < 500:
            return Response(request_id=request_id, text="", error=error)
        return _Retryable(error, _retry_after_seconds(reply.headers.get("retry-after")))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter over an exponentially growing cap; never shorter than the server's Retry-After."""
        cap = min(self.policy.backoff_max_s, self.policy.backoff_base_s * (2**attempt))
        delay = self._random.uniform(0, cap)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
        return delay

    def _server_message(self, reply: Any) -> str:
        try:
            payload = reply.json()
            message = payload.get("error", {}).get("message") if isinstance(payload, dict) else None
        except ValueError:
            message = None
        text = str(message or reply.text or reply.reason_phrase or "").strip()
        text = text.splitlines()[0][:300] if text else "no message"
        return self._secrets.scrub(text)

    def _parse(self, request_id: str, reply: Any) -> Response:
        """The completion's text; an empty or null one is an error, whatever the server's status said."""
        try:
            payload = reply.json()
            choice = payload["choices"][0]
            text = choice["message"].get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return Response(request_id=request_id, text="", error="malformed chat completion from the server")
        if text is not None and not isinstance(text, str):
            return Response(request_id=request_id, text="", error="malformed chat completion from the server")
        if not text or not text.strip():
            reason = choice.get("finish_reason") if isinstance(choice, dict) else None
            return Response(
                request_id=request_id,
                text="",
                error=f"empty completion from the server (finish_reason: {reason or 'none given'})",
            )
        usage = payload.get("usage") or {}
        return Response(
            request_id=request_id,
            text=text,
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
        ).with_valid_text()

    def _body(self, request: Request) -> dict[str, Any]:
        request = expand_video_parts(request)
        messages = []
        for message in request.messages:
            if not message.images:
                messages.append({"role": message.role, "content": message.text})
                continue
            content = []
            for part in message.content:
                if isinstance(part, ImagePart):
                    content.append({"type": "image_url", "image_url": {"url": data_url(part.image)}})
                else:
                    content.append({"type": "text", "text": part.text})
            messages.append({"role": message.role, "content": content})
        params = request.generation
        body: dict[str, Any] = {
            "model": self.settings.model_id,
            "messages": messages,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        return body


def data_url(image: ImageInput) -> str:
    return f"data:{_mime_type(image.data)};base64,{base64.b64encode(image.data).decode('ascii')}"


def _mime_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None
