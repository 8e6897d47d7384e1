"""results.json as a typed document: the pydantic models are the contract, and the committed JSON
Schema (tv_eval/schemas/results.schema.json) is generated from them (see `tv_eval.results.schema_file`).

Values are validated strictly (no "3" for 3, no number where a metric block belongs), so a results
file that reached disk has the shape every reader expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, model_validator

from tv_eval.core.metrics import (
    Aggregation,
    IntervalMethod,
    MetricKind,
    MetricScale,
    MetricSpec,
    primary_spec,
)

if TYPE_CHECKING:
    from tv_eval.core.task import Task

SCHEMA_VERSION = "1"
FACET_PREFIX = "by_"


class ResultsSchemaError(ValueError):
    """results.json content that does not match the results document model."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class MetricResult(_Strict):
    """One number with its sample count and 95% interval (null when it could not be drawn)."""

    value: float | None
    n: NonNegativeInt
    ci95: Annotated[list[float], Field(min_length=2, max_length=2)] | None


Metrics = dict[str, MetricResult]
Grouped = dict[str, Metrics]


class Counts(_Strict):
    total: NonNegativeInt
    scored: NonNegativeInt
    needs_judge: NonNegativeInt
    failed: NonNegativeInt
    excluded: NonNegativeInt
    judge_failed: NonNegativeInt
    needs_reference: NonNegativeInt = 0


class LanguageResult(_Strict):
    name: str | None = None
    script: str | None = None
    tier: str
    tier_group: str | None = None
    counts: Counts
    metrics: Metrics


class DatasetRecord(_Strict):
    """Which data a task ran on; other identity fields a loader records are kept as they are."""

    model_config = ConfigDict(extra="allow")

    dataset_id: str
    split: str
    revision: str | None = None
    fingerprint: str
    source: str
    num_rows: NonNegativeInt | None = None


class MetricInfo(BaseModel):
    """How a metric was computed: its kind and scale, sacrebleu signature or COMET model, errors."""

    model_config = ConfigDict(extra="allow")

    kind: MetricKind
    scale: MetricScale
    signature: str | None = None
    signatures: dict[str, str] | None = None
    model: str | None = None
    error: str | None = None


class MetricSpecRecord(BaseModel):
    """A metric spec as results.json states it (tv_eval.core.metrics.MetricSpec)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: MetricKind
    scale: MetricScale
    higher_is_better: bool
    primary: bool
    aggregation: Aggregation
    interval: IntervalMethod
    description: str = ""
    params: dict[str, str] = Field(default_factory=dict)


class TaskJudge(_Strict):
    protocol: str
    parser: str
    prompt_template_hash: str
    judged: NonNegativeInt
    judge_failed: NonNegativeInt
    cache_hits: NonNegativeInt | None = None


def _facets_schema(schema: dict[str, Any]) -> None:
    """Only `by_<facet>` keys may be added to a task block, each a grouped metrics block (in JSON
    Schema a pattern also applies to declared properties, hence by_language's exception)."""
    extra = schema.pop("additionalProperties")
    schema["patternProperties"] = {f"^{FACET_PREFIX}(?!language$)": extra}
    schema["additionalProperties"] = False


class TaskResults(_Strict):
    """One task's block; besides the fixed groups it may hold `by_<facet>` breakdowns."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_facets_schema)
    __pydantic_extra__: dict[str, Grouped] = Field(init=False)

    description: str | None = None
    scoring: str
    scoring_note: str = ""
    primary_metric: str = Field(description="The name of the primary spec in `metrics`.")
    metrics: list[MetricSpecRecord] | None = Field(
        default=None,
        description="The metric specs the task declared, exactly one primary (absent in older documents).",
    )
    prompts_hash: str
    dataset: DatasetRecord
    suite: str | None = Field(default=None, description="The suite the task ran under (`--tasks SUITE`).")
    counts: Counts
    overall: Metrics
    by_language: dict[str, LanguageResult]
    by_tier: Grouped
    by_tier_group: Grouped
    metric_info: dict[str, MetricInfo] | None = None
    failed_metrics: dict[str, str] | None = Field(
        default=None,
        description="Declared metrics a scorer could not compute, with the reason; their values are null.",
    )
    judge: TaskJudge | None = None

    @model_validator(mode="after")
    def _facet_names(self) -> TaskResults:
        wrong = [key for key in self.model_extra or {} if not key.startswith(FACET_PREFIX)]
        if wrong:
            raise ValueError(f"unknown task fields {', '.join(sorted(wrong))} (breakdowns are by_<facet>)")
        return self

    def facets(self) -> dict[str, Grouped]:
        """The `by_<facet>` breakdowns beyond language and tier, keyed by facet name."""
        return {key.removeprefix(FACET_PREFIX): value for key, value in (self.model_extra or {}).items()}


class ModelRecord(_Strict):
    model_config = ConfigDict(extra="allow")

    name: str
    model_id: str
    revision: str | None = None


class Price(_Strict):
    input: float
    output: float


class JudgeUsage(_Strict):
    calls: NonNegativeInt
    cache_hits: NonNegativeInt
    prompt_tokens: NonNegativeInt
    completion_tokens: NonNegativeInt
    estimated_cost_usd: Annotated[float, Field(ge=0)] | None
    price_usd_per_million_tokens: Price | None = None


class JudgeRecord(_Strict):
    model: str
    model_id: str
    revision: str | None = None
    adapter: str
    adapter_version: str
    cache: str | None = None
    usage: JudgeUsage


class ResultsDocument(_Strict):
    """The whole results.json."""

    model_config = ConfigDict(title="tv-eval results.json")

    schema_version: Literal["1"]
    run_id: str = Field(min_length=1)
    smoke_run: bool = False
    seed: int = 0
    tier_map: str
    model: ModelRecord
    tasks: dict[str, TaskResults] = Field(min_length=1)
    judge: JudgeRecord | None = None

    def to_json(self) -> dict[str, Any]:
        """The document as written: the keys it was built with, nothing added."""
        return self.model_dump(mode="json", exclude_unset=True)


def validate_results(results: Mapping[str, Any]) -> ResultsDocument:
    """The typed document, or a ResultsSchemaError naming the first wrong place."""
    try:
        return ResultsDocument.model_validate(results)
    except ValidationError as error:
        first = error.errors()[0]
        location = "/".join(str(part) for part in first["loc"])
        raise ResultsSchemaError(f"results.json invalid at /{location}: {first['msg']}") from error


def build_results(
    run_record: Mapping[str, Any], tasks: Mapping[str, Task], aggregates: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    task_blocks = {}
    for name, aggregate in aggregates.items():
        task = tasks[name]
        task_run = run_record["tasks"][name]
        specs = task.reported_specs(task_run["scoring"])
        task_blocks[name] = {
            "description": task.description,
            "scoring": task_run["scoring"],
            "scoring_note": task.protocol_notes.get(task_run["scoring"], ""),
            "primary_metric": primary_spec(specs).name,
            "metrics": [spec.to_json() for spec in specs],
            "prompts_hash": task_run["prompts_hash"],
            "dataset": task_run["dataset"],
            **({"suite": task_run["suite"]} if task_run.get("suite") else {}),
            **aggregate,
            **_metric_statements(specs, aggregate.get("metric_info", {})),
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_record["run_id"],
        "smoke_run": run_record["smoke_run"],
        "model": {
            "name": run_record["model"]["name"],
            "model_id": run_record["model"]["model_id"],
            "revision": run_record["model"].get("revision"),
        },
        "tier_map": run_record["tier_map"],
        "seed": run_record["seed"],
        "tasks": task_blocks,
    }


def _metric_statements(specs: Sequence[MetricSpec], info: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`metric_info` with each declared metric's kind and scale taken from its spec, and
    `failed_metrics`: the declared metrics a scorer could not compute, with the reason."""
    by_name = {spec.name: spec for spec in specs}
    statements: dict[str, Any] = {}
    if info:
        statements["metric_info"] = {
            metric: {**facts, "kind": by_name[metric].kind.value, "scale": by_name[metric].scale.value}
            if metric in by_name
            else dict(facts)
            for metric, facts in info.items()
        }
    failed = {metric: str(facts["error"]) for metric, facts in info.items() if "error" in facts}
    if failed:
        statements["failed_metrics"] = failed
    return statements
