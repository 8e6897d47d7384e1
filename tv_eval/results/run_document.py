"""run.json and the run configuration it records, as typed documents.

`RunConfig` is everything `tv-eval run` was asked for; run.json keeps it under `config`, and
`--resume` rebuilds it with `model_validate`, so a resumed run asks exactly the same questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PlainSerializer, ValidationError

from tv_eval.core.io import read_json
from tv_eval.core.urls import redact_url
from tv_eval.results.document import DatasetRecord

RUN_FILE = "run.json"
RESULTS_FILE = "results.json"

# A server address as given (the adapter needs its credentials), written with them redacted.
ServerUrl = Annotated[
    str | None, PlainSerializer(lambda url: redact_url(url) if url else url, when_used="json")
]


class JudgeOptions(BaseModel):
    """The judge as asked for on the command line; device and seed follow the run's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    base_url: ServerUrl = None
    api_key_file: Path | None = None
    prices: Path | None = None
    cache: Path | None = None
    concurrency: int | None = Field(default=None, ge=1)


class RunConfig(BaseModel):
    """One `tv-eval run`. `tiers` are resolved tier labels; `tier_map` is the user map's file, if any.

    `resume_dir`, `retry_failed`, `use_cache`, `cache_dir`, `data_parallel` and `ray_address` belong to
    one invocation, not to the run: they are never restored from run.json (how many workers answered
    changes no answer, so a run may resume with another number). `retry_failed`: on resume, ask the
    model again for samples whose generation failed (API errors), rather than keeping their failures.

    `tasks` is --tasks with its suites expanded; `suites`, `task_scoring` and `task_languages` record
    what those suites set (their task options are merged into `task_options` under the user's), so a
    resumed run asks the same questions even after the suites file changed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    tasks: tuple[str, ...] = Field(min_length=1)
    output_dir: Path = Path("results")
    languages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    tier_map: Path | None = None
    limit: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    device: str = "auto"
    dtype: str = "auto"
    seed: int = 0
    scoring: str | None = None
    use_sample: bool = False
    data_dir: Path | None = None
    trust_remote_code: bool = False
    base_url: ServerUrl = None
    api_key_file: Path | None = None
    concurrency: int | None = Field(default=None, ge=1)
    video_frames: int | None = Field(default=None, ge=1)
    revision: str | None = None
    data_revision: str | None = None
    judge: JudgeOptions | None = None
    task_options: dict[str, dict[str, str]] = Field(default_factory=dict)
    suites: dict[str, str] = Field(default_factory=dict, description="task -> the suite it runs under")
    task_scoring: dict[str, str] = Field(default_factory=dict, description="task -> its suite's scoring mode")
    task_languages: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="task -> the languages its suite runs it on"
    )
    model_options: dict[str, str] = Field(default_factory=dict)
    max_failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    data_parallel: Annotated[int, Field(ge=1)] | Literal["auto"] | None = Field(default=None, exclude=True)
    ray_address: str | None = Field(default=None, exclude=True)
    use_cache: bool = Field(default=True, exclude=True)
    cache_dir: Path | None = Field(default=None, exclude=True)
    resume_dir: Path | None = Field(default=None, exclude=True)
    retry_failed: bool = Field(default=True, exclude=True)
    shard: str | None = Field(
        default=None, description="`i/N`: this run is shard i (1-based) of N (tv_eval/pipeline/shards.py)"
    )
    # --backend: the adapter that runs the model, over the alias's (tv_eval/core/backends.py).
    backend: str | None = None

    @property
    def adapter_options(self) -> dict[str, Any]:
        """What adapters take beyond the common settings: the API options and `--model-option`s."""
        return {**api_options(self.base_url, self.api_key_file, self.concurrency), **self.model_options}


def api_options(base_url: str | None, api_key_file: Path | None, concurrency: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if base_url:
        options["base_url"] = base_url
    if api_key_file:
        options["api_key_file"] = str(api_key_file)
    if concurrency:
        options["max_concurrency"] = concurrency
    return options


class TaskRun(BaseModel):
    model_config = ConfigDict(extra="allow")

    scoring: str
    prompts_hash: str
    dataset: DatasetRecord
    num_samples: NonNegativeInt | None = None
    suite: str | None = None


class RunModel(BaseModel):
    """The evaluated model's identity (the adapter's fields beyond these are kept as they are)."""

    model_config = ConfigDict(extra="allow")

    name: str
    adapter: str
    model_id: str
    revision: str | None = None


class GenerationCounts(BaseModel):
    generated: NonNegativeInt
    from_cache: NonNegativeInt
    model_loaded: bool


RunStatus = Literal["running", "interrupted", "complete"]


class RunRecord(BaseModel):
    """run.json. Only keys that were set are written, so a record keeps the shape it was built with."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    run_id: str
    status: RunStatus
    created: str | None = None
    smoke_run: bool = False
    notice: str | None = None
    model: RunModel
    tasks: dict[str, TaskRun]
    config: RunConfig | None = None
    task_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    seed: int = 0
    tier_map: str
    cache: str | None = None
    environment: dict[str, Any] = Field(default_factory=dict)
    resumed: list[str] = Field(default_factory=list)
    judge: dict[str, Any] | None = None
    generation: GenerationCounts | None = None
    timings: dict[str, float] | None = None
    execution: dict[str, Any] | None = None
    rescored: list[str] = Field(default_factory=list)
    repaired: list[dict[str, Any]] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)
    task_sample_ids: dict[str, list[str]] | None = Field(
        default=None,
        description="A shard's: each task's whole selection (all shards), in an unsharded run's order",
    )
    merged_from: list[dict[str, Any]] = Field(
        default_factory=list, description="A merged run's shards: run id, shard and directory of each"
    )

    def to_json(self) -> dict[str, Any]:
        document = self.model_dump(mode="json", exclude_unset=True)
        if self.config is not None:
            document["config"] = self.config.model_dump(mode="json")
        return document


def validation_summary(error: ValidationError) -> str:
    """A pydantic error in one line: where the first problem is, what it is, how many more there are."""
    problems = error.errors()
    if not problems:
        return str(error).splitlines()[0]
    where = ".".join(str(part) for part in problems[0]["loc"]) or "the document"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {problems[0]['msg']}{more}"


def read_run_record(run_dir: Path) -> RunRecord:
    """run.json of a run directory; raises OSError, ValueError (bad JSON) or pydantic's ValidationError."""
    return RunRecord.model_validate(read_json(run_dir / RUN_FILE))
