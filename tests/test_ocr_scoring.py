"""CC-OCR's scoring: the token F1 (tv_eval.scoring.ocr_tokens) against values recorded by running
upstream lmms-eval's and the TowerVision fork's own evaluators (tests/data/cc_ocr_reference_vectors.json,
sources named in the file), and the edit distance / similarity of document parsing against values
worked out by hand and recorded from upstream's doc-parsing evaluator (cc_ocr_doc_parsing_vectors.json)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.scoring.corpus_registry import corpus_metric_of
from tv_eval.scoring.doc_parsing import doc_parsing_score
from tv_eval.scoring.edit_distance import edit_distance, edit_similarity
from tv_eval.scoring.ocr_tokens import OcrMicroF1, f1_of, micro_f1_spec, ocr_tokens, token_counts

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "cc_ocr_reference_vectors.json").read_text(encoding="utf-8"))
DOC_VECTORS = json.loads((DATA / "cc_ocr_doc_parsing_vectors.json").read_text(encoding="utf-8"))
# The subsets (split names) of the vectors and their BCP-47 tags, as tasks/cc_ocr/config.yaml maps them.
LANGUAGES = {
    "French": "fr",
    "German": "de",
    "Korean": "ko",
    "Japanese": "ja",
    "Arabic": "ar",
    "Russian": "ru",
    "en_scene": "en",
    "zh_scene": "zh",
}


def record(case: dict, number: int) -> ScoredSample:
    return ScoredSample(
        sample_id=str(number),
        task="cc_ocr",
        language=LANGUAGES[case["subset"]],
        tier="5",
        status=SampleStatus.SCORED,
        prompt="",
        prediction=case["pred"],
        reference=case["gt"],
        extracted=case["pred"],
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: f"{case['subset']}:{case['gt'][:12]}")
def test_tokens_matches_and_f1_equal_the_official_evaluator(case: dict) -> None:
    language = LANGUAGES[case["subset"]]
    assert ocr_tokens(case["gt"], language, case["track"]) == case["gt_tokens"]
    assert ocr_tokens(case["pred"], language, case["track"]) == case["pred_tokens"]
    matched, truth, predicted = token_counts(case["pred"], case["gt"], language, case["track"])
    assert (matched, truth, predicted) == (case["right"], len(case["gt_tokens"]), len(case["pred_tokens"]))
    assert f1_of(matched, truth, predicted) == pytest.approx(case["f1"], abs=1e-7)


@pytest.mark.parametrize("track", ["multi_lan_ocr", "multi_scene_ocr"])
def test_per_subset_macro_and_micro_f1_equal_upstream(track: str) -> None:
    by_subset: dict[str, list[ScoredSample]] = defaultdict(list)
    for number, case in enumerate(VECTORS["cases"]):
        if case["track"] == track:
            by_subset[case["subset"]].append(record(case, number))
    metric = corpus_metric_of(micro_f1_spec(track))
    assert isinstance(metric, OcrMicroF1) and metric.track == track
    expected = VECTORS[track]["subsets"]
    assert set(by_subset) == set(expected)
    for subset, records in by_subset.items():
        totals = metric.statistics(records).sum(axis=0)
        assert metric.score(totals) == pytest.approx(expected[subset]["micro_f1"], abs=1e-7)
        f1s = [f1_of(*token_counts(r.extracted or "", r.reference, r.language, track)) for r in records]
        assert sum(f1s) / len(f1s) == pytest.approx(expected[subset]["macro_f1"], abs=1e-7)


def test_the_fork_scores_each_language_as_upstream_does() -> None:
    for subset, scores in VECTORS["fork_multi_lan_ocr"].items():
        upstream = VECTORS["multi_lan_ocr"]["subsets"][subset]
        assert scores["macro_f1_score"] == pytest.approx(upstream["macro_f1"], abs=1e-7)
        assert scores["micro_f1_score"] == pytest.approx(upstream["micro_f1"], abs=1e-7)


def test_f1_of_edge_cases() -> None:
    assert f1_of(0, 0, 0) == 0.0
    assert f1_of(0, 3, 0) == 0.0
    assert f1_of(2, 4, 2) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("café", "cafe", 1),
        ("東京駅", "東京", 1),
        ("ab", "ba", 2),  # no transpositions: two substitutions
    ],
)
def test_edit_distance_by_hand(first: str, second: str, distance: int) -> None:
    assert edit_distance(first, second) == distance == edit_distance(second, first)


def test_edit_similarity() -> None:
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert edit_similarity("abc", "abc") == 1.0
    assert edit_similarity("", "") == 0.0
    assert edit_similarity("", "", both_empty=1.0) == 1.0
    assert edit_similarity("", "xyz") == 0.0


def test_doc_parsing_cleaning_per_operation() -> None:
    prediction = "\\documentclass{article}\\begin{document}```latex\n\\section{Intro} Text```\\end{document}"
    assert doc_parsing_score("doc", prediction, "\\section{Intro}\nText") == 1.0
    assert doc_parsing_score("doc", "", "") == 1.0
    assert doc_parsing_score("formula", "```latex\nE = mc^2\n```", "E=mc^{2}") == pytest.approx(1 - 2 / 8)
    assert doc_parsing_score("formula", "", "") == 0.0
    assert doc_parsing_score("molecular", "<smiles>CC(=O) O</smiles>", "CC(=O)O") == 1.0
    assert doc_parsing_score("molecular", "CCO", "CC(=O)O") == pytest.approx(1 - 4 / 7)


@pytest.mark.parametrize(
    "case", DOC_VECTORS["cases"], ids=lambda case: f"{case['operation']}:{case['gt'][:10]}"
)
def test_doc_parsing_equals_upstream(case: dict) -> None:
    assert doc_parsing_score(case["operation"], case["pred"], case["gt"]) == pytest.approx(case["score"])
