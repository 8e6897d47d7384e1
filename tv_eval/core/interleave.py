"""Text with images placed inside it: where a sample's images go in its user turn.

A benchmark whose questions refer to several images (xMMMU's `<image 2>`, M3Exam's `(image)[id]`)
writes its prompt with IMAGE_SLOT where each image belongs; the request then holds text and image
parts in that order, so every adapter sees each image where the question refers to it. A slot is a
character no benchmark text contains (U+FFFC, the object replacement character), so a question that
quotes `<image>` literally is never mistaken for one.
"""

from __future__ import annotations

from collections.abc import Sequence

from tv_eval.core.types import ContentPart, ImageInput, ImagePart, TextPart

IMAGE_SLOT = "\ufffc"


class ImageSlotError(ValueError):
    """A prompt whose image slots and images do not pair up one to one."""


def interleaved_content(text: str, images: Sequence[ImageInput]) -> tuple[ContentPart, ...]:
    """The text split at its slots with the i-th image in the i-th slot; empty text between slots
    is left out. The slots must be exactly as many as the images: a missing or surplus image would
    silently change what the model is asked."""
    pieces = text.split(IMAGE_SLOT)
    if len(pieces) - 1 != len(images):
        raise ImageSlotError(f"prompt has {len(pieces) - 1} image slot(s) for {len(images)} image(s)")
    content: list[ContentPart] = [TextPart(pieces[0])] if pieces[0] else []
    for image, piece in zip(images, pieces[1:], strict=True):
        content.append(ImagePart(image))
        if piece:
            content.append(TextPart(piece))
    return tuple(content)
