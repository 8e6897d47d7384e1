"""Samples/s of one process against N worker processes (and, given a cluster, N Ray actors) on the tiny
model, through the real CLI.

    python bench/data_parallel.py [--samples 400] [--workers 2] [--rounds 3] [--ray-address HOST:PORT]

Each configuration answers the same ALM-Bench multiple-choice rows (the bundled sample's, repeated under
new ids) with the tiny LLaVA, one torch thread per worker, no cache, batch size 8; rounds are
interleaved so a change in the machine's load hits every configuration alike. Reported per
configuration (medians over rounds): the wall time of the whole command, run.json's
`generate_and_score_s` and the model loading inside it (`execution.model_ready_s`: the one process, or
every worker, importing torch and loading the model), samples/s with and without that start-up, and
whether every configuration gave the same predictions. On a machine with C cores, N workers can gain at most
min(N, C) over one; worker start-up (each imports torch and loads the model) is paid once per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from alm_mcq_rows import mcq_rows

TV_EVAL = str(Path(sys.executable).parent / "tv-eval")


def run_once(data: Path, output: Path, extra: list[str]) -> tuple[float, float, float, list[str]]:
    """Wall time, generate+score time, loading the model(s) inside it, predictions."""
    command = [TV_EVAL, "run", "--model", "tiny-random", "--tasks", "alm_bench", "--data-dir", str(data)]
    command += ["--device", "cpu", "--batch-size", "8", "--no-cache", "--output-dir", str(output), *extra]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - started
    (run_dir,) = output.iterdir()
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    ready = record["execution"]["model_ready_s"]
    lines = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    predictions = [json.loads(line)["prediction"] for line in lines]
    return wall, record["timings"]["generate_and_score_s"], ready, predictions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ray-address", help="also time N Ray actors on this cluster")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tv-eval-dp-"))
    data = work / "data"
    data.mkdir()
    pq.write_table(mcq_rows(args.samples), data / "test-00000-of-00001.parquet")
    configurations = {"1 process": [], f"{args.workers} processes": ["--data-parallel", str(args.workers)]}
    if args.ray_address:
        configurations[f"{args.workers} Ray actors"] = [
            "--data-parallel", str(args.workers), "--ray-address", args.ray_address,
        ]  # fmt: skip
    measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name in configurations}
    predictions: dict[str, list[str]] = {}
    for round_index in range(args.rounds):
        for name, extra in configurations.items():
            wall, generate, ready, answers = run_once(
                data, work / f"{name}-{round_index}".replace(" ", "_"), extra
            )
            measured[name].append((wall, generate, ready))
            predictions.setdefault(name, answers)
    print(
        f"{args.samples} samples, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores"
    )
    print(
        "| configuration | wall s | generate+score s | of which loading the model(s) s | samples/s | "
        "samples/s after start-up | same predictions |"
    )
    print("|---|---|---|---|---|---|---|")
    reference = predictions["1 process"]
    for name, values in measured.items():
        wall = statistics.median(value[0] for value in values)
        generate = statistics.median(value[1] for value in values)
        ready = statistics.median(value[2] for value in values)
        same = predictions[name] == reference
        print(
            f"| {name} | {wall:.1f} | {generate:.1f} | {ready:.1f} | {args.samples / generate:.1f} | "
            f"{args.samples / (generate - ready):.1f} | {same} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
