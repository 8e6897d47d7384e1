"""Property-based tests: the option parser, language normalisation, the results schema and the
lossless round trip of scored records."""

from __future__ import annotations

import json
import string

import langcodes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import results_document
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.languages import UnknownLanguageError, normalize_language
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.results.aggregation import aggregate_task
from tv_eval.results.document import validate_results
from tv_eval.scoring.choices import extract_choice, extract_truth, normalize_answer, parse_answer_with_options

WORD_CHARS = (
    string.ascii_letters
    + "äöüßéèçñøåœ"
    + "абвгдежз"
    + "αβγδ"
    + "अआइक"
    + "中文日本語한국어"
    + "ابتث"
    + "0123456789"
)
option_text = st.text(alphabet=WORD_CHARS + " -'", min_size=1, max_size=24).filter(
    lambda text: normalize_answer(text) != ""
)


@given(st.text(max_size=200), st.lists(st.text(max_size=30), max_size=6))
def test_extract_choice_never_raises(prediction: str, options: list[str]) -> None:
    result = extract_choice(prediction, options)
    assert result is None or 0 <= result < len(options)


@given(st.text(max_size=200))
def test_parse_and_truth_never_raise(text: str) -> None:
    parse_answer_with_options(text)
    extract_truth(text, "de")


@given(st.lists(option_text, min_size=2, max_size=6, unique_by=normalize_answer), st.data())
def test_prediction_equal_to_an_option_selects_it(options: list[str], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(options) - 1))
    assert extract_choice(options[index], options) == index


@given(
    st.lists(
        option_text.filter(lambda t: not any(c in t for c in ",;")),
        min_size=2,
        max_size=5,
        unique_by=normalize_answer,
    ),
    st.data(),
)
def test_options_round_trip_through_the_answer_format(options: list[str], data: st.DataObject) -> None:
    answer = data.draw(st.sampled_from(options))
    word = data.draw(st.sampled_from(["Options", "Optionen", "Варианты", "विकल्प"]))
    parsed = parse_answer_with_options(f"{answer.strip()} ({word}: {', '.join(o.strip() for o in options)})")
    assert parsed is not None
    assert normalize_answer(parsed.answer) == normalize_answer(answer)
    assert [normalize_answer(o) for o in parsed.options] == [normalize_answer(o) for o in options]


VALID_TAGS = [
    "en",
    "de",
    "zh-Hans",
    "zh-Hant",
    "pt-BR",
    "sw",
    "si",
    "am",
    "ar",
    "fil",
    "nb",
    "yue",
    "ku",
    "es-419",
]


@given(st.sampled_from(VALID_TAGS), st.sampled_from(["lower", "upper", "underscore", "spaces"]))
def test_normalisation_is_canonical_and_idempotent(tag: str, variant: str) -> None:
    spelled = {
        "lower": tag.lower(),
        "upper": tag.upper(),
        "underscore": tag.replace("-", "_"),
        "spaces": f"  {tag} ",
    }[variant]
    normalized = normalize_language(spelled)
    assert normalized == normalize_language(tag)
    assert normalize_language(normalized) == normalized
    assert langcodes.tag_is_valid(normalized)


@given(st.text(max_size=20))
def test_normalisation_raises_only_its_own_error(text: str) -> None:
    try:
        normalized = normalize_language(text)
    except UnknownLanguageError:
        return
    assert normalize_language(normalized) == normalized
    joshi_tier_map().tier_of(normalized)


record_strategy = st.builds(
    lambda index, language, status, score, cluster: ScoredSample(
        sample_id=str(index),
        task="t",
        language=language,
        tier="?",
        status=status,
        prompt="p",
        prediction="x",
        reference="y",
        scores={"accuracy": score} if status is SampleStatus.SCORED else {},
        cluster_id=str(cluster),
        question_type="mcq",
    ),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["en", "de", "sw", "si", "ckb", "zh-Hans"]),
    st.sampled_from(list(SampleStatus)),
    st.sampled_from([0.0, 1.0, 0.5]),
    st.integers(min_value=0, max_value=5),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record_strategy, min_size=1, max_size=40, unique_by=lambda r: r.sample_id))
def test_results_schema_round_trip(records: list[ScoredSample]) -> None:
    block = aggregate_task(records, tier_map=joshi_tier_map(), breakdowns=("question_type",), n_resamples=50)
    results = results_document(block)
    validate_results(results)
    reloaded = json.loads(json.dumps(results))
    validate_results(reloaded)
    assert block["counts"]["total"] == len(records)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
optional_text = st.none() | st.text(max_size=30)
scored_samples = st.builds(
    ScoredSample,
    sample_id=st.text(min_size=1, max_size=20),
    task=st.text(min_size=1, max_size=12),
    language=st.sampled_from(VALID_TAGS),
    tier=st.text(max_size=8),
    status=st.sampled_from(list(SampleStatus)),
    prompt=st.text(max_size=60),
    prediction=optional_text,
    reference=st.text(max_size=30),
    scores=st.dictionaries(st.text(min_size=1, max_size=10), st.floats(allow_nan=False), max_size=4),
    extracted=optional_text,
    error=optional_text,
    cluster_id=optional_text,
    category=optional_text,
    question_type=optional_text,
    script=optional_text,
    country=optional_text,
    choices=st.lists(st.text(max_size=12), max_size=5).map(tuple),
    metadata=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    judge_output=optional_text,
    source=optional_text,
    details=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)


@settings(max_examples=200, deadline=None)
@given(scored_samples)
def test_scored_record_round_trips_losslessly_through_samples_jsonl(record: ScoredSample) -> None:
    """What samples.jsonl stores is the whole record: every field comes back equal."""
    line = json.dumps(record.to_json(), ensure_ascii=False)
    assert ScoredSample.from_json(json.loads(line)) == record
