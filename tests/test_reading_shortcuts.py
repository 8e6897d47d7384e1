"""Shortcuts in reading an answer that must not change what is read: the substring check that spares
compiling a term's pattern, the length limit that spares compiling the whole-label pattern, and
merging many languages' markers in one pass."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tv_eval.scoring.choice_markers import Markers, _entry, markers_for, table_codes
from tv_eval.scoring.normalization import normalize_answer
from tv_eval.scoring.option_labels import _SPACE, _whole_label, _whole_label_limit, whole_label
from tv_eval.scoring.term_patterns import may_occur, term_pattern

# Options as the benchmarks write them, in scripts with attached affixes and initial or final changes.
OPTIONS = (
    "москва",
    "הכותל",
    "ankara",
    "kraków",
    "warszawa",
    "김치",
    "東京タワー",
    "red bus",
    "la tour eiffel",
)


def _affixes(language: str):
    return markers_for(language, "").affixes


@settings(max_examples=300, deadline=None)
@given(
    language=st.sampled_from(table_codes()),
    option=st.sampled_from(OPTIONS),
    before=st.text(max_size=6),
    after=st.text(max_size=6),
    cut_start=st.integers(0, 2),
    cut_end=st.integers(0, 2),
)
def test_a_skipped_text_has_no_match(
    language: str, option: str, before: str, after: str, cut_start: int, cut_end: int
) -> None:
    affixes = _affixes(language)
    changed = option[cut_start : len(option) - cut_end] if len(option) > 4 else option
    for form in (option, changed):
        text = normalize_answer(f"{before}{form}{after}")
        if term_pattern(option, affixes).search(text):
            assert may_occur(option, affixes, text)


def test_attached_forms_still_count_and_absent_options_are_skipped() -> None:
    russian, hebrew = _affixes("ru"), _affixes("he")
    assert may_occur("москва", russian, "это москве")
    assert term_pattern("москва", russian).search("это в москве")
    assert may_occur("הכותל", hebrew, "בכותל")
    assert term_pattern("הכותל", hebrew).search("בכותל")
    assert not may_occur("москва", russian, "это париж")
    assert not may_occur("red bus", _affixes("en"), "a red car")


@settings(max_examples=60, deadline=None)
@given(codes=st.lists(st.sampled_from(table_codes()), min_size=1, max_size=8))
def test_merging_in_one_pass_equals_merging_one_by_one(codes: list[str]) -> None:
    one_by_one = _entry("en")
    for code in codes:
        one_by_one = one_by_one.merged(_entry(code))
    assert _entry("en").merged_all([_entry(code) for code in codes]) == one_by_one


def test_a_letter_placed_differently_is_dropped_at_its_step_and_may_come_back() -> None:
    first, second, third = (
        Markers(letters=(("x", 0),)),
        Markers(letters=(("x", 1),)),
        Markers(letters=(("x", 0),)),
    )
    assert first.merged_all([second]).letters == ()
    assert first.merged_all([second, third]).letters == (("x", 0),)


@settings(max_examples=400, deadline=None)
@given(
    codes=st.lists(st.sampled_from(table_codes()), min_size=1, max_size=3),
    picks=st.lists(st.integers(0, 10_000), min_size=5, max_size=5),
    spaces=st.lists(st.sampled_from(["", " ", "  "]), min_size=5, max_size=5),
)
def test_a_text_longer_than_the_limit_is_never_a_whole_label(
    codes: list[str], picks: list[int], spaces: list[str]
) -> None:
    """Labels built from the mix's own longest letters, closing words and suffixes: where the
    pattern matches, the text is within the limit, so refusing longer texts changes no reading."""
    markers = markers_for(codes[0], " ".join(codes))
    markers = markers.merged_all([_entry(code) for code in codes[1:]])
    letters = [letter for letter, _ in markers.letters] or ["b"]
    after, suffixes = markers.option_after or ("",), markers.suffixes or ("",)
    label = max(letters, key=len) if picks[0] % 2 else letters[picks[0] % len(letters)]
    text = f"({spaces[0]}{label}{spaces[1]}).{spaces[2]}{after[picks[1] % len(after)]}" + "".join(
        suffixes[pick % len(suffixes)] for pick in picks[2:5]
    )
    pattern = _whole_label(markers.letters, markers.option_after, markers.suffixes)
    limit = _whole_label_limit(markers.letters, markers.option_after, markers.suffixes)
    if pattern.match(text):
        assert len(_SPACE.sub("", text)) <= limit


def test_the_limit_refuses_long_answers_and_keeps_labels() -> None:
    korean = markers_for("ko", "")
    assert whole_label("2번입니다", korean, 4) == 1
    assert whole_label("(c)", korean, 4) == 2
    long_answer = "b " + "가나다라마바사아자차카타파하" * 4
    assert whole_label(long_answer, korean, 4) is None
