"""Leaderboards of runs whose primary metric is a corpus metric (Multi30K's BLEU), in every format.

The tables re-aggregate each run's samples; a corpus metric is recomputed on the summed segment
statistics its spec declares, so every cell must equal the run's own results.json (on the 0-1 scale
cells keep, 34.2 BLEU -> 0.342) and the plot must have bars.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.run_factory import write_run
from tests.translation_fixtures import drop_words, translation_records
from tv_eval.scoring.sacrebleu_metrics import corpus_spec

BLEU_PRIMARY = {"metrics": (corpus_spec("bleu", primary=True), corpus_spec("chrf"))}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus-board")
    good = translation_records(every=5)
    poor = [replace(r, extracted=drop_words(r.reference, 2)) for r in good]
    return {
        name: write_run(root / name, name, {"multi30k": records}, task_overrides={"multi30k": BLEU_PRIMARY})
        for name, records in (("good", good), ("poor", poor))
    }


def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text(encoding="utf-8"))["tasks"]["multi30k"]


def test_bleu_cells_and_plots_are_filled_in_every_format(
    runs: dict[str, Path], tmp_path: Path, tv_eval_cache: Path
) -> None:
    output = tmp_path / "board"
    result = run_cli(
        [
            "leaderboard",
            str(runs["good"]),
            str(runs["poor"]),
            "--output",
            str(output),
            "--format",
            "md,csv,json,png",
        ],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    board = json.loads((output / "leaderboard.json").read_text(encoding="utf-8"))
    tables = {table["key"]: table for table in board["tables"]}
    overall = {row["label"]: row["cells"][0] for row in tables["overall"]["rows"]}
    for name in ("good", "poor"):
        expected = _results(runs[name])["overall"]["bleu_macro"]
        assert overall[name]["value"] == pytest.approx(expected["value"] / 100)
        assert overall[name]["n"] == expected["n"] == 90
        languages = tables["languages:multi30k"]
        row = next(row for row in languages["rows"] if row["label"] == name)
        for column, cell in zip(languages["columns"], row["cells"], strict=True):
            value = _results(runs[name])["by_language"][column]["metrics"]["bleu"]["value"]
            assert cell["value"] == pytest.approx(value / 100)
    assert overall["good"]["best"] and not overall["poor"]["best"]
    markdown = (output / "leaderboard.md").read_text(encoding="utf-8")
    good_bleu = _results(runs["good"])["overall"]["bleu_macro"]["value"]
    assert f"{good_bleu:.1f}" in markdown
    with (output / "leaderboard.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["table"] == "overall" and row["row"] == "good"]
    assert float(rows[0]["value"]) == pytest.approx(good_bleu / 100)
    plots = sorted(path.name for path in (output / "plots").glob("*.png"))
    assert "multi30k_tiers.png" in plots
    assert "[" in result.stdout and f"{good_bleu:.1f}" in result.stdout
    assert any(note.startswith("multi30k: no transfer view or wins for bleu") for note in board["notes"])


def test_transfer_of_a_corpus_metric_says_why_it_cannot(runs: dict[str, Path], tv_eval_cache: Path) -> None:
    result = run_cli(["transfer", str(runs["good"])], tv_eval_cache)
    assert result.returncode == 2
    assert "needs a per-sample primary metric" in result.stderr
