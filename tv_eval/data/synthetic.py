"""Generated media for bundled samples and tests: no image or video may be downloaded here.

Pictures are simple coloured shapes so that sample questions ("what colour is the shape?") have
a true answer a real model could give, and so every byte is reproducible from code.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 60), "yellow": (235, 210, 40)}
SHAPES = ("circle", "square", "triangle")


def shape_image(shape: str, colour: str, *, size: int = 96, image_format: str = "PNG") -> bytes:
    """A `colour` `shape` on a light background, encoded as PNG (or JPEG)."""
    image = Image.new("RGB", (size, size), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    margin = size // 6
    box = (margin, margin, size - margin, size - margin)
    fill = COLOURS[colour]
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon(
            [(size // 2, margin), (size - margin, size - margin), (margin, size - margin)], fill=fill
        )
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()
