import pytest

from tv_eval.scoring.choices import (
    extract_choice,
    extract_truth,
    normalize_answer,
    parse_answer_with_options,
)

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
