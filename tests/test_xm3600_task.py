"""XM3600 (PangeaBench-xm100) on fixtures in its real schema, and end to end through the CLI: language
filters, and per-language and per-tier CIDEr recomputed from samples.jsonl with pycocoevalcap."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tasks.xm3600.make_sample import language_rows, write_xm100_parquet
from tasks.xm3600.task import Xm3600Task
from tests.conftest import only_run, records_of, run_cli
from tv_eval.core.task import DataSource
from tv_eval.core.types import ImagePart, Sample, SampleStatus, TextPart
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.scoring.cider import caption_tokens

# The 36 language splits the fork's xm100.yaml groups (deep-spin/lmms-eval, lmms_eval/tasks/xm100/).
FORK_SPLITS = frozenset(
    {
        "ar",
        "bn",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "fa",
        "fi",
        "fil",
        "fr",
        "hi",
        "hr",
        "hu",
        "id",
        "it",
        "he",
    }
    | {"ja", "ko", "mi", "nl", "no", "pl", "pt", "quz", "ro", "ru", "sv", "sw", "te", "th", "tr", "uk", "vi"}
    | {"zh"}
)


def loaded(tmp_path: Path, splits: dict[str, list[dict]]) -> dict[str, list[Sample]]:
    """All 36 splits as the Hub lays them out (`splits`, English rows in the others), by split."""
    for code in FORK_SPLITS:
        rows = splits.get(code) or language_rows("en")
        write_xm100_parquet(rows, tmp_path / "data" / f"{code}-00000-of-00001.parquet")
    task = Xm3600Task()
    task.configure({})
    by_split: dict[str, list[Sample]] = defaultdict(list)
    for sample in task.load(DataSource(data_dir=tmp_path), joshi_tier_map()).samples:
        by_split[sample.metadata["split"]].append(sample)
    assert set(by_split) == FORK_SPLITS and {len(group) for group in by_split.values()} == {3}
    return by_split


def test_config_names_the_fork_splits_and_prompts() -> None:
    task = Xm3600Task()
    assert set(task.config["splits"]) == set(task.config["languages"]) == FORK_SPLITS
    assert set(task.config["sample_splits"]) <= FORK_SPLITS


def test_rows_become_samples_with_language_tier_and_parallel_id(tmp_path: Path) -> None:
    german = language_rows("de")
    german[1] = {**german[1], "caption": "  "}
    samples = loaded(tmp_path, {"de": german, "zh": language_rows("zh")})
    assert [s.sample_id for s in samples["de"]] == [f"de/{row['image_id']}" for row in german]
    first = samples["de"][0]
    assert (first.language, first.tier, first.script) == ("de", "5", "Latn")
    assert first.metadata == {
        "references": (german[0]["caption"],),
        "parallel_id": german[0]["image_id"],
        "split": "de",
    }
    assert [s.load_error for s in samples["de"]] == [None, "empty caption", None]
    chinese = samples["zh"][0]
    assert chinese.metadata["parallel_id"] == first.metadata["parallel_id"]
    assert chinese.cluster_id == first.cluster_id  # the same image in both languages
    assert (samples["quz"][0].language, samples["quz"][0].tier) == ("quz", "unknown")
    task = Xm3600Task()
    assert (
        task.prompt(chinese, "robust") == "Provide a one-sentence caption for the provided image in Chinese."
    )
    assert task.prompt(samples["no"][0], "robust") == (
        "Provide a one-sentence caption for the provided image in Norwegian."
    )
    request = task.build_request(chinese, "robust")
    image, text = request.messages[0].content
    assert isinstance(image, ImagePart) and isinstance(text, TextPart)
    assert request.generation.max_new_tokens == 128
    score = task.score(chinese, "  一只 红色的猫 ", "robust")
    assert score.status is SampleStatus.SCORED and score.extracted == "一只 红色的猫"


def test_bundled_sample_and_english_prompt() -> None:
    task = Xm3600Task()
    task.configure({})
    samples = task.load(DataSource(use_sample=True), joshi_tier_map()).samples
    assert [s.language for s in samples[::3]] == ["en", "de", "ar", "sw", "quz", "zh", "ja", "th"]
    assert task.prompt(samples[0], "robust") == "Provide a one-sentence caption for the provided image."
    assert {s.tier for s in samples if s.language == "quz"} == {"unknown"}


def expected_cider(records: list[dict]) -> tuple[dict[str, float], dict[str, float]]:
    """Per-language CIDEr from pycocoevalcap on each language's images, and per-tier means of the images'
    scores, from samples.jsonl alone."""
    from pycocoevalcap.cider.cider import Cider

    by_language: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_language[record["language"]].append(record)
    image_scores: dict[str, list[float]] = {}
    for language, group in by_language.items():

        def joined(text: str, language: str = language) -> str:
            return " ".join(caption_tokens(text, language))

        hypotheses = {i: [joined(r["extracted"])] for i, r in enumerate(group)}
        references = {i: [joined(text) for text in r["metadata"]["references"]] for i, r in enumerate(group)}
        image_scores[language] = list(Cider().compute_score(references, hypotheses)[1])
    tiers: dict[str, list[float]] = defaultdict(list)
    for language, group in by_language.items():
        tiers[group[0]["tier"]] += image_scores[language]
    languages = {language: sum(scores) / len(scores) for language, scores in image_scores.items()}
    return languages, {tier: sum(scores) / len(scores) for tier, scores in tiers.items()}


def half(text: str) -> str:
    return text[: len(text) // 2]


@pytest.mark.slow
def test_sample_run_filters_languages_and_cider_recomputes(tv_eval_cache: Path, tmp_path: Path) -> None:
    languages = "en,de,zh,th,sw"
    arguments = ["run", "--model", "tiny-random", "--tasks", "xm3600", "--sample", "--languages", languages]
    result = run_cli([*arguments, "--output-dir", str(tmp_path)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(tmp_path)
    records = records_of(run_dir)
    assert {r["language"] for r in records} == set(languages.split(","))
    assert all(r["metadata"]["parallel_id"] == r["sample_id"].split("/")[1] for r in records)
    # The random model's captions score 0; answers that match their references in part score more.
    edited = []
    for number, record in enumerate(records):
        reference = record["metadata"]["references"][0]
        prediction = [reference, half(reference), record["prediction"]][number % 3]
        edited.append({**record, "prediction": prediction})
    (run_dir / "samples.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in edited), encoding="utf-8"
    )
    rescored = run_cli(["score", str(run_dir)], tv_eval_cache)
    assert rescored.returncode == 0, rescored.stderr
    task = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["xm3600"]
    by_language, by_tier = expected_cider(records_of(run_dir))
    assert set(task["by_language"]) == set(by_language)
    for language, value in by_language.items():
        assert task["by_language"][language]["metrics"]["cider"]["value"] == pytest.approx(value)
    for tier, value in by_tier.items():
        assert task["by_tier"][tier]["cider"]["value"] == pytest.approx(value)
    assert len({round(value, 6) for value in by_language.values()}) > 1
    assert task["metric_info"]["cider"]["tokenisation"]["th"] == "grapheme"
    # The leaderboard rebuilds CIDEr from the saved spec (it once knew only sacrebleu's metrics).
    board = run_cli(
        ["leaderboard", str(run_dir), "--output", str(tmp_path / "lb"), "--format", "json"], tv_eval_cache
    )
    assert board.returncode == 0, board.stderr
    tables = json.loads((tmp_path / "lb" / "leaderboard.json").read_text(encoding="utf-8"))["tables"]
    (overall,) = [table for table in tables if table["key"] == "overall"]
    mean = sum(by_language.values()) / len(by_language)
    assert overall["rows"][0]["cells"][0]["value"] == pytest.approx(mean)
