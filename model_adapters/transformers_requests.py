"""Turning requests into what the transformers adapter batches: rendered, decoded and counted.

Kept apart from the adapter, whose job is loading the model and running batches; the vLLM adapter
renders messages with the same `to_hf_messages`. Preparation runs on the model's thread: measured on
the tiny model on CPU, preparing the next window on the prefetch thread made the whole run about 10%
slower (its Python work holds the interpreter lock the model's thread needs between operations), while
the batch encodes that thread already runs release the lock and pay off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model_adapters.transformers_tokens import PromptCounter
from tv_eval.api import (
    ImagePart,
    ImageTooLargeError,
    Message,
    Request,
    VideoDecodeError,
    decode_image,
    expand_video_parts,
)

if TYPE_CHECKING:
    from PIL import Image

# PIL names the stream it failed on, e.g. "<_io.BytesIO object at 0x7f...>": noise that differs per run.
_OBJECT_REPR = re.compile(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>")


@dataclass
class PreparedRequest:
    """One request rendered and decoded, ready to batch; `error` set means it never reaches the model."""

    index: int
    request: Request
    text: str = ""
    images: list[Image.Image] = field(default_factory=list)
    prompt_tokens: int = 0
    continuation_ids: list[int] = field(default_factory=list)
    error: str | None = None


class RequestPreparer:
    """Renders with the processor's chat template, decodes images to the size the processor needs and
    counts prompt tokens; a request that fails any step carries the failure as its error."""

    def __init__(
        self,
        processor: Any,
        prompt_counter: PromptCounter,
        max_image_pixels: int,
        image_side: int | None,
        context_length: int | None,
    ) -> None:
        self.processor = processor
        self.prompt_counter = prompt_counter
        self.max_image_pixels = max_image_pixels
        self.image_side = image_side
        self.context_length = context_length

    def prepare_many(self, entries: Sequence[tuple[int, Request, int]]) -> list[PreparedRequest]:
        """Render, decode and count requests (index, request, tokens reserved after the prompt);
        failures become each request's error, never an exception."""
        items = [self._render(index, request) for index, request, _ in entries]
        ready = [item for item in items if item.error is None]
        try:
            counts = self.prompt_counter.count_many([(item.text, item.images) for item in ready])
        except Exception:
            counts = [self._count_alone(item) for item in ready]
        for item, count in zip(ready, counts, strict=True):
            if count is not None:
                item.prompt_tokens = count
        for item, (_, _, reserve) in zip(items, entries, strict=True):
            if item.error is None:
                item.error = self._context_error(item.prompt_tokens, reserve)
        return items

    def _context_error(self, prompt_tokens: int, reserve: int) -> str | None:
        if self.context_length is None or prompt_tokens <= self.context_length - reserve:
            return None
        return (
            f"prompt has {prompt_tokens} tokens, more than the model's context of "
            f"{self.context_length - reserve} ({self.context_length} less {reserve} reserved tokens)"
        )

    def _count_alone(self, item: PreparedRequest) -> int | None:
        """One prompt's count, for when counting a group of them failed; its failure is its error."""
        try:
            return self.prompt_counter.count_many([(item.text, item.images)])[0]
        except Exception as exc:
            item.error = f"request could not be rendered: {first_line(exc)}"
            return None

    def _render(self, index: int, request: Request) -> PreparedRequest:
        item = PreparedRequest(index=index, request=request)
        try:
            request = item.request = expand_video_parts(request)
        except VideoDecodeError as exc:
            item.error = f"video could not be decoded: {exc}"
            return item
        try:
            item.images = [
                decode_image(image.data, self.max_image_pixels, self.image_side) for image in request.images
            ]
        except ImageTooLargeError as exc:
            item.error = str(exc)
            return item
        except Exception as exc:
            item.error = f"image could not be decoded: {first_line(exc)}"
            return item
        try:
            item.text = self.processor.apply_chat_template(
                to_hf_messages(request.messages), add_generation_prompt=True, tokenize=False
            )
        except Exception as exc:
            item.error = f"request could not be rendered: {first_line(exc)}"
        return item


def to_hf_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The chat format every HF processor template understands: typed image and text parts."""
    return [
        {
            "role": message.role,
            "content": [
                {"type": "image"} if isinstance(part, ImagePart) else {"type": "text", "text": part.text}
                for part in message.content
            ],
        }
        for message in messages
    ]


def first_line(exc: BaseException) -> str:
    """A one-line message without object addresses, so the same failure always reads the same."""
    text = _OBJECT_REPR.sub("", str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
