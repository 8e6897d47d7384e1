"""Where a run's time goes once the model is loaded: the model's `generate` against everything else.

    python bench/harness_overhead.py [--samples 200] [--batch-size 8]

Runs `tv-eval run` in this process on the tiny LLaVA over ALM-Bench multiple-choice rows (the bundled
sample's, repeated under new ids), one CPU thread, no cache, and times three things: start-up until
the model is loaded (less the import of torch and transformers, timed on its own first), the time
inside the model's `generate`, and the rest after loading (preparing requests, preprocessing,
decoding, scoring, writing), which is reported per sample and as a share of generation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from alm_mcq_rows import mcq_rows
from bytecode import compile_project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--batch-size", default="8")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    compile_project()
    work = Path(tempfile.mkdtemp(prefix="tv-eval-overhead-"))
    started = time.perf_counter()
    import torch  # noqa: F401 - timed: the imports start-up is measured beyond
    import transformers

    imports = time.perf_counter() - started
    from model_adapters.tiny_random import build_tiny_model
    from model_adapters.transformers_adapter import TransformersAdapter
    from tv_eval.cli.main import main as tv_eval_main

    model = work / "tiny-llava"
    build_tiny_model(model)
    data = work / "data"
    data.mkdir()
    pq.write_table(mcq_rows(args.samples), data / "test-00000-of-00001.parquet")

    marks: dict[str, float] = {}
    generating = [0.0]
    original_init = TransformersAdapter.__init__
    original_generate = transformers.GenerationMixin.generate

    def init(self, settings):  # type: ignore[no-untyped-def]
        original_init(self, settings)
        marks["loaded"] = time.perf_counter()

    def generate(self, *positional, **keywords):  # type: ignore[no-untyped-def]
        begin = time.perf_counter()
        try:
            return original_generate(self, *positional, **keywords)
        finally:
            generating[0] += time.perf_counter() - begin

    TransformersAdapter.__init__ = init  # type: ignore[method-assign]
    transformers.GenerationMixin.generate = generate  # type: ignore[method-assign]
    sys.argv = [
        "tv-eval", "run", "--model", f"hf:{model}", "--tasks", "alm_bench", "--data-dir", str(data),
        "--device", "cpu", "--batch-size", args.batch_size, "--no-cache", "--output-dir", str(work / "runs"),
    ]  # fmt: skip
    begin = time.perf_counter()
    try:
        tv_eval_main()
    except SystemExit as exit_status:
        if exit_status.code not in (0, None):
            raise
    ended = time.perf_counter()
    rest = ended - marks["loaded"] - generating[0]
    print(f"imports of torch and transformers: {imports:.2f} s (before the run)")
    print(f"start-up until the model is loaded: {marks['loaded'] - begin:.2f} s")
    print(f"generate: {generating[0]:.2f} s ({1000 * generating[0] / args.samples:.1f} ms a sample)")
    print(
        f"harness after loading: {rest:.2f} s ({1000 * rest / args.samples:.2f} ms a sample, "
        f"{100 * rest / generating[0]:.1f}% of generation)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
