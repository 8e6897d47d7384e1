"""CC-OCR (wulipc/CC-OCR) on fixtures in its real schema (base64 images, `split` a language name),
its configs and prompts, and end to end through the CLI: `--tiers` filters, and per-language and
per-tier F1 and micro F1 recomputed from samples.jsonl."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tasks.cc_ocr.make_sample import config_rows, write_configs
from tasks.cc_ocr.task import CcOcrTask
from tests.conftest import only_run, records_of, run_cli
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import ImagePart, SampleStatus
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.scoring.ocr_tokens import f1_of, token_counts

# CC-OCR's multi_lan_ocr languages (arXiv:2412.02210) and their BCP-47 tags, written here by hand.
PAPER_LANGUAGES = {
    "Arabic": "ar",
    "French": "fr",
    "German": "de",
    "Italian": "it",
    "Japanese": "ja",
    "Korean": "ko",
    "Portuguese": "pt",
    "Russian": "ru",
    "Spanish": "es",
    "Vietnamese": "vi",
}


def task_with(options: dict[str, str] | None = None) -> CcOcrTask:
    task = CcOcrTask()
    task.configure(options or {})
    return task


def test_multi_lan_rows_from_a_hub_layout(tmp_path: Path) -> None:
    rows = config_rows("multi_lan_ocr")
    rows[1] = {**rows[1], "image": "not base64!"}
    rows[2] = {**rows[2], "answer": " "}
    rows[3] = {**rows[3], "split": "Klingon"}
    write_configs(tmp_path, {"multi_lan_ocr": rows, "doc_parsing": config_rows("doc_parsing")})
    task = task_with()
    loaded = task.load(DataSource(data_dir=tmp_path), joshi_tier_map())
    samples = loaded.samples
    assert loaded.dataset.dataset_id == "wulipc/CC-OCR" and len(samples) == len(rows)
    assert [s.load_error for s in samples[:4]] == [None, "image is not valid base64", "empty answer", None]
    assert samples[3].language == "und" and samples[3].tier == "unknown"
    by_name = {row["split"]: sample for row, sample in zip(rows, samples, strict=True)}
    for name, code in PAPER_LANGUAGES.items():
        if name in by_name:
            assert by_name[name].language == code
            assert by_name[name].tier == joshi_tier_map().tier_of(code)
    first = samples[0]
    assert first.reference == rows[0]["answer"] and first.category == "ocr"
    assert first.metadata == {"image_name": rows[0]["image_name"], "subset": "Arabic"}
    assert first.image is not None and first.image.data.startswith(b"\x89PNG")


def test_prompts_and_generation_length() -> None:
    fork, upstream = task_with(), task_with({"prompt": "upstream"})
    sample = fork.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    assert fork.prompt(sample, "robust") == (
        f"{sample.text}\nAnswer by providing the text in the image directly."
    )
    assert upstream.prompt(sample, "robust") == sample.text
    request = fork.build_request(sample, "robust")
    assert isinstance(request.messages[0].content[0], ImagePart)
    assert request.generation.max_new_tokens == 48  # the sample's smoke-test length
    hub = task_with()
    assert hub.max_new_tokens(sample) == 1024  # the fork's, when nothing was loaded from the sample


def test_scores_follow_the_config() -> None:
    lan = task_with()
    samples = {s.language: s for s in lan.load(DataSource(use_sample=True), joshi_tier_map()).samples}
    french = samples["fr"]
    assert lan.score(french, french.reference.upper(), "robust").scores == {"f1": 1.0}
    assert [spec.name for spec in lan.metric_specs("robust")] == ["f1", "micro_f1"]
    assert lan.corpus_metrics("robust")[0].track == "multi_lan_ocr"
    scene = task_with({"config": "multi_scene_ocr"})
    english = scene.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    # Multi-scene OCR compares letters and digits only: "STOP! (No-Entry)" is stop / no-entry -> noentry.
    assert scene.score(english, "stop noentry", "robust").scores == {"f1": pytest.approx(1.0)}
    assert lan.score(english, "stop noentry", "robust").scores["f1"] == 0.0
    docs = task_with({"config": "doc_parsing"})
    parsed = docs.load(DataSource(use_sample=True), joshi_tier_map()).samples
    assert [s.category for s in parsed] == ["doc", "formula", "molecular", "table"]
    assert [docs.needs_model(s, "robust") for s in parsed] == [True, True, True, False]
    assert docs.score(parsed[3], "x", "robust").status is SampleStatus.EXCLUDED
    assert docs.score(parsed[2], "<smiles>CC(=O)O</smiles>", "robust").scores == {"edit_score": 1.0}
    assert [spec.name for spec in docs.metric_specs("robust")] == ["edit_score"]


@pytest.mark.parametrize("options", [{"config": "kie"}, {"prompt": "mine"}, {"language": "fr"}])
def test_unknown_options_are_refused(options: dict[str, str]) -> None:
    with pytest.raises(TaskConfigError):
        task_with(options)


def expected_scores(records: list[dict], key: str) -> dict[str, dict[str, float]]:
    """Mean per-sample F1 and micro F1 per group (`key`: language or tier), from samples.jsonl alone."""
    groups: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for record in records:
        groups[record[key]].append(
            token_counts(record["extracted"], record["reference"], record["language"], "multi_lan_ocr")
        )
    return {
        group: {
            "f1": sum(f1_of(*counts) for counts in rows) / len(rows),
            "micro_f1": f1_of(*(sum(column) for column in zip(*rows, strict=True))),
        }
        for group, rows in groups.items()
    }


@pytest.mark.slow
def test_sample_run_filters_tiers_and_f1_recomputes(tv_eval_cache: Path, tmp_path: Path) -> None:
    arguments = ["run", "--model", "tiny-random", "--tasks", "cc_ocr", "--sample", "--tiers", "4"]
    result = run_cli([*arguments, "--output-dir", str(tmp_path)], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(tmp_path)
    records = records_of(run_dir)
    assert {r["language"] for r in records} == {"it", "ko", "pt", "ru", "vi"}
    # Random transcriptions score about 0: replace them by whole, partial and wrong readings.
    edited = []
    for number, record in enumerate(records):
        words = record["reference"].split()
        prediction = [record["reference"], " ".join([*words[:1], "x"]), "wrong"][number % 3]
        edited.append({**record, "prediction": prediction})
    (run_dir / "samples.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in edited), encoding="utf-8"
    )
    rescored = run_cli(["score", str(run_dir)], tv_eval_cache)
    assert rescored.returncode == 0, rescored.stderr
    task = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))["tasks"]["cc_ocr"]
    records = records_of(run_dir)
    for language, values in expected_scores(records, "language").items():
        for metric, value in values.items():
            assert task["by_language"][language]["metrics"][metric]["value"] == pytest.approx(value)
    (tier_values,) = expected_scores(records, "tier").values()
    for metric, value in tier_values.items():
        assert task["by_tier"]["4"][metric]["value"] == pytest.approx(value)
    assert 0 < tier_values["micro_f1"] < 1 and tier_values["micro_f1"] != pytest.approx(tier_values["f1"])
