"""results.json: assembling it from aggregates and checking it against the committed schema."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from tv_eval.core.metrics import MetricSpec, primary_spec

if TYPE_CHECKING:
    from tv_eval.core.task import Task

SCHEMA_VERSION = "1"


class ResultsSchemaError(ValueError):
    """results.json content that does not match tv_eval/schemas/results.schema.json."""


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    return json.loads(
        (resources.files("tv_eval") / "schemas" / "results.schema.json").read_text(encoding="utf-8")
    )


def validate_results(results: Mapping[str, Any]) -> None:
    import jsonschema

    try:
        jsonschema.validate(instance=results, schema=results_schema())
    except jsonschema.ValidationError as error:
        location = "/".join(str(part) for part in error.absolute_path)
        raise ResultsSchemaError(f"results.json invalid at /{location}: {error.message}") from error


def build_results(
    run_record: Mapping[str, Any], tasks: Mapping[str, Task], aggregates: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    task_blocks = {}
    for name, aggregate in aggregates.items():
        task = tasks[name]
        task_run = run_record["tasks"][name]
        specs = task.metric_specs(task_run["scoring"])
        task_blocks[name] = {
            "description": task.description,
            "scoring": task_run["scoring"],
            "scoring_note": task.protocol_notes.get(task_run["scoring"], ""),
            "primary_metric": primary_spec(specs).name,
            "metrics": [spec.to_json() for spec in specs],
            "prompts_hash": task_run["prompts_hash"],
            "dataset": task_run["dataset"],
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
