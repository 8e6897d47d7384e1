"""OpenAI-compatible chat completions: OpenAI itself, vLLM's and SGLang's OpenAI servers, TGI, llama.cpp.

`--model openai:<model>`; the server is `--base-url` (or `OPENAI_BASE_URL`, default OpenAI's API) and
the key comes from `--api-key-file` or `OPENAI_API_KEY` (local servers may need none). Requests go
out concurrently (asyncio + httpx, at most `max_concurrency` in flight) and are retried with
exponential backoff and full jitter on 429, 5xx, timeouts and dropped connections, waiting at least
as long as a `Retry-After` header asks. Images travel as base64 data URLs; videos as their uniformly
sampled frames. Token usage is recorded per response.

The key never leaves this module: it is not part of the identity, the settings or any message, and
every error text is scrubbed of it before it is returned or logged (a server may echo it back).
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
    UserFileError,
    VideoDecodeError,
    expand_video_parts,
    read_user_text,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV_VAR = "OPENAI_API_KEY"
BASE_URL_ENV_VAR = "OPENAI_BASE_URL"
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF_BASE_S = 1.0
DEFAULT_BACKOFF_MAX_S = 60.0
MAX_RETRY_AFTER_S = 300.0
RETRYABLE_STATUS = frozenset({408, 409, 429})
REDACTED = "[REDACTED]"


class _Secret:
    """Holds the key; its repr and str never show it, so it cannot leak through a log or a traceback."""

    def __init__(self, value: str | None) -> None:
        self._value = value or None

    def reveal(self) -> str | None:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._value, REDACTED) if self._value else text

    def __repr__(self) -> str:
        return "_Secret(***)" if self._value else "_Secret(None)"

    __str__ = __repr__


@dataclass(frozen=True)
class _Policy:
    max_concurrency: int
    timeout_s: float
    max_retries: int
    backoff_base_s: float
    backoff_max_s: float


def _base_url(settings: AdapterSettings) -> str:
    url = str(settings.options.get("base_url") or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL)
    return url.rstrip("/")


def _read_key(settings: AdapterSettings) -> _Secret:
    key_file = settings.options.get("api_key_file")
    if key_file:
        path = Path(str(key_file)).expanduser()
        try:
            key = read_user_text(path, "API key file").strip()
        except UserFileError as error:
            raise ModelLoadError(str(error)) from error
        if not key:
            raise ModelLoadError(f"API key file {path} is empty")
        return _Secret(key)
    return _Secret(os.environ.get(KEY_ENV_VAR, "").strip())


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

    @classmethod
    def preflight(cls, settings: AdapterSettings) -> None:
        url = _base_url(settings)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelLoadError(f"base URL {public_url(url)!r} is not an http(s) URL")
        key = _read_key(settings)
        if key.reveal() is None and parts.hostname == urlsplit(DEFAULT_BASE_URL).hostname:
            raise ModelLoadError(
                f"no API key for {public_url(url)}: set {KEY_ENV_VAR} or pass --api-key-file FILE"
            )

    def __init__(self, settings: AdapterSettings) -> None:
        super().__init__(settings)
        self.preflight(settings)
        self.base_url = _base_url(settings)
        self._key = _read_key(settings)
        options = settings.options
        self.policy = _Policy(
            max_concurrency=int(options.get("max_concurrency") or settings.batch_size or DEFAULT_CONCURRENCY),
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
        return replace(
            identity, model_id=f"{settings.model_id}@{public_url(_base_url(settings))}", dtype=None
        )

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
        import httpx

        headers = {"Content-Type": "application/json"}
        if self._key.reveal():
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        limits = httpx.Limits(
            max_connections=self.policy.max_concurrency, max_keepalive_connections=self.policy.max_concurrency
        )
        semaphore = asyncio.Semaphore(self.policy.max_concurrency)
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self.policy.timeout_s, limits=limits
        ) as client:
            return list(
                await asyncio.gather(
                    *(
                        self._one(client, semaphore, position, request, on_batch)
                        for position, request in enumerate(requests)
                    )
                )
            )

    async def _one(
        self,
        client: Any,
        semaphore: asyncio.Semaphore,
        position: int,
        request: Request,
        on_batch: BatchCallback | None,
    ) -> Response:
        try:
            body = self._body(request)
        except VideoDecodeError as error:
            response = Response(
                request_id=request.request_id, text="", error=f"video could not be decoded: {error}"
            )
        else:
            async with semaphore:
                response = await self._send_with_retries(client, request.request_id, body)
        if on_batch is not None:
            on_batch([position], [response])
        return response

    async def _send_with_retries(self, client: Any, request_id: str, body: dict[str, Any]) -> Response:
        import httpx

        attempts = self.policy.max_retries + 1
        last_error = "no attempt made"
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                reply = await client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                last_error = f"timed out after {self.policy.timeout_s:g}s"
            except httpx.TransportError as error:
                last_error = f"connection error: {type(error).__name__}"
            else:
                if reply.status_code < 300:
                    return self._parse(request_id, reply)
                last_error = f"HTTP {reply.status_code}: {self._server_message(reply)}"
                if reply.status_code not in RETRYABLE_STATUS and reply.status_code < 500:
                    return Response(request_id=request_id, text="", error=last_error)
                retry_after = _retry_after_seconds(reply.headers.get("retry-after"))
            if attempt + 1 < attempts:
                delay = self._backoff(attempt, retry_after)
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
        return self._key.scrub(text)

    def _parse(self, request_id: str, reply: Any) -> Response:
        try:
            payload = reply.json()
            choice = payload["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return Response(request_id=request_id, text="", error="malformed chat completion from the server")
        usage = payload.get("usage") or {}
        return Response(
            request_id=request_id,
            text=text,
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
        )

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
