"""How long the light commands take, and what a model run costs before and after its work.

    python bench/cli_startup.py [--runs 9] [--busy 2]

Times whole processes, as a user meets them: `tv-eval --help`, `tv-eval list tasks` (once its listing
is kept, see tv_eval/cli/task_listing.py) and `tv-eval list models` (min/median/max of the runs); then
the floor every transformers harness pays on this machine, one process that only imports
transformers' model and processor classes and loads the tiny LLaVA, ended normally and ended with
`os._exit` (the difference is the interpreter's teardown, which the console script skips after its
work, see tv_eval/core/quick_exit.py).

`--busy N` keeps N processes spinning on the CPU while the light commands are timed, the busy machine a
user meets when a test suite or another run shares it (the floor is timed after they stop).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bytecode import compile_project
from transformers_floor import floor_seconds


def timed(command: list[str], runs: int) -> list[float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


@contextmanager
def busy(processes: int) -> Iterator[None]:
    """`processes` interpreters spinning until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--busy", type=int, default=0, help="CPU-spinning processes while light commands run")
    args = parser.parse_args()
    tv_eval = str(Path(sys.executable).parent / "tv-eval")
    compile_project()
    print("| command | seconds (min / median / max) |\n|---|---|")
    timed([tv_eval, "list", "tasks"], 1)  # keeps the task listing, as a user's first listing does
    load = f", {args.busy} CPU-spinning processes beside it" if args.busy else ""
    with busy(args.busy):
        for words in (["--help"], ["list", "tasks"], ["list", "models"]):
            print(f"| `tv-eval {' '.join(words)}`{load} | {spread(timed([tv_eval, *words], args.runs))} |")
    from model_adapters.tiny_random import build_tiny_model

    model = Path(tempfile.mkdtemp(prefix="tv-eval-startup-")) / "tiny-llava"
    build_tiny_model(model)
    for quick in (False, True):
        seconds = [floor_seconds(sys.executable, model, quick=quick) for _ in range(max(3, args.runs // 3))]
        ending = "quick" if quick else "normal"
        print(f"| transformers import and tiny model load, {ending} exit | {spread(seconds)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
