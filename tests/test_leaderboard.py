"""Leaderboard and transfer numbers against values this test computes itself from samples.jsonl.

Two runs with known per-sample scores are written through the core's aggregation (tests/run_factory.py);
the leaderboard is produced through the real CLI and its JSON and CSV are compared cell by cell with
plain arithmetic on the two samples.jsonl files.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.run_factory import LANGUAGES, synthetic_records, write_run
from tv_eval.analysis.leaderboard import build_leaderboard
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.run_loading import load_run

# Joshi et al. (2020) classes of the test languages, written out so the test does not ask the code.
TIERS = {"en": "5", "de": "5", "hi": "4", "bn": "3", "sw": "2", "am": "2", "si": "1", "ku": "0"}
ORDER = ["de", "en", "hi", "bn", "am", "sw", "si", "ku"]
SKILL_A = dict(zip(LANGUAGES, [0.9, 0.85, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3], strict=True))
SKILL_B = dict(zip(LANGUAGES, [0.92, 0.8, 0.75, 0.7, 0.6, 0.5, 0.3, 0.35], strict=True))


def _samples(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def _language_means(samples: list[dict]) -> dict[str, tuple[float, int]]:
    values: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        if "accuracy" in sample["scores"]:
            values[sample["language"]].append(sample["scores"]["accuracy"])
    return {language: (sum(v) / len(v), len(v)) for language, v in values.items()}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("leaderboard")
    run_a = write_run(
        root / "runs" / "run-a",
        "model-a",
        {"alm_bench": synthetic_records(SKILL_A, per_language=30, seed=1, failed_every=10, judge_every=7)},
    )
    run_b = write_run(
        root / "runs" / "run-b", "model-b", {"alm_bench": synthetic_records(SKILL_B, per_language=30, seed=2)}
    )
    return {"a": run_a, "b": run_b, "root": root}


@pytest.fixture(scope="module")
def board_json(runs: dict[str, Path], tv_eval_cache: Path) -> dict:
    output = runs["root"] / "out"
    result = run_cli(
        ["leaderboard", str(runs["a"]), str(runs["b"]), "--output", str(output), "--format", "md,csv,json"],
        tv_eval_cache,
    )
    assert result.returncode == 0, result.stderr
    assert "Models x tasks" in result.stdout
    assert {p.name for p in output.iterdir()} == {"leaderboard.md", "leaderboard.csv", "leaderboard.json"}
    return json.loads((output / "leaderboard.json").read_text(encoding="utf-8"))


def _table(board: dict, key: str) -> dict:
    (table,) = [table for table in board["tables"] if table["key"] == key]
    return table


def _cell(table: dict, row: str, column: str) -> dict:
    (entry,) = [r for r in table["rows"] if r["label"] == row]
    return entry["cells"][table["columns"].index(column)]


def test_language_table_matches_samples(runs: dict[str, Path], board_json: dict) -> None:
    table = _table(board_json, "languages:alm_bench")
    assert table["columns"] == ORDER
    assert table["column_notes"] == [f"tier {TIERS[code]}" for code in ORDER]
    for model, key in (("model-a", "a"), ("model-b", "b")):
        for language, (mean, n) in _language_means(_samples(runs[key])).items():
            cell = _cell(table, model, language)
            assert cell["value"] == pytest.approx(mean)
            assert cell["n"] == n
            assert cell["ci95"][0] <= cell["value"] <= cell["ci95"][1]


def test_overall_and_tier_tables_are_means_over_languages(runs: dict[str, Path], board_json: dict) -> None:
    overall = _table(board_json, "overall")
    tiers = _table(board_json, "tiers:alm_bench")
    groups = _table(board_json, "tier_groups:alm_bench")
    assert tiers["columns"] == ["tier 5", "tier 4", "tier 3", "tier 2", "tier 1", "tier 0"]
    assert groups["columns"] == ["high", "mid", "low"]
    group_of = {"5": "high", "4": "high", "3": "mid", "2": "low", "1": "low", "0": "low"}
    for model, key in (("model-a", "a"), ("model-b", "b")):
        means = _language_means(_samples(runs[key]))
        cell = _cell(overall, model, "alm_bench")
        assert cell["value"] == pytest.approx(_mean([mean for mean, _ in means.values()]))
        assert cell["n"] == sum(n for _, n in means.values())
        for tier in set(TIERS.values()):
            members = [means[code][0] for code in means if TIERS[code] == tier]
            assert _cell(tiers, model, f"tier {tier}")["value"] == pytest.approx(_mean(members))
        for group in ("high", "mid", "low"):
            members = [means[code][0] for code in means if group_of[TIERS[code]] == group]
            assert _cell(groups, model, group)["value"] == pytest.approx(_mean(members))


def test_best_value_per_column_is_marked(board_json: dict) -> None:
    for key in ("overall", "tiers:alm_bench", "languages:alm_bench", "transfer_gap:alm_bench"):
        table = _table(board_json, key)
        for index in range(len(table["columns"])):
            cells = [row["cells"][index] for row in table["rows"]]
            top = max(cell["value"] for cell in cells)
            assert [cell["best"] for cell in cells] == [cell["value"] == top for cell in cells]


def test_transfer_gaps_match_samples(runs: dict[str, Path], board_json: dict) -> None:
    profiles = {profile["model"]: profile for profile in board_json["transfer"]["alm_bench"]}
    for model, key in (("model-a", "a"), ("model-b", "b")):
        means = _language_means(_samples(runs[key]))
        profile = profiles[model]
        assert profile["pivot"] == "en"
        assert profile["pivot_value"] == pytest.approx(means["en"][0])
        gaps = {gap["language"]: gap for gap in profile["gaps"]}
        assert list(gaps) == [code for code in ORDER if code != "en"]
        for language, gap in gaps.items():
            assert gap["value"] == pytest.approx(means[language][0] - means["en"][0])
            assert gap["n"] == means[language][1]
            assert gap["interval"][0] <= gap["value"] <= gap["interval"][1]
        for tier_gap in profile["tier_gaps"]:
            members = [
                means[c][0] - means["en"][0] for c in means if TIERS[c] == tier_gap["tier"] and c != "en"
            ]
            assert tier_gap["value"] == pytest.approx(_mean(members))
            assert tier_gap["n_languages"] == len(members)
        gap_table = _table(board_json, "transfer_gap:alm_bench")
        assert _cell(gap_table, model, "si")["value"] == pytest.approx(gaps["si"]["value"])


def test_model_wins_match_paired_samples(runs: dict[str, Path], board_json: dict) -> None:
    """B minus A over shared ids; a failure counts 0, a sample waiting for a judge is left out."""
    a = {s["sample_id"]: s for s in _samples(runs["a"])}
    b = {s["sample_id"]: s for s in _samples(runs["b"])}

    def score(sample: dict) -> float | None:
        if "accuracy" in sample["scores"]:
            return sample["scores"]["accuracy"]
        return 0.0 if sample["status"] == "failed" else None

    differences: dict[str, list[float]] = defaultdict(list)
    for sample_id, left in a.items():
        if sample_id in b and score(left) is not None and score(b[sample_id]) is not None:
            differences[left["language"]].append(score(b[sample_id]) - score(left))
    (comparison,) = board_json["comparisons"]["alm_bench"]
    assert (comparison["model_a"], comparison["model_b"]) == ("model-a", "model-b")
    assert [row["language"] for row in comparison["languages"]] == ORDER
    for row in comparison["languages"]:
        expected = differences[row["language"]]
        assert row["n"] == len(expected)
        assert row["difference"] == pytest.approx(_mean(expected))
        mean = _mean(expected)
        assert row["winner"] == ("b" if mean > 0 else "a" if mean < 0 else "tie")
        low, high = row["interval"]
        assert row["significant"] == (low > 0 or high < 0)


def test_csv_and_markdown_carry_the_same_numbers(runs: dict[str, Path], board_json: dict) -> None:
    output = runs["root"] / "out"
    rows = list(csv.DictReader((output / "leaderboard.csv").open(encoding="utf-8")))
    overall = _cell(_table(board_json, "overall"), "model-a", "alm_bench")
    (line,) = [r for r in rows if r["table"] == "overall" and r["row"] == "model-a"]
    assert float(line["value"]) == pytest.approx(overall["value"])
    assert int(line["n"]) == overall["n"]
    markdown = (output / "leaderboard.md").read_text(encoding="utf-8")
    assert "### alm_bench: models x languages (ordered by tier)" in markdown
    assert "### alm_bench: gap to pivot en by language (points)" in markdown
    assert f"**{overall['value'] * 100:.1f} [" in markdown or f"| {overall['value'] * 100:.1f} [" in markdown


def test_significant_win_is_found_where_one_model_is_better_everywhere_in_a_language(
    tmp_path: Path,
) -> None:
    base = synthetic_records(SKILL_A, per_language=30, seed=5)
    better = [r if r.language != "si" else replace(r, scores={"accuracy": 1.0}) for r in base]
    run_a = load_run(write_run(tmp_path / "a", "base", {"alm_bench": base}))
    run_b = load_run(write_run(tmp_path / "b", "better", {"alm_bench": better}))
    board = build_leaderboard([run_a, run_b], tier_map=joshi_tier_map(), n_resamples=300)
    (comparison,) = board.comparisons["alm_bench"]
    for win in comparison.languages:
        if win.language == "si":
            assert win.winner == "b" and win.significant and win.value_b == 1.0
        else:
            assert win.winner == "tie" and not win.significant and win.difference.value == 0.0
    assert "better wins 1 (1 significant)" in comparison.summary()


def test_runs_of_one_model_on_one_task_stay_apart_and_protocol_differences_are_noted(tmp_path: Path) -> None:
    records = synthetic_records(SKILL_A, per_language=6, seed=1)
    first = load_run(write_run(tmp_path / "r1", "same", {"alm_bench": records}))
    second = load_run(
        write_run(
            tmp_path / "r2",
            "same",
            {"alm_bench": records},
            task_overrides={"alm_bench": {"scoring": "paper"}},
        )
    )
    board = build_leaderboard([first, second], tier_map=joshi_tier_map(), n_resamples=100)
    assert board.models == ["same@r1", "same@r2"]
    assert any("runs differ in scoring" in note and "paper: same@r2" in note for note in board.notes)


def _hand_record(language: str, index: int, status: SampleStatus, accuracy: float | None) -> ScoredSample:
    return ScoredSample(
        sample_id=f"{language}-{index}",
        task="alm_bench",
        language=language,
        tier="0",  # stale on purpose: the leaderboard takes tiers from its map, not from the record
        status=status,
        prompt="q",
        prediction=None if status is SampleStatus.FAILED else "A",
        reference="A",
        scores={} if accuracy is None else {"accuracy": accuracy},
    )


def test_unscored_samples_neither_count_nor_weigh_in_hand_computed_cells(tmp_path: Path) -> None:
    """Records written here by hand; every expected number is worked out in the comments."""
    scored, failed, waiting, judge_failed = (
        SampleStatus.SCORED,
        SampleStatus.FAILED,
        SampleStatus.NEEDS_JUDGE,
        SampleStatus.JUDGE_FAILED,
    )
    plan = {
        "en": [(scored, 1.0), (scored, 0.0), (waiting, None)],  # 1/2 = 0.5, n 2
        "de": [(scored, 1.0), (scored, 1.0), (scored, 1.0), (scored, 0.0), (scored, 0.0), (failed, None)],
        "sw": [(scored, 1.0), (scored, 1.0), (scored, 0.0), (scored, 1.0), (judge_failed, None)],
    }  # de: 3/5 = 0.6, n 5; sw: 3/4 = 0.75, n 4
    records = [
        _hand_record(language, index, status, accuracy)
        for language, rows in plan.items()
        for index, (status, accuracy) in enumerate(rows)
    ]
    run = load_run(write_run(tmp_path / "hand", "hand", {"alm_bench": records}))
    board = build_leaderboard([run], tier_map=joshi_tier_map(), n_resamples=50)
    languages = board.table("languages:alm_bench")
    assert languages.columns == ["de", "en", "sw"]
    assert [(cell.value, cell.n) for cell in languages.rows[0][1]] == [(0.6, 5), (0.5, 2), (0.75, 4)]
    (overall,) = board.table("overall").rows[0][1]
    assert (overall.value, overall.n) == (pytest.approx((0.6 + 0.5 + 0.75) / 3), 11)
    tiers = board.table("tiers:alm_bench")
    assert tiers.columns == ["tier 5", "tier 2"]
    assert [(cell.value, cell.n) for cell in tiers.rows[0][1]] == [(pytest.approx(0.55), 7), (0.75, 4)]
    groups = board.table("tier_groups:alm_bench")
    assert [(cell.value, cell.n) for cell in groups.rows[0][1]] == [(pytest.approx(0.55), 7), (0.75, 4)]
    (profile,) = board.profiles["alm_bench"]
    assert profile.pivot_value == 0.5
    assert {gap.language: gap.value for gap in profile.gaps} == {
        "de": pytest.approx(0.1),
        "sw": pytest.approx(0.25),
    }


def test_transfer_command_one_and_two_runs(
    runs: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    single = run_cli(["transfer", str(runs["a"])], tv_eval_cache)
    assert single.returncode == 0, single.stderr
    assert "gap to pivot en by language" in single.stdout
    assert "mean gap to pivot en by tier" in single.stdout

    pair = run_cli(
        ["transfer", str(runs["a"]), str(runs["b"]), "--pivot", "de", "--output", str(tmp_path)],
        tv_eval_cache,
    )
    assert pair.returncode == 0, pair.stderr
    assert "model-b vs model-a per language" in pair.stdout
    data = json.loads((tmp_path / "transfer.json").read_text(encoding="utf-8"))
    assert {table["key"].split(":")[0] for table in data["tables"]} == {
        "transfer_gap",
        "transfer_tier_gap",
        "wins",
    }
    means = _language_means(_samples(runs["b"]))
    profile = next(p for p in data["transfer"]["alm_bench"] if p["model"] == "model-b")
    assert profile["pivot"] == "de"
    gap_en = next(g for g in profile["gaps"] if g["language"] == "en")
    assert gap_en["value"] == pytest.approx(means["en"][0] - means["de"][0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["transfer", "{a}", "--pivot", "fr"], "pivot language fr has no scored samples"),
        (["transfer", "{a}", "--pivot", "xq"], "unknown language code 'xq'"),
        (["leaderboard", "{a}", "--format", "md,pdf"], "--format takes a comma-separated list"),
        (["leaderboard", "{missing}"], "is not a directory"),
        (["leaderboard", "{empty}"], "neither a run directory nor a folder of run directories"),
        (["leaderboard", "{partial}"], "missing results.json, samples.jsonl"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    runs: dict[str, Path], tv_eval_cache: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "run.json").write_text("{}")
    paths = {
        "a": runs["a"],
        "missing": tmp_path / "nope",
        "empty": tmp_path / "empty",
        "partial": tmp_path / "partial",
    }
    result = run_cli([arg.format(**paths) for arg in args], tv_eval_cache)
    assert result.returncode == 2, result.stdout
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_copied_run_directory_counts_once_and_says_so(tmp_path: Path) -> None:
    records = synthetic_records(SKILL_A, per_language=4, seed=2)
    original = write_run(tmp_path / "r1", "same", {"alm_bench": records})
    copy = tmp_path / "backup" / "r1"
    shutil.copytree(original, copy)
    other = write_run(
        tmp_path / "r3", "other", {"alm_bench": synthetic_records(SKILL_B, per_language=4, seed=3)}
    )
    board = build_leaderboard(
        [load_run(original), load_run(copy), load_run(other)], tier_map=joshi_tier_map(), n_resamples=100
    )
    assert board.models == ["same", "other"]
    assert f"{copy} is a copy of run r1 ({original}): counted once, from {original}" in board.notes
