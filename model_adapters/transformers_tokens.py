"""Prompt lengths without running the image processor.

Every request's length is needed before batching (to sort by length and to check the context window),
but resizing and normalising each image just to count tokens doubled the preprocessing: the batch is
preprocessed again when it runs. Processors that know how many placeholder tokens an image expands to
(`_get_num_multimodal_tokens`, the hook vLLM also sizes prompts with) are asked instead, and the
answer is checked once against a full encode for each image count before it is trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image


class PromptCounter:
    """Counts a rendered prompt's tokens; falls back to the full encode wherever the shortcut is
    unavailable or once disagreed with it."""

    def __init__(self, processor: Any, full_count: Callable[[str, Sequence[Image.Image]], int]) -> None:
        self.processor = processor
        self.full_count = full_count
        self._checked: dict[int, bool] = {}
        # Image token counts by image sizes: the processor's answer depends on nothing else, and asking
        # it costs more than the rest of counting (it validates a typed dict per call).
        self._image_tokens: dict[tuple[tuple[int, int], ...], list[int] | None] = {}

    def count_many(self, prompts: Sequence[tuple[str, Sequence[Image.Image]]]) -> list[int]:
        """Each prompt's token count. The texts go to the tokenizer in one call: called once per
        request, its Python wrapper cost more than the tokenising itself."""
        text_ids = self._text_ids([text for text, _ in prompts])
        return [self._count(text, images, ids) for (text, images), ids in zip(prompts, text_ids, strict=True)]

    def _count(self, text: str, images: Sequence[Image.Image], text_ids: list[int]) -> int:
        if not images:
            return len(text_ids)
        trusted = self._checked.get(len(images))
        if trusted is False:
            return self.full_count(text, images)
        quick = self._quick_count(images, text_ids)
        if trusted is None:
            exact = self.full_count(text, images)
            self._checked[len(images)] = quick == exact
            return exact
        return quick if quick is not None else self.full_count(text, images)

    def _text_ids(self, texts: list[str]) -> list[list[int]]:
        # The chat template already holds the special tokens, as in the adapter's own encode.
        if not texts:
            return []
        return [list(ids) for ids in self.processor.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def _quick_count(self, images: Sequence[Image.Image], ids: list[int]) -> int | None:
        """Text tokens with each image placeholder replaced by the tokens the processor expands it to;
        None when the processor cannot say."""
        sizes = tuple((image.height, image.width) for image in images)
        if sizes not in self._image_tokens:
            self._image_tokens[sizes] = _image_token_counts(self.processor, sizes)
        per_image = self._image_tokens[sizes]
        image_token = getattr(self.processor, "image_token", None)
        if per_image is None or image_token is None:
            return None
        placeholders = ids.count(self.processor.tokenizer.convert_tokens_to_ids(image_token))
        if placeholders != len(images):
            return None
        return len(ids) - placeholders + sum(per_image)


def _image_token_counts(processor: Any, sizes: tuple[tuple[int, int], ...]) -> list[int] | None:
    counter = getattr(processor, "_get_num_multimodal_tokens", None)
    if counter is None:
        return None
    try:
        data = counter(image_sizes=list(sizes))
    except Exception:
        return None
    counts = getattr(data, "num_image_tokens", None)
    return list(counts) if counts is not None and len(counts) == len(sizes) else None
