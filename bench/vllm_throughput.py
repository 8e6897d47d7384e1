"""Samples/s of the transformers and vLLM adapters on the tiny model, on the same requests.

Both adapters get the same requests (bench/adapter_throughput.py's: one distinct image each, questions in
eight scripts) and the same weights (the tiny model in the Hub's LLaVA layout, which vLLM reads). The
transformers adapter runs its own batches; the vLLM adapter hands the whole list to the engine (vLLM's
CPU build in its managed environment where `vllm` is not installed here; `tv-eval vllm-env` builds it).
Best of three timed passes after a warm-up pass; model load and engine start-up are timed apart. Both
run in fp32 on CPU; the tiny model's answers run to `--new-tokens` on either side (it rarely stops).

    PYTHONPATH=. python bench/vllm_throughput.py --requests 64 --new-tokens 16
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.adapter_throughput import make_requests
from model_adapters.tiny_random import hub_layout_copy, tiny_model_path
from model_adapters.transformers_adapter import TransformersAdapter
from model_adapters.vllm_adapter import VllmAdapter
from tv_eval.core.adapter import AdapterSettings, ModelAdapter
from tv_eval.core.cache_root import cache_root
from tv_eval.core.types import Request


def tiny_hub_model() -> Path:
    """The tiny model in the Hub's layout, beside the cached tiny model (made once)."""
    target = cache_root() / "models" / "tiny-random-hub-layout"
    if not (target / "config.json").is_file():
        hub_layout_copy(tiny_model_path(), target)
    return target


def best_rate(adapter: ModelAdapter, requests: Sequence[Request]) -> tuple[float, int]:
    """(samples/s of the best of three passes after a warm-up, completion tokens of one pass)."""
    warm = adapter.generate(requests)
    errors = [response.error for response in warm if response.error]
    if errors:
        raise SystemExit(f"{adapter.name}: {len(errors)} requests failed, e.g. {errors[0]}")
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        adapter.generate(requests)
        timings.append(time.perf_counter() - start)
    return len(requests) / min(timings), sum(response.completion_tokens or 0 for response in warm)


def measure(name: str, build: Callable[[], ModelAdapter], requests: Sequence[Request]) -> None:
    start = time.perf_counter()
    adapter = build()
    loaded = time.perf_counter() - start
    rate, tokens = best_rate(adapter, requests)
    adapter.close()
    print(
        f"{name:<13} {rate:8.1f} samples/s  {rate * tokens / len(requests):9.1f} tokens/s  "
        f"(load {loaded:.1f} s, {tokens} completion tokens per pass)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--enforce-eager", action="store_true", help="vLLM without torch.compile")
    args = parser.parse_args(argv)

    folder = str(tiny_hub_model())
    requests = make_requests(args.requests, args.new_tokens)
    print(f"{args.requests} requests, 1 image each, {args.new_tokens} new tokens, fp32 on CPU")
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    settings = AdapterSettings(model_id=folder, device="cpu", dtype="float32")
    measure("transformers", lambda: TransformersAdapter(settings), requests)
    options = {"enforce_eager": "true"} if args.enforce_eager else {}
    vllm_settings = AdapterSettings(model_id=folder, device="cpu", dtype="float32", options=options)
    measure("vllm", lambda: VllmAdapter(vllm_settings), requests)
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
