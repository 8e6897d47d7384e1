"""Commands on finished runs of several models: leaderboards, cross-lingual transfer, the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tv_eval.cli.common import app, fail, split_list, stderr, stdout

LEADERBOARD_FORMATS = ("md", "csv", "json", "html", "png")
TRANSFER_FORMATS = ("md", "csv", "json")


def _formats(value: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = list(split_list(value))
    unknown = [name for name in chosen if name not in allowed]
    if unknown or not chosen:
        fail(f"--format takes a comma-separated list of {', '.join(allowed)}; got {value!r}")
    return chosen


def _load_runs(paths: list[Path]) -> list:
    """The finished runs among `paths`; each leftover run directory skipped is noted on stderr."""
    from rich.markup import escape

    from tv_eval.results.run_loading import RunLoadError, load_runs

    try:
        loaded = load_runs(paths)
    except RunLoadError as error:
        fail(str(error))
    for note in loaded.skipped:
        stderr.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if not loaded.runs:
        fail(f"no finished run directory in {', '.join(str(path) for path in paths)}")
    return loaded.runs


def _load_single_run(path: Path) -> object:
    """A run directory, or a folder holding exactly one finished run (e.g. a fresh `--output-dir`)."""
    runs = _load_runs([path])
    if len(runs) != 1:
        fail(f"{path} holds {len(runs)} finished run directories; name one of them")
    return runs[0]


def _tier_map(path: Path | None) -> object:
    from tv_eval.data.tiers import TierMapError, joshi_tier_map, load_tier_map

    try:
        return load_tier_map(path) if path else joshi_tier_map()
    except TierMapError as error:
        fail(str(error))


def _pivot(value: str) -> str:
    from tv_eval.data.languages import UnknownLanguageError, normalize_language

    try:
        return normalize_language(value)
    except UnknownLanguageError as error:
        fail(f"--pivot: {error}")


def _write_board(board: object, output: Path, formats: list[str], **options: object) -> None:
    """The board's files under `output` (one commit), then what was written."""
    from rich.markup import escape

    from tv_eval.report.files import OutputBusy, write_leaderboard

    try:
        written = write_leaderboard(board, output, formats, **options)
    except OutputBusy as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write to {output}: {error.strerror or error}")
    warnings, paths = written.warnings, written.paths
    for warning in warnings:
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    for path in paths:
        stdout.print(f"wrote {path}", highlight=False, markup=False)


@app.command()
def leaderboard(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Run directories, or folders holding run directories.")
    ],
    output: Annotated[
        Path | None, typer.Option(help="Write leaderboard.{md,csv,json,html} and plots/*.png here.")
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated subset of md,csv,json,html,png.")
    ] = ",".join(LEADERBOARD_FORMATS),
    pivot: Annotated[str, typer.Option(help="Pivot language of the transfer view (BCP-47).")] = "en",
    tier_map: Annotated[Path | None, typer.Option(help="TOML/YAML map language -> tier label.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    suite: Annotated[
        str | None,
        typer.Option(help="Comma-separated suites to show (default: every suite the runs were run under)."),
    ] = None,
) -> None:
    """Merge runs of several models: models x tasks, x tiers, x languages, and cross-lingual transfer;
    per suite the runs were run under, models x member tasks with the macro average over tasks."""
    chosen = _formats(formats, LEADERBOARD_FORMATS)
    pivot_code = _pivot(pivot)
    tier_map_obj = _tier_map(tier_map)
    runs = _load_runs(run_dirs)
    from tv_eval.analysis.leaderboard import build_leaderboard
    from tv_eval.data.suites import SuiteError
    from tv_eval.report.tables import print_table

    suites = None if suite is None else list(split_list(suite))
    try:
        board = build_leaderboard(runs, tier_map=tier_map_obj, pivot=pivot_code, seed=seed, suites=suites)
    except SuiteError as error:
        fail(str(error))
    from rich.markup import escape

    for note in board.notes:
        stdout.print(f"[bold yellow]{escape(note)}[/]", highlight=False)
    for table in board.tables:
        print_table(table, stdout)
    if output is not None:
        _write_board(board, output, chosen)


@app.command()
def transfer(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    run_dir2: Annotated[
        Path | None,
        typer.Argument(help="A second model's run directory: per-language wins against the first."),
    ] = None,
    pivot: Annotated[str, typer.Option(help="Pivot language (BCP-47).")] = "en",
    alpha: Annotated[
        float, typer.Option(min=0.0001, max=0.5, help="1 - confidence level of the intervals.")
    ] = 0.05,
    tier_map: Annotated[Path | None, typer.Option(help="TOML/YAML map language -> tier label.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write transfer.{md,csv,json} here.")] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated subset of md,csv,json.")
    ] = ",".join(TRANSFER_FORMATS),
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
) -> None:
    """Cross-lingual transfer: each language's gap to a pivot, per tier, and model against model."""
    chosen = _formats(formats, TRANSFER_FORMATS)
    pivot_code = _pivot(pivot)
    tier_map_obj = _tier_map(tier_map)
    runs = _load_runs([run_dir] + ([run_dir2] if run_dir2 is not None else []))
    from tv_eval.analysis.leaderboard import build_leaderboard
    from tv_eval.report.files import transfer_tables
    from tv_eval.report.tables import print_table

    board = build_leaderboard(runs, tier_map=tier_map_obj, pivot=pivot_code, confidence=1 - alpha, seed=seed)
    from rich.markup import escape

    if not any(board.profiles.values()):
        fail("the transfer view needs a per-sample primary metric; these runs' tasks have corpus-level ones")
    unpaired_empty = all(p.pivot_value is None for profiles in board.profiles.values() for p in profiles)
    if unpaired_empty and not any(board.paired.values()):
        fail(f"pivot language {pivot_code} has no scored samples in these runs; choose another with --pivot")
    if run_dir2 is not None and not any(board.comparisons.values()):
        fail("the two runs share no task with the same primary metric; nothing to compare")
    for note in board.notes:
        stdout.print(f"[bold yellow]{escape(note)}[/]", highlight=False)
    tables = transfer_tables(board)
    for table in tables:
        print_table(table, stdout)
    for comparisons in board.comparisons.values():
        for comparison in comparisons:
            stdout.print(comparison.summary(), highlight=False, markup=False)
    if output is not None:
        _write_board(board, output, chosen, name="transfer", tables=tables)


MaxDropOption = Annotated[
    float | None, typer.Option(min=0, help="Largest tolerated drop in points (default 1).")
]
AlphaOption = Annotated[float | None, typer.Option(help="Significance level (default 0.05).")]
ByOption = Annotated[str | None, typer.Option(help="Group by task, language or tier (default language).")]
GateFileOption = Annotated[
    Path | None, typer.Option(help="gate.toml: defaults, per-task and per-tier max_drop, identical fields.")
]
MarkdownOption = Annotated[
    Path | None, typer.Option(help="Write the verdict as Markdown here (e.g. $GITHUB_STEP_SUMMARY).")
]
CorrectionOption = Annotated[
    str | None, typer.Option(help="bonferroni (default) or none, over the groups tested.")
]
IdenticalOption = Annotated[
    str | None,
    typer.Option(help="Fields that must not change on any shared sample: prompt,prediction,extracted,..."),
]
ResamplesOption = Annotated[int | None, typer.Option(help="Bootstrap resamples (default 1000).")]
SeedOption = Annotated[int | None, typer.Option(help="Bootstrap seed (default 0).")]
AllowMissingOption = Annotated[
    bool, typer.Option("--allow-missing", help="Do not fail groups the candidate did not evaluate.")
]
AllowUntestedOption = Annotated[
    bool,
    typer.Option(
        "--allow-untested",
        help="Do not fail groups with nothing comparable (no sample has the metric in either run).",
    ),
]
AlsoMetricOption = Annotated[
    str | None,
    typer.Option(
        help="Metrics to test beside each task's primary one where the baseline declares them, "
        "e.g. answer_language (comma-separated)."
    ),
]


def _gate_config(path: Path | None, overrides: dict[str, object]) -> object:
    from tv_eval.analysis.gate_config import UnusableInput, build_config, load_gate_config

    try:
        return build_config(load_gate_config(path) if path is not None else {}, overrides)
    except UnusableInput as error:
        fail(str(error))


def _print_gate(report: object, markdown: Path | None) -> None:
    from tv_eval.analysis.sample_changes import changes_table
    from tv_eval.core.io import atomic_write_text
    from tv_eval.report.gate_markdown import gate_markdown
    from tv_eval.report.tables import print_table

    print_table(report.table(), stdout)
    for line in report.coverage_lines():
        stdout.print(line, highlight=False, markup=False)
    if report.changes:
        print_table(changes_table(report.changes), stdout)
    stdout.print(report.summary(), highlight=False, markup=False)
    if markdown is not None:
        atomic_write_text(markdown, gate_markdown(report))


def _unusable(message: str, markdown: Path | None) -> NoReturn:
    from tv_eval.core.io import atomic_write_text

    if markdown is not None:
        atomic_write_text(markdown, f"## tv-eval regression gate: UNUSABLE INPUT\n\n{message}\n")
    fail(message)


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="The baseline run directory.")],
    candidate: Annotated[Path, typer.Argument(help="The candidate run directory.")],
    max_drop: MaxDropOption = None,
    alpha: AlphaOption = None,
    by: ByOption = None,
    config: GateFileOption = None,
    markdown: MarkdownOption = None,
    correction: CorrectionOption = None,
    identical: IdenticalOption = None,
    resamples: ResamplesOption = None,
    seed: SeedOption = None,
    allow_missing: AllowMissingOption = False,
    allow_untested: AllowUntestedOption = False,
    also_metric: AlsoMetricOption = None,
) -> None:
    """Regression gate, paired bootstrap per group: exit 0 pass, 1 regression or untested, 2 unusable."""
    from tv_eval.analysis.gate import evaluate
    from tv_eval.analysis.gate_config import UnusableInput

    gate_config = _gate_config(
        config,
        {
            "max_drop": max_drop,
            "alpha": alpha,
            "by": by,
            "correction": correction,
            "identical": split_list(identical) if identical is not None else None,
            "n_resamples": resamples,
            "seed": seed,
            "allow_missing": True if allow_missing else None,
            "allow_untested": True if allow_untested else None,
            "also_metrics": tuple(split_list(also_metric)) if also_metric is not None else None,
        },
    )
    baseline_run, candidate_run = _load_single_run(baseline), _load_single_run(candidate)
    try:
        report = evaluate(baseline_run, candidate_run, gate_config)
    except UnusableInput as error:
        _unusable(str(error), markdown)
    _print_gate(report, markdown)
    raise typer.Exit(report.exit_code)
