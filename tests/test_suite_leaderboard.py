"""The suite leaderboard: one column per member task and the macro average, recomputed by hand.

Runs are written through the core's own aggregation (tests/run_factory.py) with the suite recorded
on their tasks, as `tv-eval run --tasks towervision` records it. Every expected number below is
computed here from samples.jsonl alone: per task, the mean over languages of the per-language means;
per model, the unweighted mean of those over the suite's tasks.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import records_of, run_cli
from tests.run_factory import synthetic_records, write_run
from tv_eval.core.metrics import MetricKind, MetricScale, MetricSpec
from tv_eval.core.types import SampleStatus
from tv_eval.data.suites import suites

SUITE = "towervision"
MEMBERS = suites()[SUITE].task_names
# A 0-100 metric on one member: the suite table must bring it onto the 0-1 scale like the others.
PERCENT_TASK = MEMBERS[1]
PERCENT_SPEC = MetricSpec("points", MetricKind.SEGMENT, scale=MetricScale.PERCENT, primary=True)


def _records(task: str, skill: float, seed: int) -> list:
    records = synthetic_records(
        {"en": skill, "de": skill - 0.2, "sw": skill - 0.4}, per_language=20, seed=seed, task=task
    )
    if task != PERCENT_TASK:
        return records
    return [
        replace(record, scores={"points": record.scores["accuracy"] * 100.0})
        if record.status is SampleStatus.SCORED
        else record
        for record in records
    ]


def _overrides(tasks: list[str], suite: str | None) -> dict:
    overrides: dict = {task: ({"suite": suite} if suite else {}) for task in tasks}
    if PERCENT_TASK in overrides:
        overrides[PERCENT_TASK]["metrics"] = [PERCENT_SPEC]
    return overrides


def _write(run_dir: Path, model: str, tasks: list[str], suite: str | None, skill: float) -> Path:
    by_task = {task: _records(task, skill, seed=index) for index, task in enumerate(tasks)}
    return write_run(run_dir, model, by_task, task_overrides=_overrides(tasks, suite))


def _hand_task_means(run_dir: Path) -> dict[str, float]:
    """task -> mean over languages of the per-language mean, on the 0-1 scale, from samples.jsonl."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records_of(run_dir):
        for name, value in record["scores"].items():
            values[record["task"]][record["language"]].append(value / 100.0 if name == "points" else value)
    return {
        task: sum(sum(v) / len(v) for v in languages.values()) / len(languages)
        for task, languages in values.items()
    }


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> dict:
    root = tmp_path_factory.mktemp("suite-board")
    runs = {
        "full": _write(root / "runs" / "run-full", "model-full", MEMBERS, SUITE, 0.9),
        "partial": _write(root / "runs" / "run-partial", "model-partial", MEMBERS[:-1], SUITE, 0.8),
        # Every member, but the last one run alone: it must not count towards the suite.
        "outside": _write(root / "runs" / "run-outside", "model-outside", MEMBERS[:-1], SUITE, 0.7),
        "outside-alone": _write(root / "alone" / "run-alone", "model-outside", MEMBERS[-1:], None, 0.7),
        # Recorded under the suite by an older definition of it.
        "older": _write(root / "runs" / "run-older", "model-older", [MEMBERS[0], "retired_task"], SUITE, 0.6),
    }
    output = root / "out"
    result = run_cli(
        ["leaderboard", str(root / "runs"), str(runs["outside-alone"]), "--output", str(output)],
        tv_eval_cache,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return {
        "runs": runs,
        "stdout": result.stdout,
        "json": json.loads((output / "leaderboard.json").read_text(encoding="utf-8")),
        "csv": list(csv.DictReader(io.StringIO((output / "leaderboard.csv").read_text(encoding="utf-8")))),
        "md": (output / "leaderboard.md").read_text(encoding="utf-8"),
        "html": (output / "leaderboard.html").read_text(encoding="utf-8"),
        "plots": {path.name for path in (output / "plots").iterdir()}
        if (output / "plots").is_dir()
        else set(),
    }


def _suite_table(board_json: dict) -> dict:
    (table,) = [table for table in board_json["tables"] if table["key"] == f"suite:{SUITE}"]
    return table


def _row(table: dict, model: str) -> dict[str, dict]:
    (row,) = [row for row in table["rows"] if row["label"] == model]
    return dict(zip(table["columns"], row["cells"], strict=True))


def test_macro_average_is_the_mean_over_tasks_of_the_hand_computed_task_means(board: dict) -> None:
    table = _suite_table(board["json"])
    assert table["columns"] == [*MEMBERS, "macro average"]
    assert board["json"]["suites"] == {SUITE: MEMBERS}
    means = _hand_task_means(board["runs"]["full"])
    row = _row(table, "model-full")
    for task in MEMBERS:
        assert row[task]["value"] == pytest.approx(means[task])
    assert row["macro average"]["value"] == pytest.approx(sum(means[t] for t in MEMBERS) / len(MEMBERS))
    assert row["macro average"]["ci95"] is None


def test_a_model_lacking_a_task_gets_no_macro_average_and_a_note(board: dict) -> None:
    table = _suite_table(board["json"])
    for model in ("model-partial", "model-outside"):
        row = _row(table, model)
        assert row["macro average"]["value"] is None
        assert row["macro average"]["text"] == f"n/a: 1 of {len(MEMBERS)} tasks missing"
        assert row[MEMBERS[-1]]["value"] is None
        note = (
            f"{SUITE}: {model} lacks {MEMBERS[-1]} (no scored run of them under the suite): no macro average."
        )
        assert note in board["json"]["notes"]
    overall = next(table for table in board["json"]["tables"] if table["key"] == "overall")
    assert _row(overall, "model-outside")[MEMBERS[-1]]["value"] is not None
    partial = _hand_task_means(board["runs"]["partial"])
    assert _row(table, "model-partial")[MEMBERS[0]]["value"] == pytest.approx(partial[MEMBERS[0]])


def test_every_format_carries_the_suite_table(board: dict) -> None:
    macro = _row(_suite_table(board["json"]), "model-full")["macro average"]["value"]
    (line,) = [
        line
        for line in board["csv"]
        if line["table"] == f"suite:{SUITE}"
        and line["row"] == "model-full"
        and line["column"] == "macro average"
    ]
    assert float(line["value"]) == pytest.approx(macro)
    percent = f"{macro * 100:.1f}"
    assert f"Suite {SUITE}" in board["md"] and percent in board["md"]
    assert "n/a: 1 of" in board["md"]
    assert f'data-key="suite:{SUITE}"' in board["html"] and percent in board["html"]
    assert f"Suite {SUITE}" in board["stdout"] and "macro average" in board["stdout"]
    if board["plots"]:
        assert f"{SUITE}_suite.png" in board["plots"]
        assert 'data-plot="suite"' in board["html"]


def test_suite_option_names_a_suite_the_runs_must_hold(board: dict, tv_eval_cache: Path) -> None:
    alone = board["runs"]["outside-alone"]
    result = run_cli(["leaderboard", str(alone), "--suite", SUITE, "--format", "md"], tv_eval_cache)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no run holds suite {SUITE} (suites in these runs: none)"
    ]
    plain = run_cli(["leaderboard", str(alone)], tv_eval_cache)
    assert plain.returncode == 0, plain.stderr
    assert "Suite " not in plain.stdout


def test_a_task_recorded_under_the_suite_but_no_longer_a_member_is_left_out_with_a_note(board: dict) -> None:
    table = _suite_table(board["json"])
    assert "retired_task" not in table["columns"]
    row = _row(table, "model-older")
    assert row["macro average"]["text"] == f"n/a: {len(MEMBERS) - 1} of {len(MEMBERS)} tasks missing"
    note = f"{SUITE}: runs recorded retired_task under the suite, which no longer lists them; left out"
    assert f"{note} of its table." in board["json"]["notes"]
