"""Requests per second of the OpenAI-compatible adapter against the local test server, by concurrency.

The server (tests/openai_server.py, hence PYTHONPATH=.) answers canned text on 127.0.0.1, optionally
after a fixed latency
that stands in for model time; with no latency the numbers show the adapter's and the HTTP stack's own
overhead, with latency they show how concurrency hides server time:

    PYTHONPATH=. python bench/openai_throughput.py --requests 256 --concurrency 1 8 32 --latency-ms 0 20
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from model_adapters.openai_adapter import OpenAIAdapter
from tests.openai_server import canned, serve
from tv_eval.core.adapter import AdapterSettings
from tv_eval.core.types import GenerationParams, ImageInput, ImagePart, Message, Request, TextPart
from tv_eval.data.synthetic import shape_image


def make_requests(count: int) -> list[Request]:
    """Each request carries one small PNG as a data URL, as an image benchmark's requests do."""
    image = ImageInput.from_bytes(shape_image("circle", "red"))
    return [
        Request(
            request_id=f"bench-{index}",
            messages=(Message(role="user", content=(ImagePart(image), TextPart(f"Question {index}?"))),),
            generation=GenerationParams(max_new_tokens=16),
        )
        for index in range(count)
    ]


def requests_per_second(base_url: str, requests: Sequence[Request], concurrency: int) -> float:
    adapter = OpenAIAdapter(
        AdapterSettings(model_id="bench", options={"base_url": base_url, "max_concurrency": concurrency})
    )
    adapter.generate(requests[: max(1, concurrency)])  # warm-up: connections, imports
    started = time.perf_counter()
    responses = adapter.generate(requests)
    elapsed = time.perf_counter() - started
    failed = sum(response.error is not None for response in responses)
    if failed:
        raise RuntimeError(f"{failed} requests failed")
    return len(requests) / elapsed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0])
    args = parser.parse_args(argv)
    requests = make_requests(args.requests)
    print(f"{args.requests} requests, one PNG image each, canned answers from a local threaded HTTP server")
    for latency in args.latency_ms:
        with serve(canned("a red circle"), latency_s=latency / 1000) as server:
            for concurrency in args.concurrency:
                rate = requests_per_second(server.base_url, requests, concurrency)
                print(
                    f"server latency {latency:5.1f} ms, concurrency {concurrency:>3}: {rate:8.1f} requests/s"
                )


if __name__ == "__main__":
    main()
