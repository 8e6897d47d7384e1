from pathlib import Path

import pytest

from tv_eval.data.tiers import TierMapError, joshi_tier_map, load_tier_map

# Table 1 of Joshi et al. (2020) names five example languages per class; these classes are the
# paper's, written here by hand, so a lookup that drifts from the paper fails whatever the data says.
PAPER_EXAMPLES = {
    "5": {"en": "English", "es": "Spanish", "de": "German", "ja": "Japanese", "fr": "French"},
    "4": {"ru": "Russian", "hu": "Hungarian", "vi": "Vietnamese", "nl": "Dutch", "ko": "Korean"},
    "3": {"id": "Indonesian", "uk": "Ukrainian", "ceb": "Cebuano", "af": "Afrikaans", "he": "Hebrew"},
    "2": {"zu": "Zulu", "kok": "Konkani", "lo": "Lao", "mt": "Maltese", "ga": "Irish"},
    "1": {"chr": "Cherokee", "fj": "Fijian", "kl": "Greenlandic", "bho": "Bhojpuri", "nv": "Navajo"},
    "0": {"dal": "Dahalo", "wbp": "Warlpiri", "wls": "Wallisian", "boa": "Bora"},
}


@pytest.mark.parametrize(
    ("tag", "tier"),
    [(tag, tier) for tier, languages in PAPER_EXAMPLES.items() for tag in languages],
)
def test_classes_of_the_papers_example_languages(tag: str, tier: str) -> None:
    assert joshi_tier_map().tier_of(tag) == tier


@pytest.mark.parametrize(
    ("tag", "tier"),
    [
        ("zh-Hans", "5"),  # zho -> cmn (Mandarin)
        ("zh-Hant", "5"),
        ("pt-BR", "4"),  # variant takes its base language's class
        ("nb", "1"),
        ("nn", "1"),
        ("no", "1"),  # nor -> nob
        ("fil", "3"),  # fil -> tgl
        ("fa", "4"),
        ("sw", "2"),  # swa -> swh
        ("en", "5"),
        ("pa", "2"),  # listed by name only (eastern punjabi)
        ("xx", "unknown"),
        ("ckb", "unknown"),
    ],
)
def test_joshi_tiers(tag: str, tier: str) -> None:
    assert joshi_tier_map().tier_of(tag) == tier


def test_groups() -> None:
    tiers = joshi_tier_map()
    assert [tiers.group_of(t) for t in ["0", "1", "2", "3", "4", "5", "unknown"]] == [
        "low",
        "low",
        "low",
        "mid",
        "high",
        "high",
        "unknown",
    ]


def test_table_is_complete_copy() -> None:
    assert len(joshi_tier_map().by_alpha3) == 2298


def test_user_tier_map_toml(tmp_path: Path) -> None:
    path = tmp_path / "supported.toml"
    path.write_text('[tiers]\nen = "supported"\n"zh-Hans" = "supported"\nsw = "unsupported"\n')
    tiers = load_tier_map(path)
    assert tiers.tier_of("en") == "supported"
    assert tiers.tier_of("zh-Hant") == "supported"
    assert tiers.tier_of("sw") == "unsupported"
    assert tiers.tier_of("de") == "unknown"
    assert tiers.group_of("supported") == "supported"


def test_user_tier_map_yaml(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("de: high\nam: low\n")
    assert load_tier_map(path).tier_of("am") == "low"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.toml", "en = [", "not valid TOML"),
        ("bad.yaml", "- a\n- b\n", "must map language codes"),
        ("bad.yaml", "xq: high\n", "unknown language code 'xq'"),
        ("bad.yaml", "en: [1, 2]\n", "must be a string"),
        ("bad.json", "{}", "must be .toml"),
    ],
)
def test_malformed_tier_maps(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TierMapError, match=message):
        load_tier_map(path)


def test_missing_tier_map(tmp_path: Path) -> None:
    with pytest.raises(TierMapError, match="cannot read"):
        load_tier_map(tmp_path / "absent.toml")


def test_tier_map_syntax_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tiers.yaml"
    path.write_text("en: [high\nde: mid\n", encoding="utf-8")
    with pytest.raises(TierMapError) as caught:
        load_tier_map(path)
    assert str(caught.value) == (
        f"tier map {path} is not valid YAML: expected ',' or ']', but got ':' (line 2, column 3)"
    )
