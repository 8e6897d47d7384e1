"""The floor every in-process transformers harness pays on this machine: one interpreter that imports
transformers' model and processor classes, loads the tiny LLaVA and ends. No harness that answers with
the model in its own process can finish faster, so a harness's time over this floor is its own cost."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

FLOOR = """
import os, sys
from transformers import AutoModelForImageTextToText, AutoProcessor
AutoProcessor.from_pretrained(sys.argv[1])
AutoModelForImageTextToText.from_pretrained(sys.argv[1])
if sys.argv[2] == "quick":
    sys.stdout.flush()
    os._exit(0)
"""


def floor_seconds(python: Path | str, model: Path, *, quick: bool = True) -> float:
    """One timed floor process under `python`; `quick` ends it with `os._exit`, skipping the
    interpreter's teardown as tv-eval's console script does (see tv_eval/core/quick_exit.py)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run(
        [str(python), "-c", FLOOR, str(model), "quick" if quick else "normal"],
        env=env,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start
