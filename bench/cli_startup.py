"""How long the light commands take, and what a model run costs before and after its work.

    python bench/cli_startup.py [--runs 9]

Times whole processes, as a user meets them: `tv-eval --help`, `tv-eval list tasks` (once its listing
is kept, see tv_eval/cli/task_listing.py) and `tv-eval list models` (min/median/max of the runs); then
the floor every transformers harness pays on this machine, one process that only imports
transformers' model and processor classes and loads the tiny LLaVA, ended normally and ended with
`os._exit` (the difference is the interpreter's teardown, which the console script skips after its
work, see tv_eval/core/quick_exit.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import compile_project

FLOOR = """
import os, sys
from transformers import AutoModelForImageTextToText, AutoProcessor
AutoProcessor.from_pretrained(sys.argv[1])
AutoModelForImageTextToText.from_pretrained(sys.argv[1])
if sys.argv[2] == "quick":
    sys.stdout.flush()
    os._exit(0)
"""


def timed(command: list[str], runs: int) -> list[float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    tv_eval = str(Path(sys.executable).parent / "tv-eval")
    compile_project()
    print("| command | seconds (min / median / max) |\n|---|---|")
    timed([tv_eval, "list", "tasks"], 1)  # keeps the task listing, as a user's first listing does
    for words in (["--help"], ["list", "tasks"], ["list", "models"]):
        print(f"| `tv-eval {' '.join(words)}` | {spread(timed([tv_eval, *words], args.runs))} |")
    from model_adapters.tiny_random import build_tiny_model

    model = Path(tempfile.mkdtemp(prefix="tv-eval-startup-")) / "tiny-llava"
    build_tiny_model(model)
    for ending in ("normal", "quick"):
        seconds = timed([sys.executable, "-c", FLOOR, str(model), ending], max(3, args.runs // 3))
        print(f"| transformers import and tiny model load, {ending} exit | {spread(seconds)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
