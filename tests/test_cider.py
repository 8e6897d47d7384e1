"""CIDEr (tv_eval.scoring.cider): tokenisation per script, values computed by hand from CIDEr-D's
definition (pycocoevalcap's Cider: n = 1..4, tf-idf with log(N) - log(max(1, df)), clipped cosine,
x10 / references), document frequencies per language, and the corpus machinery around it."""

from __future__ import annotations

import pytest

from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.aggregation import aggregate_task
from tv_eval.scoring.cider import CiderMetric, caption_tokens, cider_spec, image_scores, tokenisation
from tv_eval.scoring.corpus_metrics import SegmentTable
from tv_eval.scoring.corpus_registry import corpus_metric_of

# Two images with disjoint vocabularies (so every n-gram has df 1 and weight log 2). A perfect caption
# of three tokens matches at n = 1, 2, 3 and has no 4-grams: (1 + 1 + 1 + 0) / 4 x 10 = 7.5. The
# caption "a b d" for reference "a b c": unigrams 2 of 3 (cosine 2/3), bigrams 1 of 2 (1/2), no trigram
# match, equal bigram counts (no length penalty): (2/3 + 1/2) / 4 x 10 = 35/12.
PERFECT_THREE = 7.5
PARTIAL = 35 / 12


def record(language: str, number: int, hypothesis: str, reference: str, tier: str = "5") -> ScoredSample:
    return ScoredSample(
        sample_id=f"{language}/{number}",
        task="xm3600",
        language=language,
        tier=tier,
        status=SampleStatus.SCORED,
        prompt="",
        prediction=hypothesis,
        reference=reference,
        extracted=hypothesis,
        cluster_id=f"image{number}",
        metadata={"references": [reference]},
    )


def test_tokens_drop_case_and_punctuation_and_keep_marks() -> None:
    assert caption_tokens("A dog, running!", "en") == ["a", "dog", "running"]
    # Devanagari vowel signs are marks: they stay inside the word.
    assert caption_tokens("एक लाल गोला।", "hi") == ["एक", "लाल", "गोला"]
    assert caption_tokens("Ein Café", "de") == ["ein", "café"]
    # NFC: a decomposed é equals the composed one.
    assert caption_tokens("cafe\u0301", "fr") == caption_tokens("café", "fr")


def test_unspaced_scripts_split_into_grapheme_clusters() -> None:
    assert caption_tokens("一只红色的猫。", "zh") == ["一", "只", "红", "色", "的", "猫"]
    assert caption_tokens("赤い 猫です", "ja") == ["赤", "い", "猫", "で", "す"]
    # Thai tone marks and SARA AM join their consonant: น้ำ is one cluster, not three code points.
    assert caption_tokens("น้ำ", "th") == ["น้ำ"]
    assert [tokenisation(code) for code in ("zh", "ja", "th", "ko", "zh-Hant")] == [
        "grapheme",
        "grapheme",
        "grapheme",
        "word",
        "grapheme",
    ]


def test_image_scores_equal_the_values_computed_by_hand() -> None:
    scores = image_scores(["a b d", "x y z"], [["a b c"], ["x y z"]], "en")
    assert scores == pytest.approx([PARTIAL, PERFECT_THREE])


def test_chinese_is_scored_on_characters() -> None:
    # As one token per sentence (what whitespace tokenisation gives Chinese) the perfect caption would
    # match unigrams only: 1/4 x 10 = 2.5.
    scores = image_scores(["一只猫", "两条狗"], [["一只猫"], ["两条狗"]], "zh")
    assert scores == pytest.approx([PERFECT_THREE, PERFECT_THREE])


def test_document_frequencies_are_per_language() -> None:
    english = [record("en", 0, "a b d", "a b c"), record("en", 1, "x y z", "x y z")]
    # German shares "a b" with English: pooled frequencies would halve the unigram cosine (1/3, not 2/3).
    german = [record("de", 0, "a b e", "a b e"), record("de", 1, "p q r", "p q r")]
    table = SegmentTable.build(CiderMetric(), english + german)
    assert table.stats[:, 0] == pytest.approx([PARTIAL, PERFECT_THREE, PERFECT_THREE, PERFECT_THREE])
    assert table.metric.score(table.stats.sum(axis=0)) == pytest.approx((PARTIAL + 3 * PERFECT_THREE) / 4)


def test_groups_by_language_and_tier_and_macro() -> None:
    records = [
        record("en", 0, "a b d", "a b c"),
        record("en", 1, "x y z", "x y z"),
        record("sw", 0, "a b", "a b c", tier="2"),
        record("sw", 1, "x y z", "x y z", tier="2"),
    ]
    metric = CiderMetric()
    block = aggregate_task(
        records, tier_map=joshi_tier_map(), corpus_metrics=[metric], specs=(cider_spec(primary=True),)
    )
    swahili = image_scores(["a b", "x y z"], [["a b c"], ["x y z"]], "sw")
    english_value = (PARTIAL + PERFECT_THREE) / 2
    assert block["by_language"]["en"]["metrics"]["cider"]["value"] == pytest.approx(english_value)
    assert block["by_language"]["sw"]["metrics"]["cider"]["value"] == pytest.approx(sum(swahili) / 2)
    assert block["by_tier"]["2"]["cider"]["value"] == pytest.approx(sum(swahili) / 2)
    assert block["overall"]["cider"]["value"] == pytest.approx((PARTIAL + PERFECT_THREE + sum(swahili)) / 4)
    assert block["overall"]["cider_macro"]["value"] == pytest.approx((english_value + sum(swahili) / 2) / 2)
    low, high = block["overall"]["cider"]["ci95"]
    assert low <= block["overall"]["cider"]["value"] <= high


def test_several_references_and_failed_samples() -> None:
    several = record("en", 0, "a b c", "a b c")
    several = ScoredSample(**{**several.__dict__, "metadata": {"references": ["q r s", "a b c"]}})
    failed = ScoredSample(**{**record("en", 2, "", "m n o").__dict__, "status": SampleStatus.FAILED})
    table = SegmentTable.build(CiderMetric(), [several, record("en", 1, "x y z", "x y z"), failed])
    assert list(table.rows) == ["en/0", "en/1"]
    # Two references: the cosine with the matching one is 3/4 x 10, the other 0, averaged: 3.75.
    assert table.stats[0, 0] == pytest.approx(PERFECT_THREE / 2)


def test_spec_round_trip_rebuilds_cider() -> None:
    spec = cider_spec(primary=True)
    assert isinstance(corpus_metric_of(spec), CiderMetric)
    assert spec.to_json()["kind"] == "corpus" and spec.aggregation.value == "corpus_statistic"
