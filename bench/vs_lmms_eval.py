"""tv-eval against lmms-eval, end to end, on the same model, rows, prompts and generation length.

    python bench/vs_lmms_eval.py [--sizes 16,200,1000] [--rounds 3] [--lmms-python PATH]
        [--tv-eval-args '--data-parallel 1 --model-option threads=1']

Both harnesses answer ALM-Bench multiple-choice rows (the bundled sample's, repeated under new ids up to
each size) with the locally built tiny LLaVA, greedy, 32 new tokens, one CPU thread each
(OMP_NUM_THREADS=1). tv-eval reads the rows through `--data-dir` in ALM-Bench's schema; lmms-eval
reads a task YAML written here whose `doc_to_text` returns the prompt tv-eval asked, so both ask the
same text. lmms-eval's `llava_hf` runs at batch size 1 (it asserts it) with `device_map=cpu`; tv-eval at
batch size 8. Rounds are interleaved (the order alternates per round), every run is timed as a whole
process, and the predictions of both must be identical, or the script stops.

Each round also times the floor in both environments (bench/transformers_floor.py: import transformers,
load the tiny model, quit). lmms-eval's time over tv-eval's floor is the highest ratio any harness that
loads the model in its own process could reach here: the table prints it beside the ratio measured.

lmms-eval runs in the managed environment of tv-eval's lmms-eval bridge (`tv-eval lmms-env`: lmms-eval
0.7.3 beside the CPU torch, with `decord` and `filelock<4`), built on first use, unless `--lmms-python`
names an interpreter that has it.
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
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from alm_mcq_rows import mcq_rows
from bytecode import compile_project
from transformers_floor import floor_seconds

TASK_NAME = "tv_eval_bench_alm_mcq"
MAX_NEW_TOKENS = 32

TASK_YAML = f"""task: {TASK_NAME}
dataset_path: parquet
dataset_kwargs:
  data_files:
    test: {{data}}
test_split: test
output_type: generate_until
doc_to_visual: !function utils.doc_to_visual
doc_to_text: !function utils.doc_to_text
doc_to_target: answer
generation_kwargs:
  max_new_tokens: {MAX_NEW_TOKENS}
  temperature: 0
  do_sample: false
  num_beams: 1
process_results: !function utils.process_results
metric_list:
  - metric: answered
    aggregation: mean
    higher_is_better: true
"""

# The bench's own three functions for lmms-eval's task loader: the picture, the prompt tv-eval asked,
# and a count of non-empty answers (the comparison is on predictions, not on a score).
TASK_UTILS = """import io

from PIL import Image


def doc_to_visual(doc):
    return [Image.open(io.BytesIO(doc["image"]["bytes"])).convert("RGB")]


def doc_to_text(doc):
    return doc["prompt"]


def process_results(doc, results):
    return {"answered": float(bool(results[0].strip()))}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="16,200,1000", help="comma-separated sample counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lmms-python", type=Path, help="an interpreter with lmms-eval installed")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument(
        "--tv-eval-args",
        default="",
        help="more options for tv-eval, e.g. '--data-parallel 1 --model-option threads=1' (the model in a "
        "worker process of its own, one torch thread as lmms-eval has)",
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="tv-eval-vs-lmms-"))
    work.mkdir(parents=True, exist_ok=True)
    lmms_python = args.lmms_python or lmms_environment()
    compile_project()
    model = tiny_model(work)
    times: dict[tuple[str, int], list[float]] = {}
    for size in sizes:
        prepare_size(work, size, model)
    floors: dict[str, list[float]] = {}
    for round_index in range(args.rounds):
        for harness, python in (("tv-eval", Path(sys.executable)), ("lmms-eval", lmms_python)):
            floors.setdefault(harness, []).append(floor_seconds(python, model))
        for size in sizes:
            order = ("tv-eval", "lmms-eval") if round_index % 2 == 0 else ("lmms-eval", "tv-eval")
            for harness in order:
                seconds = run_harness(
                    harness, work, size, model, lmms_python, round_index, args.tv_eval_args.split()
                )
                times.setdefault((harness, size), []).append(seconds)
                print(f"round {round_index + 1} size {size} {harness}: {seconds:.1f} s", flush=True)
            check_identical(work, size, round_index)
    print_table(times, floors, sizes)
    return 0


def lmms_environment() -> Path:
    """The interpreter of tv-eval's managed lmms-eval environment (built on first use; see the README's
    lmms-eval bridge section for what it pins)."""
    from tv_eval.bridges.lmms_env import ensure_lmms_env

    return Path(ensure_lmms_env().python)


def tiny_model(work: Path) -> Path:
    """The tiny LLaVA folder both harnesses load (tv-eval through `hf:<path>`, lmms-eval as pretrained)."""
    from model_adapters.tiny_random import build_tiny_model

    folder = work / "tiny-llava"
    if not (folder / "config.json").exists():
        build_tiny_model(folder)
    return folder


def prepare_size(work: Path, size: int, model: Path) -> None:
    """tv-eval's data folder for `size`, a first tv-eval run for its prompts, and lmms-eval's task."""
    data = work / f"data-{size}"
    data.mkdir(exist_ok=True)
    rows = mcq_rows(size)
    pq.write_table(rows, data / "test-00000-of-00001.parquet")
    run_harness("tv-eval", work, size, model, None, -1)
    records = {record["sample_id"]: record for record in tv_records(work, size, -1)}
    prompts = [_user_text(records[sample_id]["prompt"]) for sample_id in rows["ID"].to_pylist()]
    lmms_rows = pa.table(
        {"id": rows["ID"], "image": rows["file_name"], "prompt": prompts, "answer": rows["Translated_Answer"]}
    )
    task = work / f"lmms-task-{size}"
    task.mkdir(exist_ok=True)
    pq.write_table(lmms_rows, task / "rows.parquet")
    (task / f"{TASK_NAME}.yaml").write_text(TASK_YAML.format(data=task / "rows.parquet"), encoding="utf-8")
    (task / "utils.py").write_text(TASK_UTILS, encoding="utf-8")


def _user_text(prompt: str) -> str:
    """The question text of a samples.jsonl prompt, which shows the image part as `user: <image>`."""
    prefix = "user: <image>"
    if not prompt.startswith(prefix):
        sys.exit(f"unexpected prompt layout in samples.jsonl: {prompt[:40]!r}")
    return prompt[len(prefix) :]


def run_harness(
    harness: str,
    work: Path,
    size: int,
    model: Path,
    lmms_python: Path | None,
    round_index: int,
    tv_args: Sequence[str] = (),
) -> float:
    """The wall time of one whole harness process; `tv_args` are more options for tv-eval."""
    output = work / f"{harness}-{size}-{round_index}"
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    if harness == "tv-eval":
        command = [
            str(Path(sys.executable).parent / "tv-eval"), "run", "--model", f"hf:{model}",
            "--tasks", "alm_bench", "--data-dir", str(work / f"data-{size}"), "--device", "cpu",
            "--batch-size", "8", "--no-cache", "--output-dir", str(output), *tv_args,
        ]  # fmt: skip
    else:
        command = [
            str(lmms_python), "-m", "lmms_eval", "--model", "llava_hf",
            "--model_args", f"pretrained={model},device_map=cpu,dtype=float32", "--tasks", TASK_NAME,
            "--include_path", str(work / f"lmms-task-{size}"), "--batch_size", "1", "--device", "cpu",
            "--log_samples", "--output_path", str(output),
        ]  # fmt: skip
    start = time.perf_counter()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, cwd=work)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        sys.exit(f"{harness} failed at size {size}:\n{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}")
    return seconds


def tv_records(work: Path, size: int, round_index: int) -> list[dict]:
    (run_dir,) = (work / f"tv-eval-{size}-{round_index}").iterdir()
    with (run_dir / "samples.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def lmms_predictions(work: Path, size: int, round_index: int) -> dict[str, str]:
    """Row id -> answer; lmms-eval's sample log names a row by its position (`doc_id`)."""
    (samples,) = (work / f"lmms-eval-{size}-{round_index}").rglob(f"*{TASK_NAME}*.jsonl")
    ids = pq.read_table(work / f"lmms-task-{size}" / "rows.parquet")["id"].to_pylist()
    predictions = {}
    with samples.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            response = record["filtered_resps"]
            predictions[ids[record["doc_id"]]] = response[0] if isinstance(response, list) else response
    return predictions


def check_identical(work: Path, size: int, round_index: int) -> None:
    """Both harnesses must have answered every row, with the same text (surrounding space aside)."""
    tv_eval = {
        record["sample_id"]: (record["prediction"] or "").strip()
        for record in tv_records(work, size, round_index)
    }
    lmms = {key: value.strip() for key, value in lmms_predictions(work, size, round_index).items()}
    differing = [key for key in tv_eval if tv_eval[key] != lmms.get(key)]
    if len(tv_eval) != size or set(tv_eval) != set(lmms) or differing:
        sys.exit(
            f"size {size}: predictions differ ({len(tv_eval)} tv-eval, {len(lmms)} lmms-eval, "
            f"{len(differing)} different, e.g. {differing[:3]})"
        )


def print_table(
    times: dict[tuple[str, int], list[float]], floors: dict[str, list[float]], sizes: Sequence[int]
) -> None:
    """Per size: both harnesses' times (min/median/max), their ratio per round, and the bound that
    tv-eval's floor sets (lmms-eval's median over it)."""
    floor = statistics.median(floors["tv-eval"])
    print(
        f"\nfloor (transformers import + tiny model load, quick exit), min/median/max: tv-eval's environment "
        f"{_spread(floors['tv-eval'])} s, lmms-eval's {_spread(floors['lmms-eval'])} s"
    )
    print("\n| samples | tv-eval s | lmms-eval s | lmms-eval / tv-eval | bound |")
    print("|---|---|---|---|---|")
    for size in sizes:
        ours, theirs = times[("tv-eval", size)], times[("lmms-eval", size)]
        ratios = [their / our for our, their in zip(ours, theirs, strict=True)]
        print(
            f"| {size} | {_spread(ours)} | {_spread(theirs)} | "
            f"{statistics.median(ratios):.2f}x (per round {min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{statistics.median(theirs) / floor:.2f}x |"
        )


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
