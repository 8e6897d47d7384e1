"""Decoding images for a model: the pixel cap checked from the header, the shrink to what the processor
uses, and the processor sizes it reads (tv_eval/data/images.py)."""

from __future__ import annotations

import io

import pytest


def _encoded(width: int, height: int, image_format: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, image_format)
    return buffer.getvalue()


def test_images_above_the_pixel_cap_are_refused_from_their_header() -> None:
    from tv_eval.data.images import ImageTooLargeError, decode_image

    data = _encoded(8000, 6000)
    with pytest.raises(ImageTooLargeError, match=r"^image is 8000x6000 pixels \(48\.0 million\), more than"):
        decode_image(data, max_pixels=40_000_000)
    assert decode_image(data, max_pixels=48_000_000).size == (8000, 6000)


@pytest.mark.parametrize(
    ("size", "image_format", "side", "expected"),
    [
        ((2000, 1000), "PNG", 100, (800, 400)),  # shorter side brought to 4 x 100
        ((4000, 3000), "JPEG", 100, (533, 400)),  # decoded at reduced scale, then resized
        ((300, 200), "PNG", 100, (300, 200)),  # not more than 4 x what the processor uses: untouched
        ((2000, 1000), "PNG", None, (2000, 1000)),  # a processor that names no size: untouched
    ],
)
def test_large_images_shrink_to_what_the_processor_uses(
    size: tuple[int, int], image_format: str, side: int | None, expected: tuple[int, int]
) -> None:
    from tv_eval.data.images import decode_image

    image = decode_image(_encoded(*size, image_format), max_pixels=40_000_000, side=side)
    assert (image.size, image.mode) == (expected, "RGB")


def test_needed_side_of_processors() -> None:
    from types import SimpleNamespace

    from model_adapters.tiny_random import _build_processor
    from tv_eval.data.images import needed_side

    assert needed_side(_build_processor().image_processor) == 32  # a SizeDict with shortest_edge 32
    anyres = SimpleNamespace(size={"shortest_edge": 336}, image_grid_pinpoints=[[336, 672], [672, 1008]])
    assert needed_side(anyres) == 1008
    assert needed_side(SimpleNamespace(size={"max_pixels": 10**6})) is None
    assert needed_side(None) is None


def test_pixel_cap_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from tv_eval.core.adapter import ModelLoadError
    from tv_eval.data.images import DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV, max_image_pixels

    monkeypatch.delenv(MAX_PIXELS_ENV, raising=False)
    assert max_image_pixels() == DEFAULT_MAX_PIXELS == 40_000_000
    monkeypatch.setenv(MAX_PIXELS_ENV, "1000")
    assert max_image_pixels() == 1000
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    with pytest.raises(ModelLoadError, match="TV_EVAL_MAX_IMAGE_PIXELS must be a positive whole number"):
        max_image_pixels()
