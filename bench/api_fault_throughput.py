"""Throughput of `tv-eval run` against an OpenAI-compatible server that fails a share of requests with 500.

Each measurement is a real CLI run (tests/fault_runs.py, hence PYTHONPATH=.) on ALM-Bench's bundled
sample repeated to `rows-per-slot x concurrency` rows, against the local test server answering after
a fixed latency; the adapter's retry policy is the CLI's (backoff from 1 s, full jitter). The rate is
counted by the server: the first 90% of answers over the time since the first request arrived.

    PYTHONPATH=. python bench/api_fault_throughput.py --concurrency 8 64 --fault-rate 0 0.05
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.fault_runs import measure_run, replicated_alm_bench


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--fault-rate", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument("--latency-ms", type=float, default=500.0)
    parser.add_argument("--rows-per-slot", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"server latency {args.latency_ms:g} ms, {args.rows_per_slot} rows per concurrency slot")
    with tempfile.TemporaryDirectory() as folder:
        for concurrency in args.concurrency:
            rows = args.rows_per_slot * concurrency
            data = replicated_alm_bench(Path(folder) / f"data-{rows}", rows)
            clean_rate = None
            for fault_rate in args.fault_rate:
                started = time.perf_counter()
                run = measure_run(
                    data,
                    Path(folder) / f"run-{concurrency}-{fault_rate}",
                    concurrency=concurrency,
                    latency_s=args.latency_ms / 1000,
                    fault_rate=fault_rate,
                )
                wall = time.perf_counter() - started
                if run.result.returncode != 0:
                    raise RuntimeError(f"run failed: {run.result.stderr[-2000:]}")
                clean_rate = clean_rate or run.answers_per_second
                print(
                    f"concurrency {concurrency:>3}, {fault_rate:5.1%} 500s:"
                    f" {run.answers_per_second:7.1f} answers/s"
                    f" ({clean_rate / run.answers_per_second:4.2f}x slower than the first),"
                    f" {run.answered} answers, {run.injected} 500s, max {run.max_in_flight} in flight,"
                    f" run {wall:5.1f} s"
                )


if __name__ == "__main__":
    main()
