"""Throughput of the transformers adapter's `generate` on the tiny model, unbatched against batched.

Measures the adapter's own overhead (rendering, image decoding, padding, batching) on a model small
enough that the overhead is what shows; run it after touching the batching code:

    python bench/adapter_throughput.py --requests 64 --new-tokens 16 --batch-sizes 1 8
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Sequence

from PIL import Image

from model_adapters.tiny_random import TinyRandomAdapter
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import GenerationParams, ImageInput, ImagePart, Message, Request, TextPart

QUESTIONS = (
    "What is shown in this image?",
    "Qu'est-ce qui est représenté sur cette image ?",
    "Какой предмет изображён на этой картинке?",
    "ماذا يظهر في هذه الصورة؟",
    "इस चित्र में क्या दिखाया गया है?",
    "这张图片里有什么?",
    "이 사진에는 무엇이 있습니까?",
    "በዚህ ምስል ውስጥ ምን ይታያል?",
)


def png_bytes(seed: int) -> bytes:
    """A distinct small picture per request, so no request is a cached copy of another."""
    width, height = 64 + seed % 17, 48 + seed % 13
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 5 + seed * 37) % 256, (y * 3 + seed * 11) % 256, (x + y + seed) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_requests(count: int, new_tokens: int) -> list[Request]:
    params = GenerationParams(max_new_tokens=new_tokens)
    return [
        Request(
            request_id=f"bench-{index}",
            messages=(
                Message(
                    role="user",
                    content=(
                        ImagePart(ImageInput.from_bytes(png_bytes(index))),
                        TextPart(QUESTIONS[index % len(QUESTIONS)] * (1 + index % 3)),
                    ),
                ),
            ),
            generation=params,
        )
        for index in range(count)
    ]


def samples_per_second(adapter: TinyRandomAdapter, requests: Sequence[Request], batch_size: int) -> float:
    """Best of three timed passes after a warm-up pass, so one-off costs and noise do not count."""
    adapter.batch_size = batch_size
    adapter.generate(requests)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        adapter.generate(requests)
        timings.append(time.perf_counter() - start)
    return len(requests) / min(timings)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    adapter = TinyRandomAdapter(AdapterSettings(model_id="tiny-random", device=args.device))
    requests = make_requests(args.requests, args.new_tokens)
    print(f"{args.requests} requests, 1 image each, {args.new_tokens} new tokens, device {adapter.device}")
    for batch_size in args.batch_sizes:
        rate = samples_per_second(adapter, requests, batch_size)
        print(f"batch size {batch_size:>3}: {rate:8.1f} samples/s")
    adapter.close()


if __name__ == "__main__":
    main()
