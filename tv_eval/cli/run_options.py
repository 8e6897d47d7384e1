"""`tv-eval run`'s options: their types and help texts, and the parsers that check their values.

Kept apart from the command itself (run_command.py), which turns the checked values into a RunConfig.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tv_eval.cli.common import fail

DEVICES_HELP = "auto, cpu or cuda[:N]"
DTYPES = ("auto", "bfloat16", "float16", "float32")

ModelOption = Annotated[
    str | None,
    typer.Option(help="Model alias (`tv-eval list models`), hf:<hub-id-or-path> or openai:<model>."),
]
TasksOption = Annotated[
    str | None, typer.Option(help="Comma-separated task and suite names (`tv-eval list tasks`).")
]
LanguagesOption = Annotated[str | None, typer.Option(help="Only these languages (BCP-47, comma-separated).")]
TiersOption = Annotated[str | None, typer.Option(help="Only these tiers: 0-5, unknown, or high/mid/low.")]
LimitOption = Annotated[
    int | None, typer.Option(min=1, help="At most N samples per task, spread over languages.")
]
BatchSizeOption = Annotated[str, typer.Option(help="Batch size, or 'auto' (halves on out-of-memory).")]
OutputDirOption = Annotated[Path, typer.Option(help="Where run directories are created.")]
DeviceOption = Annotated[str, typer.Option(help=f"{DEVICES_HELP}.")]
DtypeOption = Annotated[str, typer.Option(help="auto, bfloat16, float16 or float32.")]
SeedOption = Annotated[int, typer.Option(help="Seed for sampling and bootstrap intervals.")]
ScoringOption = Annotated[
    str | None,
    typer.Option(
        help="robust, paper or official, where the task has it (`tv-eval list tasks`; "
        "default: each task's own)."
    ),
]
SampleOption = Annotated[bool, typer.Option("--sample", help="Use each task's bundled offline sample.")]
DataDirOption = Annotated[Path | None, typer.Option(help="Read the dataset from this local folder.")]
TierMapOption = Annotated[Path | None, typer.Option(help="TOML/YAML map language -> tier label.")]
TrustOption = Annotated[bool, typer.Option(help="Allow model repositories to run their own code.")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the response cache.")]
CacheDirOption = Annotated[
    Path | None,
    typer.Option(help="Response cache folder (default: $TV_EVAL_CACHE_DIR or the user cache dir)."),
]
ResumeOption = Annotated[
    Path | None,
    typer.Option(help="Continue an interrupted run in this run directory, with its original arguments."),
]
FailureRateOption = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Exit 1 (after writing results) when a larger share of samples failed (judge failures count).",
    ),
]
KeepFailedOption = Annotated[
    bool,
    typer.Option(
        "--keep-failed",
        help="On --resume, keep samples whose generation failed (API errors) instead of asking again.",
    ),
]
DataParallelOption = Annotated[
    str | None,
    typer.Option(
        help="Worker processes, each with its own copy of the model: N, or 'auto' (one per visible GPU, or "
        "per tensor_parallel_size GPUs). They load while the data is read, and answers are read while "
        "they generate; 1 moves the model out of this process for that overlap alone. The driver alone "
        "writes the cache and samples.jsonl."
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        help="Run the workers as actors on this Ray cluster ('auto' or HOST:PORT); with --data-parallel "
        "N|auto (default auto: one per GPU of the cluster)."
    ),
]
BaseUrlOption = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server for openai:<model> (default $OPENAI_BASE_URL).")
]
KeyFileOption = Annotated[
    Path | None, typer.Option(help="File holding the API key (default $OPENAI_API_KEY).")
]
ConcurrencyOption = Annotated[
    int | None, typer.Option(min=1, help="Requests in flight at once for API models (default 8).")
]
FramesOption = Annotated[
    int | None, typer.Option(min=1, help="Frames sampled per video (default: the model's, else the task's).")
]
RevisionOption = Annotated[
    str | None,
    typer.Option(help="Model revision on the Hub (branch, tag or commit; default: main's commit now)."),
]
DataRevisionOption = Annotated[
    str | None, typer.Option(help="Dataset revision on the Hub (branch, tag or commit).")
]
TaskOptionOption = Annotated[
    list[str] | None,
    typer.Option(
        help="TASK.KEY=VALUE, repeatable (e.g. multi30k.test_sets=2016,2017); see the task's README."
    ),
]

ModelOptionOption = Annotated[
    list[str] | None,
    typer.Option(help="KEY=VALUE for the model's adapter, repeatable (e.g. lmms: pretrained=PATH)."),
]

ShardOption = Annotated[
    str | None,
    typer.Option(
        help="i/N: run only shard i (1 to N) of every task's samples, for `tv-eval merge` to combine."
    ),
]


def parse_shard_option(value: str | None) -> str | None:
    """`--shard` checked and written canonically (`i/N`); a bad value is one line, exit 2."""
    from tv_eval.pipeline.shards import ShardSpecError, parse_shard

    if value is None:
        return None
    try:
        return str(parse_shard(value))
    except ShardSpecError as error:
        fail(str(error))


def parse_model_options(values: list[str] | None) -> dict[str, str]:
    """`KEY=VALUE` strings -> {key: value}; later values win."""
    options: dict[str, str] = {}
    for value in values or []:
        key, equals, setting = value.partition("=")
        if not (equals and key.strip()):
            fail(f"--model-option must look like KEY=VALUE, got {value!r}")
        options[key.strip()] = setting
    return options


def parse_data_parallel(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    fail(f"--data-parallel must be a positive integer or 'auto', got {value!r}")


def parse_batch_size(value: str) -> int | None:
    if value == "auto":
        return None
    if value.isdigit() and int(value) > 0:
        return int(value)
    fail(f"--batch-size must be a positive integer or 'auto', got {value!r}")


def parse_task_options(values: list[str] | None) -> dict[str, dict[str, str]]:
    """`TASK.KEY=VALUE` strings -> {task: {key: value}}; later values win."""
    options: dict[str, dict[str, str]] = {}
    for value in values or []:
        target, equals, setting = value.partition("=")
        task, dot, key = target.partition(".")
        if not (equals and dot and task.strip() and key.strip()):
            fail(f"--task-option must look like TASK.KEY=VALUE, got {value!r}")
        options.setdefault(task.strip(), {})[key.strip()] = setting
    return options


BackendOption = Annotated[
    str | None,
    typer.Option(
        help="The adapter that runs the model, over the alias's choice (e.g. vllm, transformers). Aliases "
        "such as towervision-9b pick vllm where it is installed and the device is CUDA, else transformers."
    ),
]
