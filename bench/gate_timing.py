"""How long the regression gate takes on two runs of 1,000 samples each.

Writes a baseline and a candidate (ten languages x 100 samples, three questions per image, the
candidate with some answers flipped) through the core's aggregation, then times `tv-eval compare`
as CI runs it (a fresh process, imports included) and the in-process `evaluate` for each grouping:

    python bench/gate_timing.py --samples 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

# The synthetic runs come from the test suite's run factory, which lives beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.run_factory import synthetic_records, write_run
from tv_eval.analysis.gate import evaluate
from tv_eval.analysis.gate_config import GateConfig
from tv_eval.results.run_loading import load_run

LANGUAGES = ("en", "de", "fr", "hi", "bn", "sw", "am", "si", "ku", "yo")


def make_runs(root: Path, samples: int) -> tuple[Path, Path]:
    per_language = samples // len(LANGUAGES)
    skill = {language: 0.8 - 0.05 * index for index, language in enumerate(LANGUAGES)}
    baseline = synthetic_records(skill, per_language=per_language, seed=0)
    generator = random.Random(1)
    candidate = [
        replace(r, scores={"accuracy": 1.0 - r.scores["accuracy"]}) if generator.random() < 0.05 else r
        for r in baseline
    ]
    return (
        write_run(root / "baseline", "model", {"alm_bench": baseline}),
        write_run(root / "candidate", "model", {"alm_bench": candidate}),
    )


def time_cli(baseline: Path, candidate: Path, by: str, repeats: int) -> list[float]:
    executable = Path(sys.executable).parent / "tv-eval"
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(
            [str(executable), "compare", str(baseline), str(candidate), "--by", by],
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - started)
        if result.returncode not in (0, 1):
            raise SystemExit(f"compare failed: {result.stderr}")
    return times


def time_in_process(baseline: Path, candidate: Path, by: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        evaluate(load_run(baseline), load_run(candidate), GateConfig(by=by))
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gate-timing-"))
    try:
        baseline, candidate = make_runs(root, args.samples)
        print(f"two runs of {args.samples} samples, {len(LANGUAGES)} languages, 1000 bootstrap resamples")
        print(f"{'grouping':<10} {'CLI median s':>13} {'CLI min s':>10} {'in-process median s':>20}")
        for by in ("task", "language", "tier"):
            cli = time_cli(baseline, candidate, by, args.repeats)
            inner = time_in_process(baseline, candidate, by, args.repeats)
            cli_median, inner_median = statistics.median(cli), statistics.median(inner)
            print(f"{by:<10} {cli_median:>13.3f} {min(cli):>10.3f} {inner_median:>20.3f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
