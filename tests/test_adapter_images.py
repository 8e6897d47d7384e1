"""Several images in one request reach the tiny LLaVA in the order the text refers to them."""

from __future__ import annotations

import pytest

from model_adapters.tiny_random import TinyRandomAdapter
from tests.test_transformers_adapter import adapter, direct_loglikelihood, png_bytes, tiny_cache
from tv_eval.core.types import ImageInput, ImagePart, Message, Request, TextPart

__all__ = ["adapter", "tiny_cache"]  # session fixtures shared with test_transformers_adapter


def test_interleaved_images_reach_the_model_where_the_text_refers_to_them(adapter: TinyRandomAdapter) -> None:
    first, second = (
        ImageInput.from_bytes(png_bytes(seed, size)) for seed, size in ((7, (48, 40)), (8, (30, 60)))
    )

    def interleaved(order: tuple[ImageInput, ImageInput]) -> Request:
        parts = (
            TextPart("Left "),
            ImagePart(order[0]),
            TextPart(" right "),
            ImagePart(order[1]),
            TextPart(" same?"),
        )
        return Request("pair", (Message(role="user", content=parts),), continuation=" yes")

    request, swapped = interleaved((first, second)), interleaved((second, first))
    prepared = adapter._prepare(0, request, reserve=0)
    assert prepared.text.startswith("<s>user: Left <image>\n right <image>\n same?")
    value, swapped_value = adapter.loglikelihood([request, swapped])
    assert value == pytest.approx(direct_loglikelihood(adapter, request), abs=1e-4)
    assert abs(value - swapped_value) > 1e-3  # the images' order reaches the model
