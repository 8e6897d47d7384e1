"""The paired transfer view as tables, each paired number beside the unpaired one it refines.

Every number says which view it is: `unpaired` columns are today's gap (language mean minus pivot
mean, each over its own items; n = scored samples of the language and of the pivot), `paired`
columns are the same items in both languages (n = pairs).
"""

from __future__ import annotations

from collections.abc import Sequence

from tv_eval.analysis.contrasts import Resampling
from tv_eval.analysis.paired_transfer import PairedGap, PairedProfile, paired_profile
from tv_eval.analysis.tables import Cell, ReportTable
from tv_eval.analysis.transfer import LanguageGap, TierGap, TransferProfile
from tv_eval.core.types import ScoredSample
from tv_eval.data.tiers import TierMap, order_languages

UNPAIRED_COLUMNS = ["unpaired gap", "unpaired n"]
PAIRED_COLUMNS = [
    "paired gap",
    "paired n",
    "target (paired)",
    "pivot (paired)",
    "right in both",
    "only pivot",
    "only target",
    "neither",
    "graded",
    "items without pair",
]
LANGUAGE_COLUMNS = ["tier", *UNPAIRED_COLUMNS, *PAIRED_COLUMNS]
TIER_COLUMNS = [*UNPAIRED_COLUMNS, "paired gap", "paired n", "languages (paired)"]


def _points(value: float, interval: tuple[float, float] | None) -> str:
    text = f"{value * 100:+.1f}"
    if interval is not None and all(bound == bound for bound in interval):
        text += f" [{interval[0] * 100:+.1f}, {interval[1] * 100:+.1f}]"
    return text


def _gap_cell(value: float, interval: tuple[float, float] | None, n: int) -> Cell:
    return Cell(value=value, ci95=interval, n=n, text=_points(value, interval))


def _count(value: int) -> Cell:
    return Cell(value=float(value), text=str(value))


def _unpaired_cells(gap: LanguageGap | TierGap | None, pivot_n: int) -> list[Cell]:
    if gap is None:
        return [Cell(text="-")] * len(UNPAIRED_COLUMNS)
    return [_gap_cell(gap.value, gap.interval, gap.n), Cell(text=f"{gap.n} vs {pivot_n}")]


def _paired_cells(gap: PairedGap | None, unpaired: int) -> list[Cell]:
    if gap is None:
        return [*[Cell(text="-")] * (len(PAIRED_COLUMNS) - 1), _count(unpaired)]
    table = gap.agreement
    return [
        _gap_cell(gap.value, gap.interval, gap.n),
        Cell(value=float(gap.n), text=str(gap.n)),
        Cell(value=gap.target_value, text=f"{gap.target_value * 100:.1f}"),
        Cell(value=gap.pivot_value, text=f"{gap.pivot_value * 100:.1f}"),
        *(_count(value) for value in (table.both, table.only_pivot, table.only_target, table.neither)),
        _count(table.graded),
        _count(gap.unpaired),
    ]


def paired_gap_table(paired: PairedProfile, unpaired: TransferProfile, tier_map: TierMap) -> ReportTable:
    """Rows: the languages with a paired or unpaired gap; the two views side by side."""
    by_language = {gap.language: gap for gap in paired.gaps}
    unpaired_by_language = {gap.language: gap for gap in unpaired.gaps}
    languages = order_languages(
        {*by_language, *paired.unpaired, *unpaired_by_language} - {paired.pivot}, tier_map
    )
    level = f"{paired.confidence * 100:g}%"
    rows = [
        (
            language,
            [
                Cell(text=tier_map.tier_of(language)),
                *_unpaired_cells(unpaired_by_language.get(language), unpaired.pivot_n),
                *_paired_cells(by_language.get(language), paired.unpaired.get(language, 0)),
            ],
        )
        for language in languages
    ]
    return ReportTable(
        key=f"paired_gap:{paired.task}:{paired.model}",
        title=f"{paired.task}: {paired.model}, gap to pivot {paired.pivot}, paired vs unpaired (points)",
        caption=(
            f"Unpaired: language mean minus {paired.pivot} mean over their own items (n = scored samples "
            f"of the language vs of {paired.pivot}; {level} joint cluster bootstrap). Paired "
            f"({', '.join(paired.sources)}): mean of target minus {paired.pivot} over the same items "
            f"(n = pairs; {level} paired bootstrap resampling pairs by image); target and pivot means "
            "on those pairs; agreement counts of pairs with 0/1 verdicts (graded pairs apart); "
            "items without pair have no scored pivot partner (or are not scored themselves)."
        ),
        row_header="language",
        columns=list(LANGUAGE_COLUMNS),
        rows=rows,
        kind="text",
    )


def paired_tier_table(paired: PairedProfile, unpaired: TransferProfile, tier_map: TierMap) -> ReportTable:
    by_tier = {gap.tier: gap for gap in paired.tier_gaps}
    unpaired_by_tier = {gap.tier: gap for gap in unpaired.tier_gaps}
    rows = []
    for tier in tier_map.tier_order():
        gap, other = by_tier.get(tier), unpaired_by_tier.get(tier)
        if gap is None and other is None:
            continue
        paired_cells = (
            [_gap_cell(gap.value, gap.interval, gap.n), _count(gap.n), _count(gap.n_languages)]
            if gap is not None
            else [Cell(text="-")] * 3
        )
        rows.append((f"tier {tier}", [*_unpaired_cells(other, unpaired.pivot_n), *paired_cells]))
    return ReportTable(
        key=f"paired_tier_gap:{paired.task}:{paired.model}",
        title=f"{paired.task}: {paired.model}, mean gap to pivot {paired.pivot} by tier, paired vs unpaired",
        caption=(
            "Mean over the tier's languages of each language's gap (every language weighs the same). "
            "Unpaired n: scored samples of the tier's languages vs of the pivot; paired n: pairs."
        ),
        row_header="tier",
        columns=list(TIER_COLUMNS),
        rows=rows,
        kind="text",
    )


def paired_views(
    runs: Sequence[tuple[Sequence[ScoredSample], TransferProfile]], tier_map: TierMap, resampling: Resampling
) -> tuple[list[PairedProfile], list[ReportTable]]:
    """The paired view of each model (its records and unpaired profile) whose run pairs items with
    the pivot, and its two tables beside the unpaired gaps; models without pairs get none."""
    profiles: list[PairedProfile] = []
    tables: list[ReportTable] = []
    for records, unpaired in runs:
        paired = paired_profile(
            records,
            model=unpaired.model,
            task=unpaired.task,
            metric=unpaired.metric,
            pivot=unpaired.pivot,
            tier_map=tier_map,
            resampling=resampling,
        )
        if paired is not None:
            profiles.append(paired)
            tables.append(paired_gap_table(paired, unpaired, tier_map))
            tables.append(paired_tier_table(paired, unpaired, tier_map))
    return profiles, tables
