"""`--shard i/N`: parsing, and the rule that assigns each sample to one shard (tv_eval/pipeline/shards.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import run_cli
from tv_eval.core.types import Sample
from tv_eval.pipeline.shards import Shard, ShardSpecError, parse_shard, shard_of, shard_samples


def _samples(ids: list[str]) -> list[Sample]:
    return [Sample(sample_id=sample_id, task="t", language="en", reference="") for sample_id in ids]


@pytest.mark.parametrize(
    ("text", "shard"), [("1/1", Shard(1, 1)), ("2/3", Shard(2, 3)), (" 3 / 3 ", Shard(3, 3))]
)
def test_parse_shard_reads_one_based_numbers(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard
    assert str(parse_shard(text)) == f"{shard.index}/{shard.count}"


@pytest.mark.parametrize(
    "text", ["0/0", "3/2", "0/3", "1/0", "a/b", "", "1", "1/2/3", "-1/2", "1.5/2", "1/ 2x"]
)
def test_parse_shard_refuses_what_is_not_i_of_n(text: str) -> None:
    with pytest.raises(ShardSpecError, match="--shard"):
        parse_shard(text)


@given(
    ids=st.lists(st.text(min_size=1, max_size=12), unique=True, max_size=60),
    count=st.integers(min_value=1, max_value=9),
)
def test_the_shards_partition_any_selection(ids: list[str], count: int) -> None:
    """Every id lands in exactly one of the N shards, and each shard keeps the selection's order."""
    samples = _samples(ids)
    shards = [shard_samples("t", samples, Shard(index, count)) for index in range(1, count + 1)]
    chosen = [sample.sample_id for shard in shards for sample in shard]
    assert sorted(chosen) == sorted(ids)
    assert len(chosen) == len(set(chosen))
    for shard in shards:
        positions = [ids.index(sample.sample_id) for sample in shard]
        assert positions == sorted(positions)


@given(ids=st.lists(st.text(min_size=1, max_size=12), unique=True, min_size=1, max_size=30), data=st.data())
def test_a_samples_shard_does_not_depend_on_its_position(ids: list[str], data: st.DataObject) -> None:
    """Another machine reading the data in another order assigns every sample to the same shard."""
    shuffled = data.draw(st.permutations(ids))
    for count in (2, 3, 5):
        for index in range(1, count + 1):
            shard = Shard(index, count)
            here = {s.sample_id for s in shard_samples("t", _samples(ids), shard)}
            there = {s.sample_id for s in shard_samples("t", _samples(list(shuffled)), shard)}
            assert here == there


def test_the_rule_is_pinned() -> None:
    """Shards made by different tv-eval versions must merge: the digest rule may never change silently."""
    assert [shard_of("alm_bench", f"q{n}", 4) for n in range(8)] == PINNED
    assert shard_of("alm_bench", "q1", 1) == 1


PINNED = [4, 1, 3, 4, 1, 2, 3, 2]


def test_the_task_takes_part_in_the_rule() -> None:
    """Two tasks with the same ids are not split the same way (the pair (task, id) is hashed)."""
    ids = [f"s{n}" for n in range(40)]
    assert [shard_of("a", i, 3) for i in ids] != [shard_of("b", i, 3) for i in ids]


@pytest.mark.parametrize("value", ["0/0", "3/2", "a/b"])
def test_run_refuses_a_bad_shard_in_one_line(value: str, tv_eval_cache: Path) -> None:
    result = run_cli(
        ["run", "--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--shard", value], tv_eval_cache
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--shard" in result.stderr
    assert "Traceback" not in result.stderr
