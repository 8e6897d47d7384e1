"""Decoding an image for a model without letting one small file take the machine's memory.

A 148 KB PNG can hold 12000x12000 pixels, 432 MB once decoded to RGB and more in a processor's
copies, and an adapter holds the decoded images of many requests at once. So:

- the pixel count in the file's header is checked before anything is decoded: an image above the
  cap (`TV_EVAL_MAX_IMAGE_PIXELS`, default 40 million) fails its sample, saying its size and the
  cap. It fails rather than being shrunk because a PNG decodes only whole: shrinking it would first
  take the very memory the cap guards. Pillow's own limit (about 179 million pixels) still applies
  above it;
- an image below the cap whose sides are both more than four times what the processor resizes to is
  shrunk (antialiased) until its shorter side is four times that, as soon as it is decoded (a JPEG is
  decoded at reduced scale straight away). The processor's own resize then makes the final size;
  smaller images reach it untouched.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tv_eval.core.adapter import ModelLoadError

if TYPE_CHECKING:
    from PIL import Image

MAX_PIXELS_ENV = "TV_EVAL_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 40_000_000
# The shorter side kept is this many times what the processor resizes to, so its own resampling
# still starts from more pixels than it keeps.
SIDE_MARGIN = 4
_SIDE_KEYS = ("height", "width", "shortest_edge", "longest_edge", "max_height", "max_width")


class ImageTooLargeError(ValueError):
    """An image with more pixels than the cap; its sample fails with this message."""


def max_image_pixels() -> int:
    """The cap on decoded pixels per image: `TV_EVAL_MAX_IMAGE_PIXELS`, else the default."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise ModelLoadError(f"{MAX_PIXELS_ENV} must be a positive whole number of pixels, got {text!r}")
    return int(text)


def needed_side(image_processor: Any) -> int | None:
    """The largest side length a Hugging Face image processor resizes or crops to (`size`, `crop_size`,
    `image_grid_pinpoints`), or None when it names none (then images are never shrunk here). Processors
    that bound the area instead (Qwen2-VL's pixel counts under these names) give a side so large that
    nothing is shrunk."""
    sides: list[int] = []
    for attribute in ("size", "crop_size"):
        value = getattr(image_processor, attribute, None)
        if isinstance(value, int):
            sides.append(value)
            continue
        entries = value if isinstance(value, dict) else getattr(value, "__dict__", {})
        sides += [side for key, side in entries.items() if key in _SIDE_KEYS and isinstance(side, int)]
    sides += _flatten(getattr(image_processor, "image_grid_pinpoints", None) or [])
    return max(sides) if sides else None


def _flatten(values: Iterable[Any]) -> list[int]:
    flat: list[int] = []
    for value in values:
        flat += (
            _flatten(value) if isinstance(value, list | tuple) else [value] if isinstance(value, int) else []
        )
    return flat


def decode_image(data: bytes, max_pixels: int, side: int | None = None) -> Image.Image:
    """RGB pixels of encoded image bytes; ImageTooLargeError above `max_pixels`; shrunk towards
    `SIDE_MARGIN * side` on its shorter side where it is larger than that (see the module docstring)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLargeError(
                f"image is {width}x{height} pixels ({width * height / 1e6:.1f} million), more than the "
                f"cap of {max_pixels / 1e6:.1f} million; it is refused, not shrunk, since decoding it "
                f"takes that memory first (raise {MAX_PIXELS_ENV} to allow it)"
            )
        target = _target_size(image.size, side)
        if target is not None:
            image.draft("RGB", target)
        rgb = image.convert("RGB")
    if target is not None and rgb.size != target:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return rgb


def _target_size(size: tuple[int, int], side: int | None) -> tuple[int, int] | None:
    """The size to shrink to (aspect ratio kept, shorter side SIDE_MARGIN * side), or None to keep it."""
    if side is None or min(size) <= SIDE_MARGIN * side:
        return None
    scale = SIDE_MARGIN * side / min(size)
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
