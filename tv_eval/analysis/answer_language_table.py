"""The leaderboard's answer-language table: per task that declares `answer_language`, models x (all,
tiers, languages), from the same re-aggregated entries as the primary metric's tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tv_eval.analysis.tables import Cell, ReportTable, mark_best
from tv_eval.core.metrics import ANSWER_LANGUAGE, spec_named, specs_of_task
from tv_eval.data.tiers import TierMap

MACRO = ANSWER_LANGUAGE + "_macro"


def declares_answer_language(task_block: Mapping[str, Any]) -> bool:
    return spec_named(specs_of_task(task_block), ANSWER_LANGUAGE) is not None


def answer_language_table(
    task: str, entries: Mapping[str, Mapping[str, Any]], languages: Sequence[str], tier_map: TierMap
) -> ReportTable:
    """`entries`: model -> its re-aggregated task block. "all" and tiers are means over languages."""
    tiers = [
        tier
        for tier in tier_map.tier_order()
        if any(tier in aggregate["by_tier"] for aggregate in entries.values())
    ]
    rows = []
    for model, aggregate in entries.items():
        by_language = aggregate["by_language"]
        cells = [Cell.from_metric(aggregate["overall"].get(MACRO))]
        cells += [Cell.from_metric(aggregate["by_tier"].get(tier, {}).get(MACRO)) for tier in tiers]
        cells += [
            Cell.from_metric(by_language[code]["metrics"].get(ANSWER_LANGUAGE))
            if code in by_language
            else Cell()
            for code in languages
        ]
        rows.append((model, cells))
    return mark_best(
        ReportTable(
            key=f"answer_language:{task}",
            title=f"{task}: answers in the expected language",
            caption=(
                "Share of identified answers whose every line is in the language the sample expects "
                "(line-level pass rate, Marchisio et al. 2024), in percent, with 95% cluster-bootstrap "
                "intervals; n = identified answers. Answers too short or too uncertain to identify are "
                "left out (counted in results.json as answer_language_unidentified). "
                "'all' and tiers are means over languages."
            ),
            row_header="model",
            columns=["all", *(f"tier {tier}" for tier in tiers), *languages],
            rows=rows,
        )
    )
