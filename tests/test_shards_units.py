"""The parts of sharding and merging that need no model: a shard's preparation, the configuration
comparison, the merged records' order and the policies on overlaps and gaps, the summed judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.run_factory import synthetic_records
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.pipeline.merge import merged_judge, merged_records
from tv_eval.pipeline.preparation import RunConfigError, prepare_tasks
from tv_eval.pipeline.saved_run import SavedRun
from tv_eval.pipeline.shard_runs import MergeError, ShardRun, first_difference, run_question
from tv_eval.pipeline.shards import Shard
from tv_eval.results.run_document import RunConfig, RunRecord


def _config(**changes: object) -> RunConfig:
    return RunConfig(model="tiny-random", tasks=("alm_bench",), use_sample=True, **changes)


def test_a_shard_prepares_its_share_and_records_the_whole_selection() -> None:
    (whole,) = prepare_tasks(_config(), joshi_tier_map())
    parts = [prepare_tasks(_config(shard=f"{index}/3"), joshi_tier_map())[0] for index in (1, 2, 3)]
    assert whole.selection == ()
    ids = [sample.sample_id for sample in whole.samples]
    for part in parts:
        assert list(part.selection) == ids  # no sample of ALM-Bench's sample is settled without the model
        assert part.samples == [sample for sample in whole.samples if sample in part.samples]
    assert sorted(sample.sample_id for part in parts for sample in part.samples) == sorted(ids)


def test_a_shard_without_samples_of_a_task_is_refused_before_the_model_loads() -> None:
    outcomes = []
    for index in (1, 2, 3):
        try:
            prepare_tasks(_config(limit=1, shard=f"{index}/3"), joshi_tier_map())
            outcomes.append("prepared")
        except RunConfigError as error:
            assert "holds none of task alm_bench's 1 samples; use fewer shards" in str(error)
            outcomes.append("refused")
    assert sorted(outcomes) == ["prepared", "refused", "refused"]


def test_first_difference_names_the_first_differing_path() -> None:
    assert first_difference({"a": 1, "b": {"c": [1, 2]}}, {"a": 1, "b": {"c": [1, 2]}}) is None
    assert first_difference({"a": 1, "b": {"c": [1, 2]}}, {"a": 1, "b": {"c": [1, 3]}}) == "b.c"
    assert first_difference({"a": {"x": 1}}, {"a": {"x": 1, "y": 2}}) == "a.y"
    assert first_difference({"a": 1, "z": 1}, {"a": 2, "z": 2}) == "a"


def _record(shard: str | None, **changes: object) -> RunRecord:
    return RunRecord.model_validate(
        {
            "run_id": "r",
            "status": "complete",
            "model": {"name": "m", "adapter": "a", "model_id": "m", "device": "cuda:0"},
            "tasks": {
                "t": {
                    "scoring": "robust",
                    "prompts_hash": "h",
                    "dataset": {"dataset_id": "d", "split": "test", "fingerprint": "f", "source": "sample"},
                    "num_samples": 3,
                }
            },
            "config": _config(shard=shard).model_dump(mode="json"),
            "tier_map": "joshi2020",
            **changes,
        }
    )


def test_shards_may_differ_in_number_device_output_and_size_only() -> None:
    first = _record("1/2")
    second = _record("2/2")
    second.model = second.model.model_copy(update={"device": "cuda:3"})
    second.config = second.config.model_copy(update={"output_dir": Path("/elsewhere")})
    second.tasks["t"].num_samples = 7
    assert first_difference(run_question(first), run_question(second)) is None
    second.config = second.config.model_copy(update={"batch_size": 4})
    assert first_difference(run_question(first), run_question(second)) == "config.batch_size"
    assert first_difference(run_question(first), run_question(_record("2/2", seed=3))) == "seed"


def _shard(index: int, records: list, count: int = 2) -> ShardRun:
    record = _record(f"{index}/{count}", task_sample_ids={"alm_bench": ORDER})
    return ShardRun(Path(f"shard{index}"), Shard(index, count), SavedRun(Path("."), record, records, [], b""))


RECORDS = synthetic_records({"en": 0.5, "de": 0.5}, per_language=3)
ORDER = [record.sample_id for record in reversed(RECORDS)]


def test_merged_records_follow_the_recorded_order() -> None:
    shards = [_shard(1, RECORDS[::2]), _shard(2, RECORDS[1::2])]
    assert [record.sample_id for record in merged_records("alm_bench", shards)] == ORDER


def test_a_sample_in_two_shards_is_refused_even_when_the_records_agree() -> None:
    shards = [_shard(1, RECORDS[:4]), _shard(2, RECORDS[3:])]
    with pytest.raises(
        MergeError, match=f"alm_bench/{RECORDS[3].sample_id} is in two shards: shard1 and shard2"
    ):
        merged_records("alm_bench", shards)


def test_a_sample_in_no_shard_is_refused_naming_it() -> None:
    shards = [_shard(1, RECORDS[:2]), _shard(2, RECORDS[3:])]
    with pytest.raises(
        MergeError, match=f"1 of task alm_bench's 6 samples are in no shard .first: {RECORDS[2].sample_id}"
    ):
        merged_records("alm_bench", shards)


def test_a_sample_outside_the_selection_is_refused() -> None:
    stranger = synthetic_records({"sw": 0.5}, per_language=1)
    with pytest.raises(MergeError, match="is not in the selection"):
        merged_records("alm_bench", [_shard(1, RECORDS), _shard(2, stranger)])


def _judge(calls: int, cost: float | None, judged: int) -> dict:
    return {
        "model": "openai:judge",
        "model_id": "judge",
        "cache": f"/node{calls}/judge.sqlite",
        "usage": {
            "calls": calls,
            "cache_hits": 1,
            "prompt_tokens": 10 * calls,
            "completion_tokens": calls,
            "estimated_cost_usd": cost,
            "price_usd_per_million_tokens": None,
        },
        "tasks": {
            "t": {"protocol": "p", "parser": "q", "judged": judged, "judge_failed": 1, "cache_hits": 1}
        },
    }


def test_judge_counts_and_costs_are_summed() -> None:
    merged = merged_judge([_judge(2, 0.5, 3), None, _judge(5, 0.25, 4)])
    assert merged is not None
    assert merged["usage"] == {
        "calls": 7,
        "cache_hits": 2,
        "prompt_tokens": 70,
        "completion_tokens": 7,
        "estimated_cost_usd": 0.75,
        "price_usd_per_million_tokens": None,
    }
    assert merged["tasks"]["t"] == {
        "protocol": "p",
        "parser": "q",
        "judged": 7,
        "judge_failed": 2,
        "cache_hits": 2,
    }
    assert merged["model_id"] == "judge"
    assert merged_judge([None, None]) is None


def test_an_unknown_cost_in_one_shard_leaves_the_sum_unknown() -> None:
    merged = merged_judge([_judge(2, 0.5, 3), _judge(5, None, 4)])
    assert merged is not None
    assert merged["usage"]["estimated_cost_usd"] is None
