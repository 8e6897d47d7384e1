import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tv_eval.core.types import Sample
from tv_eval.scoring.choice_markers import entry_for, field_names, marker_entry_fields, table_codes
from tv_eval.scoring.choices import (
    extract_choice,
    extract_truth,
    normalize_answer,
    parse_answer_with_options,
)
from tv_eval.tasking.scorers import choice_score

REPO_ROOT = Path(__file__).resolve().parents[1]

# (language, script, raw Translated_Answer, answer, options): the "Options" word is in-language.
OPTION_CASES = [
    (
        "en",
        "Latn",
        "Heartstopper (Options: Heartstopper, Bridgerton, Derry Girls, Sex Education)",
        "Heartstopper",
        ("Heartstopper", "Bridgerton", "Derry Girls", "Sex Education"),
    ),
    ("de", "Latn", "Kreis (Optionen: Quadrat, Kreis, Dreieck)", "Kreis", ("Quadrat", "Kreis", "Dreieck")),
    (
        "fr",
        "Latn",
        "Paris, France (choix : Lyon, Paris, France, Nice)",
        "Paris, France",
        ("Lyon", "Paris, France", "Nice"),
    ),
    (
        "es",
        "Latn",
        "Trajes de flamenca. (Opciones: Trajes de flamenca, Trajes de carnaval)",
        "Trajes de flamenca",
        ("Trajes de flamenca", "Trajes de carnaval"),
    ),
    (
        "pt",
        "Latn",
        "Um forte (Opções: Um palácio, Um forte, Um farol)",
        "Um forte",
        ("Um palácio", "Um forte", "Um farol"),
    ),
    ("pl", "Latn", "Kraków (opcje: Warszawa, Kraków, Gdańsk)", "Kraków", ("Warszawa", "Kraków", "Gdańsk")),
    ("cs", "Latn", "Praha (Možnosti: Brno, Praha, Ostrava)", "Praha", ("Brno", "Praha", "Ostrava")),
    (
        "tr",
        "Latn",
        "İstanbul (Seçenekler: Ankara, İstanbul, İzmir)",
        "İstanbul",
        ("Ankara", "İstanbul", "İzmir"),
    ),
    ("vi", "Latn", "Phở (Tùy chọn: Phở, Bún chả, Bánh mì)", "Phở", ("Phở", "Bún chả", "Bánh mì")),
    ("sw", "Latn", "Ugali (Chaguo: Ugali, Pilau, Chapati)", "Ugali", ("Ugali", "Pilau", "Chapati")),
    ("ru", "Cyrl", "Москва (Варианты: Москва, Казань, Сочи)", "Москва", ("Москва", "Казань", "Сочи")),
    ("uk", "Cyrl", "Київ (Варіанти: Львів, Київ, Одеса)", "Київ", ("Львів", "Київ", "Одеса")),
    ("bg", "Cyrl", "София (Опции: Варна, София, Пловдив)", "София", ("Варна", "София", "Пловдив")),
    (
        "ar",
        "Arab",
        "القاهرة (الخيارات: القاهرة، الإسكندرية، أسوان)",
        "القاهرة",
        ("القاهرة", "الإسكندرية", "أسوان"),
    ),
    ("fa", "Arab", "تهران (گزینه‌ها: تهران، شیراز، اصفهان)", "تهران", ("تهران", "شیراز", "اصفهان")),
    ("hi", "Deva", "दिल्ली (विकल्प: मुंबई, दिल्ली, कोलकाता)", "दिल्ली", ("मुंबई", "दिल्ली", "कोलकाता")),
    ("zh-Hans", "Hans", "北京（选项：上海、北京、广州）", "北京", ("上海", "北京", "广州")),
    ("zh-Hant", "Hant", "臺北（選項：臺北，高雄，臺中）", "臺北", ("臺北", "高雄", "臺中")),
    ("ja", "Jpan", "寿司（選択肢：寿司、天ぷら、ラーメン）", "寿司", ("寿司", "天ぷら", "ラーメン")),
    ("ko", "Kore", "김치 (옵션: 김치, 불고기, 비빔밥)", "김치", ("김치", "불고기", "비빔밥")),
    ("th", "Thai", "ต้มยำ (ตัวเลือก: ต้มยำ, ผัดไทย, ส้มตำ)", "ต้มยำ", ("ต้มยำ", "ผัดไทย", "ส้มตำ")),
    ("am", "Ethi", "እንጀራ (አማራጮች: እንጀራ, ዶሮ ወጥ, ቡና)", "እንጀራ", ("እንጀራ", "ዶሮ ወጥ", "ቡና")),
    ("bn", "Beng", "ঢাকা (বিকল্প: চট্টগ্রাম, ঢাকা, খুলনা)", "ঢাকা", ("চট্টগ্রাম", "ঢাকা", "খুলনা")),
    ("el", "Grek", "Αθήνα (Επιλογές: Αθήνα, Πάτρα, Λάρισα)", "Αθήνα", ("Αθήνα", "Πάτρα", "Λάρισα")),
    ("he", "Hebr", "ירושלים (אפשרויות: חיפה, ירושלים, אילת)", "ירושלים", ("חיפה", "ירושלים", "אילת")),
    ("ta", "Taml", "சென்னை (விருப்பங்கள்: மதுரை, சென்னை, கோவை)", "சென்னை", ("மதுரை", "சென்னை", "கோவை")),
    ("si", "Sinh", "කොළඹ (විකල්ප: මහනුවර, කොළඹ, ගාල්ල)", "කොළඹ", ("මහනුවර", "කොළඹ", "ගාල්ල")),
    (
        "ka",
        "Geor",
        "თბილისი (ვარიანტები: ბათუმი, თბილისი, ქუთაისი)",
        "თბილისი",
        ("ბათუმი", "თბილისი", "ქუთაისი"),
    ),
]


def test_cases_cover_enough_languages_and_scripts() -> None:
    assert len({case[0] for case in OPTION_CASES}) >= 20
    assert len({case[1] for case in OPTION_CASES}) >= 8


@pytest.mark.parametrize(("language", "script", "raw", "answer", "options"), OPTION_CASES)
def test_parse_options(language: str, script: str, raw: str, answer: str, options: tuple[str, ...]) -> None:
    parsed = parse_answer_with_options(raw)
    assert parsed is not None
    assert parsed.answer == answer
    assert parsed.options == options
    # the model answering with the option text itself always selects it
    assert extract_choice(answer, parsed.options) == options.index(answer)


@pytest.mark.parametrize("raw", ["Paris", "True", "", "Paris (a city)", "x (Options: only-one)"])
def test_parse_options_rejects_other_forms(raw: str) -> None:
    assert parse_answer_with_options(raw) is None


OPTIONS = ("Heartstopper", "Bridgerton", "Derry Girls", "Sex Education")


@pytest.mark.parametrize(
    ("prediction", "index"),
    [
        ("Heartstopper", 0),
        ("heartstopper.", 0),
        ('"Bridgerton"', 1),
        ("«Derry Girls»", 2),
        ("B", 1),
        ("(c)", 2),
        ("D.", 3),
        ("Option A", 0),
        ("2", 1),
        ("Ｂ", 1),  # full-width letter
        ("Final Answer: C", 2),
        ("The answer is Derry Girls.", 2),
        ("Bridgerton。", 1),  # full-width period
        ("A) Heartstopper", 0),
        ("nothing fits", None),
        ("Heartstopper or Bridgerton", None),  # two options named: no guess
        ("", None),
        ("9", None),
    ],
)
def test_extract_choice(prediction: str, index: int | None) -> None:
    assert extract_choice(prediction, OPTIONS) == index


def test_extract_choice_digits_of_other_scripts() -> None:
    years = ("1990", "1991", "1992")
    assert extract_choice("١٩٩١", years) == 1  # Arabic-Indic digits
    assert extract_choice("१९९२", years) == 2  # Devanagari digits
    assert extract_choice("1", years) == 0  # a bare number is a 1-based option label


def test_numeric_options_are_not_read_as_labels() -> None:
    assert extract_choice("2", ("1", "2", "3")) == 1


def test_longer_option_wins_over_contained_one() -> None:
    options = ("Trajes de flamenca", "Trajes tradicionales de flamenca")
    assert extract_choice("Son trajes tradicionales de flamenca", options) == 1


@pytest.mark.parametrize(
    ("prediction", "language", "expected"),
    [
        ("Vrai.", "fr", True),
        ("Faux", "fr", False),
        ("不对", "zh-Hans", False),
        ("对", "zh-Hans", True),
        ("Nein, das stimmt nicht", "de", False),
        ("はい", "ja", True),
        ("नहीं", "hi", False),
        ("ሐሰት", "am", False),
        ("True", "sw", True),
        ("si kweli", "sw", False),
        ('"Правда"', "ru", True),
        ("maybe", "en", None),
        ("", "en", None),
    ],
)
def test_extract_truth(prediction: str, language: str, expected: bool | None) -> None:
    assert extract_truth(prediction, language) is expected


def test_normalize_answer() -> None:
    assert normalize_answer("  «Ｐａｒｉｓ。» ") == "paris"
    assert normalize_answer("٣") == "3"


# The labelled corpus: 371 predictions in 53 languages and 26 scripts, each with the question's
# options and what a careful grader reads from it (an option, or null where it picks none).
CORPUS_PATH = Path(__file__).parent / "data" / "choice_extraction.jsonl"
CORPUS = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
# Inflections that change the word's stem (Praha -> v Praze, पुणे -> पुण्यात) are not read:
# the marker table lists attached endings, not stem alternations.
KNOWN_MISSES = {("cs", "Je to v Praze."), ("mr", "हे पुण्यात आहे")}
MINIMUM_ACCURACY = 0.99


def _extracted(case: dict[str, Any], language: str | None) -> str | None:
    index = extract_choice(case["prediction"], case["options"], language=language)
    return None if index is None else case["options"][index]


def test_corpus_covers_languages_scripts_and_kinds() -> None:
    assert len(CORPUS) >= 150
    assert len({case["language"] for case in CORPUS}) >= 25
    assert len({case["script"] for case in CORPUS}) >= 12
    kinds = {case["kind"] for case in CORPUS}
    assert {"clitic", "negation", "option_label", "answer_marker", "ambiguous", "native_digit"} <= kinds
    assert all(case["expected"] is None or case["expected"] in case["options"] for case in CORPUS)


@pytest.mark.parametrize(
    "case",
    [case for case in CORPUS if (case["language"], case["prediction"]) not in KNOWN_MISSES],
    ids=lambda case: f"{case['language']}-{case['kind']}",
)
def test_corpus_case(case: dict[str, Any]) -> None:
    assert _extracted(case, case["language"]) == case["expected"], case["prediction"]


def test_corpus_accuracy_and_known_misses() -> None:
    misses = {
        (case["language"], case["prediction"])
        for case in CORPUS
        if _extracted(case, case["language"]) != case["expected"]
    }
    assert misses == KNOWN_MISSES
    assert 1 - len(misses) / len(CORPUS) >= MINIMUM_ACCURACY


def test_corpus_in_non_latin_scripts_reads_without_the_language() -> None:
    """Without the sample's language, the scripts of the prediction choose the markers."""
    non_latin = [case for case in CORPUS if case["script"] != "Latn"]
    misses = {
        (case["language"], case["prediction"])
        for case in non_latin
        if _extracted(case, None) != case["expected"]
    }
    assert misses == {miss for miss in KNOWN_MISSES if miss[0] == "mr"}


@pytest.mark.parametrize(
    ("prediction", "options", "index"),
    [
        ("김치입니다", ("김치", "불고기", "비빔밥"), 0),  # attached copula
        ("בחיפה", ("חיפה", "ירושלים", "אילת"), 0),  # attached preposition
        ("לא חיפה", ("חיפה", "ירושלים", "אילת"), None),  # negated: abstain
        ("לא חיפה, אלא ירושלים", ("חיפה", "ירושלים", "אילת"), 1),
        ("Not Haifa.", ("Haifa", "Jerusalem", "Eilat"), None),
        ("Jerusalem, not Haifa.", ("Haifa", "Jerusalem", "Eilat"), 1),
        ("گزینه ۲", ("تهران", "شیراز", "اصفهان"), 1),  # in-language option word, native digit
        ("答案是B", ("上海", "北京", "广州"), 1),  # in-language answer marker
        ("الإجابة هي القاهرة", ("القاهرة", "أسوان"), 0),
    ],
)
def test_cases_from_the_issue_without_a_language(
    prediction: str, options: tuple[str, ...], index: int | None
) -> None:
    assert extract_choice(prediction, options) == index


def test_every_alm_bench_language_has_markers() -> None:
    languages = yaml.safe_load(
        (REPO_ROOT / "tasks" / "alm_bench" / "languages.yaml").read_text(encoding="utf-8")
    )
    assert {code for code in languages.values() if entry_for(code) is None} == set()


def test_marker_table_uses_only_known_fields() -> None:
    for code in table_codes():
        assert set(marker_entry_fields(code)) <= set(field_names()), code


def test_latin_negation_needs_the_language() -> None:
    """Negation words of Latin-script languages are ordinary words elsewhere ("si" is Spanish
    for "if", Swahili for "is not"): they apply only when the sample's language says so."""
    assert extract_choice("Si Ugali.", ("Ugali", "Pilau")) == 0
    assert extract_choice("Si Ugali.", ("Ugali", "Pilau"), language="sw") is None


def test_choice_score_reads_with_the_samples_language() -> None:
    """The shared MCQ scorer passes the sample's language, so Latin-script negation applies."""
    sample = Sample(sample_id="1", task="t", language="sw", reference="Ugali", choices=("Ugali", "Pilau"))
    assert choice_score(sample, "Si Ugali.").scores["accuracy"] == 0.0
    assert choice_score(sample, "Ni Ugali.").scores["accuracy"] == 1.0
