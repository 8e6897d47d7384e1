"""`tv-eval run --shard i/N` then `tv-eval merge`, through the real CLI with the tiny model: the merged
run equals an unsharded run of the same command.

The shards answer from their own response cache, not the unsharded run's, so they generate their
answers themselves. The one difference between the merged and the unsharded results.json is
`run_id` (each run directory's name, which results.json and leaderboard.md state); every other byte
is compared.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, records_of, run_cli

pytestmark = pytest.mark.slow

ALM_ARGS = [*TINY_ALM_RUN, "--sample", "--seed", "0"]


def _run(args: list[str], output: Path, cache: Path, responses: Path) -> Path:
    """`tv-eval run ARGS` into a fresh folder of `output`; the run directory it wrote."""
    before = set(output.iterdir()) if output.exists() else set()
    result = run_cli([*args, "--output-dir", str(output), "--cache-dir", str(responses)], cache)
    assert result.returncode == 0, result.stderr
    (run_dir,) = set(output.iterdir()) - before
    return run_dir


def _merge(cache: Path, *args: str | Path):
    return run_cli(["merge", *(str(arg) for arg in args)], cache)


def _without_run_id(run_dir: Path, name: str) -> bytes:
    """A file's bytes with the run's own id (its directory's name) replaced by a fixed word."""
    return (run_dir / name).read_bytes().replace(run_dir.name.encode(), b"RUN_ID")


def _run_json(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def alm(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> dict[str, Path]:
    """An unsharded ALM-Bench run, its three shards (own response cache) and their merge."""
    root = tmp_path_factory.mktemp("shards-alm")
    runs = {"whole": _run(ALM_ARGS, root / "whole", tv_eval_cache, root / "responses-whole")}
    for index in (1, 2, 3):
        runs[f"{index}/3"] = _run(
            [*ALM_ARGS, "--shard", f"{index}/3"], root / "shards", tv_eval_cache, root / "responses-shards"
        )
    merged = _merge(tv_eval_cache, runs["1/3"], runs["2/3"], runs["3/3"], "--output", root / "merged")
    assert merged.returncode == 0, merged.stderr
    runs["merged"] = root / "merged"
    runs["root"] = root
    return runs


def test_merged_results_equal_the_unsharded_run_but_for_its_id(alm: dict[str, Path]) -> None:
    whole, merged = alm["whole"], alm["merged"]
    assert (merged / "results.json").read_bytes() != (whole / "results.json").read_bytes()  # the run ids
    assert _without_run_id(merged, "results.json") == _without_run_id(whole, "results.json")
    assert json.loads((merged / "results.json").read_text())["run_id"] == "merged"
    assert _without_run_id(merged, "leaderboard.md") == _without_run_id(whole, "leaderboard.md")


def test_merged_samples_are_the_unsharded_runs_in_its_order(alm: dict[str, Path]) -> None:
    assert (alm["merged"] / "samples.jsonl").read_bytes() == (alm["whole"] / "samples.jsonl").read_bytes()


def test_the_shards_split_the_samples_and_record_the_whole_selection(alm: dict[str, Path]) -> None:
    whole_ids = [record["sample_id"] for record in records_of(alm["whole"])]
    shard_ids = [[record["sample_id"] for record in records_of(alm[f"{i}/3"])] for i in (1, 2, 3)]
    assert all(ids for ids in shard_ids)
    every = [sample_id for ids in shard_ids for sample_id in ids]
    assert sorted(every) == sorted(whole_ids)
    assert len(set(every)) == len(whole_ids)
    for index in (1, 2, 3):
        record = _run_json(alm[f"{index}/3"])
        assert record["config"]["shard"] == f"{index}/3"
        assert record["task_sample_ids"] == {"alm_bench": whole_ids}
        assert record["tasks"]["alm_bench"]["num_samples"] == len(shard_ids[index - 1])
        assert record["generation"]["generated"] == len(shard_ids[index - 1])


def test_the_merged_run_json_names_its_shards(alm: dict[str, Path]) -> None:
    record = _run_json(alm["merged"])
    assert record["status"] == "complete"
    assert record["config"]["shard"] is None
    assert "task_sample_ids" not in record
    assert record["tasks"]["alm_bench"]["num_samples"] == 105
    assert [(shard["run_id"], shard["shard"]) for shard in record["merged_from"]] == [
        (alm[f"{i}/3"].name, f"{i}/3") for i in (1, 2, 3)
    ]
    assert record["generation"]["generated"] == 105


def test_the_merged_run_is_an_ordinary_run(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    """`score` re-aggregates it (its counts agree with its samples) to the same results."""
    copy = tmp_path / "merged"
    shutil.copytree(alm["merged"], copy)
    before = (copy / "results.json").read_bytes()
    result = run_cli(["score", str(copy)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    assert (copy / "results.json").read_bytes() == before


def test_shards_given_in_any_order_merge_alike(
    alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    result = _merge(tv_eval_cache, alm["3/3"], alm["1/3"], alm["2/3"], "--output", tmp_path / "merged")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "merged" / "samples.jsonl").read_bytes() == (
        alm["whole"] / "samples.jsonl"
    ).read_bytes()


def _refused(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    for fragment in fragments:
        assert fragment in message, message


def test_a_missing_shard_is_named(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    result = _merge(tv_eval_cache, alm["1/3"], alm["3/3"], "--output", tmp_path / "out")
    _refused(result, "missing shard 2/3")
    assert not (tmp_path / "out").exists()


def test_a_shard_given_twice_is_refused(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    result = _merge(tv_eval_cache, alm["1/3"], alm["2/3"], alm["2/3"], alm["3/3"], "--output", tmp_path / "o")
    _refused(result, "shard 2/3 is given twice")


def _copy(run_dir: Path, into: Path) -> Path:
    return Path(shutil.copytree(run_dir, into / run_dir.name))


def _edit_run_json(run_dir: Path, change) -> None:
    record = _run_json(run_dir)
    change(record)
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")


def test_a_sample_in_two_shards_is_refused(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    """Overlaps are errors, even when both records are the same answer: no split made by --shard has
    one, so picking either record would hide shards that do not come from one split."""
    second = _copy(alm["2/3"], tmp_path)
    stray = (alm["1/3"] / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0]
    with (second / "samples.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(stray + "\n")
    _edit_run_json(second, lambda record: record["tasks"]["alm_bench"].update(num_samples=45 + 1))
    assert len(records_of(second)) == 46
    result = _merge(tv_eval_cache, alm["1/3"], second, alm["3/3"], "--output", tmp_path / "out")
    sample_id = json.loads(stray)["sample_id"]
    _refused(result, f"sample alm_bench/{sample_id} is in two shards")


def test_a_different_configuration_is_refused_naming_it(
    alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    other = _run(
        [*TINY_ALM_RUN, "--sample", "--seed", "1", "--shard", "2/3"],
        tmp_path / "seed1",
        tv_eval_cache,
        alm["root"] / "responses-shards",
    )
    result = _merge(tv_eval_cache, alm["1/3"], other, alm["3/3"], "--output", tmp_path / "out")
    _refused(result, "config.seed is 1 there, 0 in the first", str(other))
    assert not (tmp_path / "out").exists()


def test_shards_of_different_splits_are_refused(
    alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    other = _copy(alm["2/3"], tmp_path)
    _edit_run_json(other, lambda record: record["config"].update(shard="2/4"))
    result = _merge(tv_eval_cache, alm["1/3"], other, alm["3/3"], "--output", tmp_path / "out")
    _refused(result, "is shard 2/4", "same number of parts")


def test_an_unfinished_shard_is_refused(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    other = _copy(alm["2/3"], tmp_path)
    _edit_run_json(other, lambda record: record.update(status="interrupted"))
    result = _merge(tv_eval_cache, alm["1/3"], other, alm["3/3"], "--output", tmp_path / "out")
    _refused(result, "is interrupted", f"tv-eval run --resume {other}")


def test_an_unsharded_run_is_not_a_shard(alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path) -> None:
    result = _merge(tv_eval_cache, alm["whole"], "--output", tmp_path / "out")
    _refused(result, "is not a shard run")


def test_a_merge_never_writes_into_a_folder_that_holds_files(
    alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = _merge(tv_eval_cache, alm["1/3"], alm["2/3"], alm["3/3"], "--output", target)
    _refused(result, "already exists")
    assert [path.name for path in target.iterdir()] == ["notes.txt"]


def test_a_resumed_shard_finishes_its_own_share(
    alm: dict[str, Path], tv_eval_cache: Path, tmp_path: Path
) -> None:
    """A shard cut short and resumed keeps its shard and merges like one that never stopped."""
    cut = _copy(alm["2/3"], tmp_path)
    lines = (cut / "samples.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (cut / "samples.jsonl").write_text("".join(lines[:10]), encoding="utf-8")
    _edit_run_json(cut, lambda record: record.update(status="interrupted"))
    (cut / "results.json").unlink()
    result = run_cli(
        ["run", "--resume", str(cut), "--cache-dir", str(tmp_path / "empty-cache")], tv_eval_cache
    )
    assert result.returncode == 0, result.stderr
    assert _run_json(cut)["config"]["shard"] == "2/3"
    assert (cut / "samples.jsonl").read_bytes() == (alm["2/3"] / "samples.jsonl").read_bytes()
    merged = _merge(tv_eval_cache, alm["1/3"], cut, alm["3/3"], "--output", tmp_path / "merged")
    assert merged.returncode == 0, merged.stderr
    assert _without_run_id(tmp_path / "merged", "results.json") == _without_run_id(
        alm["whole"], "results.json"
    )
