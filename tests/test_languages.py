import pytest

from tv_eval.data.languages import (
    UnknownLanguageError,
    language_from_name,
    language_info,
    normalize_language,
    parse_language_list,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("iw", "he"),
        ("zh_CN", "zh-CN"),
        ("ENG", "en"),
        ("de", "de"),
        ("zh-Hans", "zh-Hans"),
        ("tl", "fil"),
        ("pt-br", "pt-BR"),
        (" fr ", "fr"),
    ],
)
def test_normalize_language(tag: str, expected: str) -> None:
    assert normalize_language(tag) == expected


@pytest.mark.parametrize("tag", ["xx", "und", "", "   ", "qaa", "zz-ZZ", "123"])
def test_normalize_language_rejects_unknown(tag: str) -> None:
    with pytest.raises(UnknownLanguageError):
        normalize_language(tag)


def test_language_from_name() -> None:
    assert language_from_name("Sinhala") == "si"
    assert language_from_name("Kinyarwanda") == "rw"
    with pytest.raises(UnknownLanguageError, match="Foobarish"):
        language_from_name("Foobarish")


def test_language_info_script() -> None:
    assert language_info("zh-Hant").script == "Hant"
    assert language_info("am").script == "Ethi"
    assert language_info("ru").alpha3 == "rus"


def test_parse_language_list_names_the_bad_code() -> None:
    assert parse_language_list("de, fr,,zh-Hans") == ["de", "fr", "zh-Hans"]
    with pytest.raises(UnknownLanguageError, match="'xq'"):
        parse_language_list("de,xq")
