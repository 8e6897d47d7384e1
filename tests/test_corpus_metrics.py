"""Corpus-level BLEU, chrF and chrF++: equal to sacrebleu's command line, per group, with intervals."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.translation_fixtures import real_lines, sacrebleu_cli
from tv_eval.core.metrics import MetricKind, MetricSpec
from tv_eval.core.task import TaskConfigError
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.aggregation import aggregate_task
from tv_eval.results.document import build_results
from tv_eval.scoring.sacrebleu_metrics import SacrebleuMetric, bleu_tokenizer, check_tokenizers, corpus_spec

CLI_ARGUMENTS = {
    "bleu": ("-m", "bleu"),
    "chrf": ("-m", "chrf"),
    "chrf++": ("-m", "chrf", "--chrf-word-order", "2"),
}


def degrade(sentence: str, seed: int) -> str:
    """A plausible imperfect translation: drop one word in three and swap a pair, deterministically."""
    words = [word for position, word in enumerate(sentence.split()) if (position + seed) % 3 != 0]
    if len(words) > 3:
        words[1], words[2] = words[2], words[1]
    return " ".join(words)


def records_for(language: str, references: list[str], prefix: str = "") -> list[ScoredSample]:
    return [
        ScoredSample(
            sample_id=f"{prefix}{language}:{index}",
            task="t",
            language=language,
            tier="5",
            status=SampleStatus.SCORED,
            prompt="",
            prediction=degrade(reference, index),
            reference=reference,
            extracted=degrade(reference, index),
            cluster_id=f"{prefix}line:{index}",
        )
        for index, reference in enumerate(references)
    ]


@pytest.fixture(scope="module")
def german() -> list[ScoredSample]:
    return records_for("de", real_lines("test_2016_flickr", "de", 60))


@pytest.mark.parametrize("metric", ["bleu", "chrf", "chrf++"])
def test_corpus_scores_equal_sacrebleu_command_line(
    metric: str, german: list[ScoredSample], tmp_path: Path
) -> None:
    block = aggregate_task(
        german, tier_map=joshi_tier_map(), corpus_metrics=[SacrebleuMetric(metric)], n_resamples=200
    )
    expected = sacrebleu_cli(
        [r.extracted or "" for r in german], [r.reference for r in german], tmp_path, *CLI_ARGUMENTS[metric]
    )
    value = block["overall"][metric]
    assert value["n"] == len(german)
    assert value["value"] == pytest.approx(expected, abs=1e-5)
    assert 0 < expected < 100
    assert value["ci95"][0] < value["value"] < value["ci95"][1]
    assert block["by_language"]["de"]["metrics"][metric]["value"] == pytest.approx(expected, abs=1e-5)


def test_chinese_uses_the_zh_tokenizer_and_matches_the_command_line(tmp_path: Path) -> None:
    references = ["他去了银行。", "蝙蝠飞走了。", "一个男人在街上骑自行车。", "孩子们在公园里踢足球。"]
    records = [
        ScoredSample(
            sample_id=f"zh:{index}",
            task="t",
            language="zh",
            tier="5",
            status=SampleStatus.SCORED,
            prompt="",
            prediction=hypothesis,
            reference=reference,
            extracted=hypothesis,
        )
        for index, (hypothesis, reference) in enumerate(
            zip(
                ["他去了银行。", "蝙蝠飞了。", "一个男人骑自行车。", "孩子在公园踢球。"],
                references,
                strict=True,
            )
        )
    ]
    metric = SacrebleuMetric("bleu")
    value = metric.score(metric.statistics(records).sum(axis=0))
    assert value == pytest.approx(
        sacrebleu_cli([r.extracted or "" for r in records], references, tmp_path, "-tok", "zh"), abs=1e-5
    )
    assert "tok:zh" in metric.describe(records)["signature"]
    assert bleu_tokenizer("zh-Hant") == "zh"
    assert bleu_tokenizer("de") == "13a"
    assert bleu_tokenizer("ja") == "ja-mecab"
    assert bleu_tokenizer("de", "intl") == "intl"


def test_groups_macro_and_failed_samples(german: list[ScoredSample]) -> None:
    french = records_for("fr", real_lines("test_2016_flickr", "fr", 30), prefix="x")
    failed = ScoredSample(
        sample_id="fr:failed",
        task="t",
        language="fr",
        tier="5",
        status=SampleStatus.FAILED,
        prompt="",
        prediction=None,
        reference="Un homme.",
        error="no response",
    )
    records = [*german, *french, failed]
    metric = SacrebleuMetric("chrf")
    block = aggregate_task(records, tier_map=joshi_tier_map(), corpus_metrics=[metric], n_resamples=200)
    per_language = {code: entry["metrics"]["chrf"]["value"] for code, entry in block["by_language"].items()}
    assert block["by_language"]["fr"]["metrics"]["chrf"]["n"] == len(french)
    assert block["by_language"]["fr"]["counts"]["failed"] == 1
    assert block["overall"]["chrf_macro"]["value"] == pytest.approx(
        (per_language["de"] + per_language["fr"]) / 2
    )
    pooled = metric.score(metric.statistics([*german, *french]).sum(axis=0))
    assert block["overall"]["chrf"]["value"] == pytest.approx(pooled)
    assert block["overall"]["chrf"]["n"] == len(german) + len(french)
    low, high = block["overall"]["chrf_macro"]["ci95"]
    assert low < block["overall"]["chrf_macro"]["value"] < high
    again = aggregate_task(records, tier_map=joshi_tier_map(), corpus_metrics=[metric], n_resamples=200)
    assert again["overall"] == block["overall"]


def test_clustered_interval_is_wider_when_segments_repeat(german: list[ScoredSample]) -> None:
    """Ten copies of each line in one cluster carry the information of one line, not ten."""
    from dataclasses import replace

    repeated = [
        replace(record, sample_id=f"{record.sample_id}#{copy}")
        for record in german[:20]
        for copy in range(10)
    ]
    metric = SacrebleuMetric("chrf")
    clustered = aggregate_task(repeated, tier_map=joshi_tier_map(), corpus_metrics=[metric], n_resamples=300)
    unclustered = aggregate_task(
        [replace(record, cluster_id=None) for record in repeated],
        tier_map=joshi_tier_map(),
        corpus_metrics=[metric],
        n_resamples=300,
    )

    def width(block: dict) -> float:
        low, high = block["overall"]["chrf"]["ci95"]
        return high - low

    assert width(clustered) > 2 * width(unclustered)


def test_unavailable_tokenizers_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("sacrebleu.utils.SACREBLEU_DIR", str(tmp_path))
    with pytest.raises(TaskConfigError, match="flores200 needs its SentencePiece model"):
        check_tokenizers(["de"], "flores200")
    check_tokenizers(["de", "fr", "zh"])
    with pytest.raises(TaskConfigError, match="unknown sacrebleu metric"):
        SacrebleuMetric("ter")


def test_reports_show_each_metric_on_its_own_scale(german: list[ScoredSample]) -> None:
    from tv_eval.report.console import display_scale, leaderboard_markdown

    metric = SacrebleuMetric("bleu")
    block = aggregate_task(german, tier_map=joshi_tier_map(), corpus_metrics=[metric], n_resamples=100)
    specs = (corpus_spec("bleu", primary=True), MetricSpec("xcomet", MetricKind.SEGMENT))
    run_record = {
        "run_id": "r",
        "smoke_run": False,
        "model": {"name": "m", "model_id": "m"},
        "tier_map": "joshi2020",
        "seed": 0,
        "tasks": {"t": {"scoring": "robust", "prompts_hash": "h", "dataset": {}}},
    }
    described = SimpleNamespace(description="", protocol_notes={}, reported_specs=lambda scoring: specs)
    info = {"bleu": metric.describe(german), "xcomet": {"model": "x"}}
    task = build_results(run_record, {"t": described}, {"t": {**block, "metric_info": info}})["tasks"]["t"]
    assert task["primary_metric"] == "bleu"
    assert (
        task["metric_info"]["bleu"]["scale"] == "0-100" and task["metric_info"]["xcomet"]["kind"] == "segment"
    )
    assert display_scale(task, "bleu_macro") == 1.0
    assert display_scale(task, "xcomet") == 100.0
    results = {
        "model": {"name": "m", "model_id": "m"},
        "run_id": "r",
        "tier_map": "joshi2020",
        "tasks": {"t": task},
    }
    markdown = leaderboard_markdown(results)
    assert f"| all | {len(german)} | {block['overall']['bleu']['value']:.1f} [" in markdown
    assert "corpus-level, scale 0-100, `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:" in markdown
