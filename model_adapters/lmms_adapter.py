"""`--model lmms:<model-name> --model-option KEY=VALUE`: an lmms-eval model class as a tv-eval adapter.

The model lives in the lmms-eval worker (tv_eval/bridges/lmms_worker.py, in the managed environment
`tv-eval lmms-env` builds): lmms-eval's `get_model(name)` picks the class (its chat class where it
has one, as `python -m lmms_eval --model NAME` does; `force_simple=true` picks the simple one), built
from the model options as lmms-eval's `--model_args` (`pretrained=...,attn_implementation=...`). Each
request becomes an lmms-eval Instance: simple models get the request's text as the context and its
images through doc_to_visual; chat models get its turns through doc_to_messages, images as PIL
images. Generation kwargs are lmms-eval's (`max_new_tokens`, `temperature`, `top_p`, `until`);
log-likelihoods come from lmms-eval's `llava_hf` loglikelihood (see `LmmsAdapter.loglikelihood`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    AdapterSettings,
    BatchCallback,
    ContinuationMeasure,
    ImagePart,
    LmmsBridgeError,
    LmmsWorker,
    ModelAdapter,
    ModelIdentity,
    ModelLoadError,
    Request,
    Response,
    TextPart,
    VideoPart,
    resolve_model_revision,
    shared_worker,
)

# Options that steer the bridge rather than the lmms-eval model class.
BRIDGE_OPTIONS = frozenset({"force_simple", "default_dtype"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def model_arguments(options: Mapping[str, Any]) -> str:
    """The model options as lmms-eval's `--model_args` string (its own `key=value,...` syntax)."""
    return ",".join(f"{key}={value}" for key, value in options.items() if key not in BRIDGE_OPTIONS)


class LmmsAdapter(ModelAdapter):
    name = "lmms"
    version = "1"
    extra = "lmms"
    options_help: ClassVar[Mapping[str, str]] = {
        "force_simple": "use lmms-eval's simple model class where the model also has a chat one",
        "<any other>": "passed to the lmms-eval model class as --model_args KEY=VALUE",
    }

    def __init__(self, settings: AdapterSettings) -> None:
        super().__init__(settings)
        self.worker: LmmsWorker = self._start()
        self._images = itertools.count()

    def _start(self) -> LmmsWorker:
        settings = self.settings
        device = None if settings.device == "auto" else settings.device
        try:
            worker = shared_worker()
            self.loaded = worker.call(
                "load_model",
                name=settings.model_id,
                arguments=model_arguments(settings.options),
                force_simple=str(settings.options.get("force_simple", "")).lower() in _TRUE,
                settings={"batch_size": settings.batch_size or 1, "device": device},
            )
        except LmmsBridgeError as error:
            raise ModelLoadError(f"lmms-eval model {settings.model_id}: {error}") from error
        return worker

    @classmethod
    def resolve_revision(cls, settings: AdapterSettings) -> str | None:
        """The content digest (or Hub commit) of the `pretrained` checkpoint, where the options name one."""
        pretrained = settings.options.get("pretrained")
        if pretrained is None:
            return settings.revision
        return resolve_model_revision(str(pretrained), settings.revision)

    @classmethod
    def cache_identity(cls, settings: AdapterSettings) -> ModelIdentity:
        arguments = model_arguments(settings.options)
        return ModelIdentity(
            model_id=f"{settings.model_id}({arguments})" if arguments else settings.model_id,
            revision=cls.resolve_revision(settings),
            adapter=cls.name,
            adapter_version=cls.version,
            dtype=settings.dtype,
            device=settings.device,
        )

    @property
    def identity(self) -> ModelIdentity:
        return self.cache_identity(self.settings)

    def _image_file(self, data: bytes) -> str:
        folder = self.worker.scratch / "requests"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{next(self._images)}-{hashlib.sha256(data).hexdigest()[:12]}"
        Path(path).write_bytes(data)
        return str(path)

    def _messages(self, request: Request) -> list[dict[str, Any]]:
        messages = []
        for message in request.messages:
            content: list[dict[str, str]] = []
            for part in message.content:
                if isinstance(part, VideoPart):
                    raise LmmsBridgeError("videos are not bridged to lmms-eval models")
                if isinstance(part, ImagePart):
                    content.append({"type": "image", "path": self._image_file(part.image.data)})
                elif isinstance(part, TextPart):
                    content.append({"type": "text", "text": part.text})
            messages.append({"role": message.role, "content": content})
        return messages

    @staticmethod
    def _gen_kwargs(request: Request) -> dict[str, Any]:
        generation = request.generation
        return {
            "max_new_tokens": generation.max_new_tokens,
            "temperature": generation.temperature,
            "top_p": generation.top_p,
            "until": list(generation.stop),
        }

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        payload = [
            {"messages": self._messages(request), "gen_kwargs": self._gen_kwargs(request)}
            for request in requests
        ]
        try:
            texts = self.worker.call("generate", requests=payload)
        except LmmsBridgeError as error:
            responses = [Response(request.request_id, "", error=str(error)) for request in requests]
        else:
            responses = [
                Response(request.request_id, text) for request, text in zip(requests, texts, strict=True)
            ]
        if on_batch is not None:
            on_batch(list(range(len(requests))), responses)
        return responses

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        """lmms-eval's `llava_hf` loglikelihood, the one model class whose value tv-eval knows how to
        read: it returns the continuation's mean token loss, so the value is its negation (the
        `llava_hf_turn_mean` measure). Other classes' values follow no shared convention."""
        wrong = {str(request.measure) for request in requests} - {str(ContinuationMeasure.LLAVA_HF_TURN_MEAN)}
        if wrong or not self.loaded["class"].endswith(".llava_hf.LlavaHf"):
            raise NotImplementedError(
                f"the lmms adapter scores log-likelihoods as {ContinuationMeasure.LLAVA_HF_TURN_MEAN} with "
                f"lmms-eval's llava_hf only (asked: {', '.join(sorted(wrong)) or 'none'} "
                f"on {self.loaded['class']})"
            )
        payload = [
            {"messages": self._messages(request), "continuation": request.continuation or ""}
            for request in requests
        ]
        return [-float(loss) for loss, _ in self.worker.call("loglikelihood", requests=payload)]
