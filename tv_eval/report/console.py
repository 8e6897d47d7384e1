"""Human-readable views of results.json: console tables and the run's leaderboard.md.

Both are rendered from results.json alone, so `tv-eval report RUN_DIR` reproduces them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from tv_eval.core.metrics import spec_named, specs_of_task

TIER_CITATION = "Tiers: Joshi et al. (2020) classes 0-5; groups high (4-5), mid (3), low (0-2)."
JUDGE_HINT = (
    "  {count} answers are open-ended and not scored yet: "
    "`tv-eval score RUN_DIR --judge MODEL` judges them (README: The judge)"
)


def format_metric(metric: Mapping[str, Any] | None, *, scale: float = 100.0) -> str:
    """`61.2 [55.0, 67.1]`: value with its 95% interval, as percentages by default."""
    if not metric or metric.get("value") is None:
        return "-"
    text = f"{metric['value'] * scale:.1f}"
    interval = metric.get("ci95")
    if interval and all(bound == bound for bound in interval):
        text += f" [{interval[0] * scale:.1f}, {interval[1] * scale:.1f}]"
    return text


def display_scale(task: Mapping[str, Any], metric: str) -> float:
    """Factor to show a metric as a percentage, from its spec: 100 for 0-1 values, 1 for 0-100 ones."""
    spec = spec_named(specs_of_task(task), metric.removesuffix("_macro"))
    return 100.0 * (spec.unit_factor if spec is not None else 1.0)


def _rows_language(task: Mapping[str, Any]) -> list[list[str]]:
    metric = task["primary_metric"]
    scale = display_scale(task, metric)
    rows = []
    for code, entry in task["by_language"].items():
        value = entry["metrics"].get(metric)
        counts = entry["counts"]
        rows.append(
            [
                code,
                entry.get("name", ""),
                entry["tier"],
                str(value["n"] if value else 0),
                format_metric(value, scale=scale),
                str(counts.get("needs_judge", 0)),
                str(counts.get("judge_failed", 0)),
                str(counts.get("failed", 0)),
            ]
        )
    return rows


def _rows_grouped(
    group: Mapping[str, Mapping[str, Any]], metric: str, scale: float = 100.0
) -> list[list[str]]:
    rows = []
    for label, metrics in group.items():
        micro = metrics.get(metric)
        rows.append(
            [
                label,
                str(micro["n"] if micro else 0),
                format_metric(micro, scale=scale),
                format_metric(metrics.get(metric + "_macro"), scale=scale),
            ]
        )
    return rows


def _rows_all_metrics(task: Mapping[str, Any], metrics: list[str]) -> list[list[str]]:
    """Overall and per-language values of every metric, for tasks that report a metric suite."""
    groups = [("all", task["overall"])] + [
        (code, entry["metrics"]) for code, entry in task["by_language"].items()
    ]
    return [
        [label, *(format_metric(values.get(name), scale=display_scale(task, name)) for name in metrics)]
        for label, values in groups
    ]


LANGUAGE_HEADER = [
    "language",
    "name",
    "tier",
    "n",
    "{metric} [95% CI]",
    "needs judge",
    "judge failed",
    "failed",
]
GROUP_HEADER = ["{group}", "n", "{metric} micro [95% CI]", "{metric} macro over languages"]


def _task_sections(name: str, task: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    metric = task["primary_metric"]
    scale = display_scale(task, metric)
    overall = task["overall"]
    sections = [
        (
            f"{name}: overall ({task['scoring']} scoring)",
            [h.format(group="", metric=metric) for h in GROUP_HEADER],
            [
                [
                    "all",
                    str(overall.get(metric, {}).get("n", 0)),
                    format_metric(overall.get(metric), scale=scale),
                    format_metric(overall.get(metric + "_macro"), scale=scale),
                ]
            ],
        ),
        (f"{name}: by language", [h.format(metric=metric) for h in LANGUAGE_HEADER], _rows_language(task)),
        (
            f"{name}: by tier",
            [h.format(group="tier", metric=metric) for h in GROUP_HEADER],
            _rows_grouped(task["by_tier"], metric, scale),
        ),
        (
            f"{name}: by tier group",
            [h.format(group="group", metric=metric) for h in GROUP_HEADER],
            _rows_grouped(task["by_tier_group"], metric, scale),
        ),
    ]
    suite = [key for key in task["overall"] if not key.endswith("_macro")]
    if len(suite) > 1:
        sections.append((f"{name}: all metrics", ["", *suite], _rows_all_metrics(task, suite)))
    for key, value in task.items():
        if key.startswith("by_") and key not in ("by_language", "by_tier", "by_tier_group"):
            facet = key[3:]
            sections.append(
                (
                    f"{name}: by {facet.replace('_', ' ')}",
                    [h.format(group=facet, metric=metric) for h in GROUP_HEADER],
                    _rows_grouped(value, metric, scale),
                )
            )
    return sections


def counts_line(task: Mapping[str, Any]) -> str:
    counts = task["counts"]
    return ", ".join(f"{key} {value}" for key, value in counts.items())


def judge_line(results: Mapping[str, Any]) -> str | None:
    """Who judged, at what cost: 'judge openai:gpt-4o (gpt-4o): 120 calls, 30 cached, ... ~$0.42'."""
    judge = results.get("judge")
    if not judge:
        return None
    usage = judge["usage"]
    cost = usage.get("estimated_cost_usd")
    cost_text = f"estimated cost ${cost:.4f}" if cost is not None else "no price known for this model"
    return (
        f"judge {judge['model']} ({judge['model_id']}): {usage['calls']} calls, "
        f"{usage['cache_hits']} from cache, "
        f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion tokens, {cost_text}"
    )


def task_judge_line(task: Mapping[str, Any]) -> str | None:
    judge = task.get("judge")
    if not judge:
        return None
    return (
        f"judged with {judge['protocol']} (parser {judge['parser']}, "
        f"templates {judge['prompt_template_hash']}): "
        f"{judge['judged']} judged, {judge['judge_failed']} judge failed (left unscored)"
    )


def render_console(results: Mapping[str, Any], console: Console, notice: str | None = None) -> None:
    if notice:
        console.print(f"[bold yellow]{notice}[/]")
    console.print(
        f"model [bold]{results['model']['name']}[/] ({results['model']['model_id']}), "
        f"tier map {results['tier_map']}"
    )
    if judge_line(results):
        console.print(judge_line(results), highlight=False)
    for name, task in results["tasks"].items():
        console.print(f"[bold]{name}[/]: {counts_line(task)}")
        if task_judge_line(task):
            console.print(task_judge_line(task), highlight=False)
        if task["counts"].get("needs_judge"):
            console.print(JUDGE_HINT.format(count=task["counts"]["needs_judge"]), highlight=False)
        for metric, info in task.get("metric_info", {}).items():
            if info.get("error"):
                console.print(
                    f"[bold red]{name} {metric} failed (no value):[/] {info['error']}", highlight=False
                )
        for title, header, rows in _task_sections(name, task):
            table = Table()
            for column in header:
                table.add_column(column)
            for row in rows:
                table.add_row(*row)
            console.print(f"[bold]{title}[/]", highlight=False)
            console.print(table)
    console.print(TIER_CITATION)


def describe_metric(info: Mapping[str, Any]) -> str:
    """One line on how a metric was computed: kind, scale, signature or model, and any error."""
    kind = "corpus-level" if info.get("kind") == "corpus" else "mean of segment scores"
    text = f"{kind}, scale {info.get('scale')}"
    if info.get("signature"):
        text += f", `{info['signature']}`"
    if info.get("model"):
        text += f", model `{info['model']}`"
    if info.get("error"):
        text += f"; FAILED: {info['error']}"
    return text


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def leaderboard_markdown(results: Mapping[str, Any]) -> str:
    parts = [f"# tv-eval results: {results['model']['name']}", ""]
    if results.get("smoke_run"):
        parts += [
            "> SMOKE RUN: tiny random-weight model and/or synthetic sample data; "
            "these numbers test the pipeline, not a model.",
            "",
        ]
    parts += [
        f"Model `{results['model']['model_id']}`, run `{results['run_id']}`, "
        f"tier map `{results['tier_map']}`.",
        "Values are percentages with 95% cluster-bootstrap intervals; n is the number of scored samples.",
        "",
    ]
    if judge_line(results):
        parts += [f"{judge_line(results)}.", ""]
    for name, task in results["tasks"].items():
        parts += [
            f"## {name}",
            "",
            f"Scoring: `{task['scoring']}` ({task.get('scoring_note', '')}). Samples: {counts_line(task)}.",
            "",
        ]
        if task_judge_line(task):
            parts += [f"{task_judge_line(task)}.", ""]
        parts += [
            f"- `{metric}`: {describe_metric(info)}" for metric, info in task.get("metric_info", {}).items()
        ]
        if task.get("metric_info"):
            parts.append("")
        for title, header, rows in _task_sections(name, task):
            parts += [f"### {title}", "", _markdown_table(header, rows), ""]
    parts += [TIER_CITATION, ""]
    return "\n".join(parts)
