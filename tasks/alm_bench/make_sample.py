"""Builds the bundled offline sample (sample/test-00000-of-00001.parquet) in ALM-Bench's schema.

Synthetic on purpose: images are generated coloured shapes and the questions ask about them,
written in 15 languages covering all six Joshi classes and 12 scripts. Re-run with
`python -m tasks.alm_bench.make_sample` after changing it; the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_FILE = Path(__file__).parent / "sample" / "test-00000-of-00001.parquet"
# The TowerVision fork's layout (sonalsannigrahi/alm-bench-lang-split): one split per English language
# name, with only the three columns the fork reads (the others are UNVERIFIED).
LANG_SPLIT_DIR = Path(__file__).parent / "sample_lang_split" / "data"
LANG_SPLIT_LANGUAGES = ("English", "German", "Korean", "Russian")
FORK_COLUMNS = ("file_name", "Translated_Question", "Translated_Answer")
COLOURS = ("red", "blue", "green", "yellow")
SHAPES = ("circle", "square", "triangle")

# name: (colours, shapes, options word, (true, false), questions: colour, shape, is-it-colour,
# what-do-you-see, describe). CJK items use full-width brackets as the real data does.
PHRASES: dict[str, tuple] = {
    "English": (
        ("red", "blue", "green", "yellow"),
        ("circle", "square", "triangle"),
        "Options",
        ("True", "False"),
        (
            "What colour is the shape in the picture?",
            "Which shape is in the picture?",
            "Is the shape in the picture {c}?",
            "What do you see in the picture?",
            "Describe the picture in detail.",
        ),
    ),
    "German": (
        ("rot", "blau", "grün", "gelb"),
        ("Kreis", "Quadrat", "Dreieck"),
        "Optionen",
        ("Wahr", "Falsch"),
        (
            "Welche Farbe hat die Form auf dem Bild?",
            "Welche Form ist auf dem Bild?",
            "Ist die Form auf dem Bild {c}?",
            "Was siehst du auf dem Bild?",
            "Beschreibe das Bild ausführlich.",
        ),
    ),
    "Chinese (Simplified)": (
        ("红色", "蓝色", "绿色", "黄色"),
        ("圆形", "正方形", "三角形"),
        "选项",
        ("正确", "错误"),
        (
            "图片中的形状是什么颜色？",
            "图片中是什么形状？",
            "图片中的形状是{c}的吗？",
            "你在图片中看到了什么？",
            "请详细描述这张图片。",
        ),
    ),
    "Japanese": (
        ("赤", "青", "緑", "黄色"),
        ("円", "正方形", "三角形"),
        "選択肢",
        ("正しい", "間違い"),
        (
            "画像の図形は何色ですか？",
            "画像にはどの図形がありますか？",
            "画像の図形は{c}ですか？",
            "画像に何が見えますか？",
            "画像を詳しく説明してください。",
        ),
    ),
    "Hindi": (
        ("लाल", "नीला", "हरा", "पीला"),
        ("वृत्त", "वर्ग", "त्रिभुज"),
        "विकल्प",
        ("सही", "गलत"),
        (
            "चित्र में आकृति किस रंग की है?",
            "चित्र में कौन सी आकृति है?",
            "क्या चित्र में आकृति {c} है?",
            "आप चित्र में क्या देखते हैं?",
            "चित्र का विस्तार से वर्णन करें।",
        ),
    ),
    "Korean": (
        ("빨간색", "파란색", "초록색", "노란색"),
        ("원", "정사각형", "삼각형"),
        "옵션",
        ("참", "거짓"),
        (
            "그림 속 도형은 무슨 색입니까?",
            "그림에 있는 도형은 무엇입니까?",
            "그림 속 도형은 {c}입니까?",
            "그림에서 무엇이 보입니까?",
            "그림을 자세히 설명하세요.",
        ),
    ),
    "Russian": (
        ("красный", "синий", "зелёный", "жёлтый"),
        ("круг", "квадрат", "треугольник"),
        "Варианты",
        ("Правда", "Ложь"),
        (
            "Какого цвета фигура на картинке?",
            "Какая фигура изображена на картинке?",
            "Цвет фигуры на картинке — {c}?",
            "Что вы видите на картинке?",
            "Подробно опишите картинку.",
        ),
    ),
    "Bengali": (
        ("লাল", "নীল", "সবুজ", "হলুদ"),
        ("বৃত্ত", "বর্গ", "ত্রিভুজ"),
        "বিকল্প",
        ("সত্য", "মিথ্যা"),
        (
            "ছবির আকৃতিটি কোন রঙের?",
            "ছবিতে কোন আকৃতি আছে?",
            "ছবির আকৃতিটি কি {c}?",
            "ছবিতে আপনি কী দেখছেন?",
            "ছবিটি বিস্তারিতভাবে বর্ণনা করুন।",
        ),
    ),
    "Ukrainian": (
        ("червоний", "синій", "зелений", "жовтий"),
        ("коло", "квадрат", "трикутник"),
        "Варіанти",
        ("Правда", "Неправда"),
        (
            "Якого кольору фігура на зображенні?",
            "Яка фігура на зображенні?",
            "Колір фігури на зображенні — {c}?",
            "Що ви бачите на зображенні?",
            "Детально опишіть зображення.",
        ),
    ),
    "Thai": (
        ("แดง", "น้ำเงิน", "เขียว", "เหลือง"),
        ("วงกลม", "สี่เหลี่ยมจัตุรัส", "สามเหลี่ยม"),
        "ตัวเลือก",
        ("จริง", "เท็จ"),
        (
            "รูปทรงในภาพเป็นสีอะไร",
            "ในภาพเป็นรูปทรงอะไร",
            "รูปทรงในภาพเป็นสี{c}ใช่หรือไม่",
            "คุณเห็นอะไรในภาพ",
            "อธิบายภาพอย่างละเอียด",
        ),
    ),
    "Amharic": (
        ("ቀይ", "ሰማያዊ", "አረንጓዴ", "ቢጫ"),
        ("ክብ", "ካሬ", "ሶስት ማዕዘን"),
        "አማራጮች",
        ("እውነት", "ሐሰት"),
        (
            "በምስሉ ላይ ያለው ቅርጽ ምን ዓይነት ቀለም ነው?",
            "በምስሉ ላይ ያለው ቅርጽ የትኛው ነው?",
            "በምስሉ ላይ ያለው ቅርጽ {c} ነው?",
            "በምስሉ ላይ ምን ታያለህ?",
            "ምስሉን በዝርዝር ግለጽ።",
        ),
    ),
    "Swahili": (
        ("nyekundu", "bluu", "kijani", "njano"),
        ("duara", "mraba", "pembetatu"),
        "Chaguo",
        ("Kweli", "Si kweli"),
        (
            "Umbo kwenye picha lina rangi gani?",
            "Ni umbo gani lililo kwenye picha?",
            "Je, umbo kwenye picha ni la rangi {c}?",
            "Unaona nini kwenye picha?",
            "Eleza picha kwa undani.",
        ),
    ),
    "Sinhala": (
        ("රතු", "නිල්", "කොළ", "කහ"),
        ("කවය", "සමචතුරස්රය", "ත්‍රිකෝණය"),
        "විකල්ප",
        ("සත්‍ය", "අසත්‍ය"),
        (
            "පින්තූරයේ හැඩය කුමන වර්ණයද?",
            "පින්තූරයේ ඇත්තේ කුමන හැඩයද?",
            "පින්තූරයේ හැඩය {c} ද?",
            "ඔබට පින්තූරයේ පෙනෙන්නේ කුමක්ද?",
            "පින්තූරය විස්තරාත්මකව විස්තර කරන්න.",
        ),
    ),
    "Telugu": (
        ("ఎరుపు", "నీలం", "ఆకుపచ్చ", "పసుపు"),
        ("వృత్తం", "చతురస్రం", "త్రిభుజం"),
        "ఎంపికలు",
        ("నిజం", "అబద్ధం"),
        (
            "చిత్రంలోని ఆకారం ఏ రంగులో ఉంది?",
            "చిత్రంలో ఏ ఆకారం ఉంది?",
            "చిత్రంలోని ఆకారం {c} రంగులో ఉందా?",
            "చిత్రంలో మీకు ఏమి కనిపిస్తుంది?",
            "చిత్రాన్ని వివరంగా వర్ణించండి.",
        ),
    ),
    "Kurdish": (
        ("sor", "şîn", "kesk", "zer"),
        ("xelek", "çargoşe", "sêgoşe"),
        "Vebijark",
        ("Rast", "Şaş"),
        (
            "Şeklê di wêneyê de çi rengî ye?",
            "Di wêneyê de kîjan şekl heye?",
            "Ma şeklê di wêneyê de {c} e?",
            "Tu di wêneyê de çi dibînî?",
            "Wêneyê bi hûrgulî rave bike.",
        ),
    ),
}
FULL_WIDTH = {"Chinese (Simplified)", "Japanese"}
CATEGORIES = ("Sketch", "Painting", "Food items", "Architecture", "Festivals")
ENGLISH = PHRASES["English"]


def _mcq_answer(language: str, answer: str, options: list[str], options_word: str) -> str:
    if language in FULL_WIDTH:
        return f"{answer}（{options_word}：{'、'.join(options)}）"
    return f"{answer} ({options_word}: {', '.join(options)})"


def _rotate(items: tuple[str, ...], start: int) -> list[str]:
    return [items[(start + offset) % len(items)] for offset in range(len(items))]


@dataclass(frozen=True)
class _Picture:
    """One generated image of a language: its shape and colour, and the colour a true/false item asks."""

    language_index: int
    image_index: int

    @property
    def colour(self) -> int:
        return (self.language_index + self.image_index) % len(COLOURS)

    @property
    def shape(self) -> int:
        return (self.language_index * 2 + self.image_index) % len(SHAPES)

    @property
    def asked_colour(self) -> int:
        return (self.colour + self.language_index % 2) % len(COLOURS)


# (question type, translated question, English question, translated answer, English answer)
_Item = tuple[str, str, str, str, str]


def _colour_items(language: str, phrases: tuple, picture: _Picture) -> list[_Item]:
    colours, _, options_word, (true_word, false_word), questions = phrases
    q_colour, _, q_is, _, _ = questions
    e_colour, _, e_is, _, _ = ENGLISH[4]
    option_start = 2 * picture.language_index + 3 * picture.image_index
    is_true = picture.asked_colour == picture.colour
    mcq = _mcq_answer(language, colours[picture.colour], _rotate(colours, option_start), options_word)
    english_mcq = _mcq_answer(
        "English", ENGLISH[0][picture.colour], _rotate(ENGLISH[0], option_start), "Options"
    )
    return [
        ("Multiple Choice Questions", q_colour, e_colour, mcq, english_mcq),
        (
            "True False Question",
            q_is.format(c=colours[picture.asked_colour]),
            e_is.format(c=ENGLISH[0][picture.asked_colour]),
            true_word if is_true else false_word,
            "True" if is_true else "False",
        ),
    ]


def _shape_item(language: str, phrases: tuple, picture: _Picture) -> _Item:
    _, shapes, options_word, _, questions = phrases
    start = picture.language_index
    return (
        "Multiple Choice Questions",
        questions[1],
        ENGLISH[4][1],
        _mcq_answer(language, shapes[picture.shape], _rotate(shapes, start), options_word),
        _mcq_answer("English", ENGLISH[1][picture.shape], _rotate(ENGLISH[1], start), "Options"),
    )


def _open_item(phrases: tuple, picture: _Picture) -> _Item:
    colours, shapes, _, _, questions = phrases
    answer = f"{colours[picture.colour]} {shapes[picture.shape]}"
    english = f"{ENGLISH[0][picture.colour]} {ENGLISH[1][picture.shape]}"
    if picture.image_index == 0:
        return ("Short Question", questions[3], ENGLISH[4][3], answer, f"A {english}.")
    long_answer = f"The picture shows a {english} on a light background."
    return ("Long Question", questions[4], ENGLISH[4][4], answer, long_answer)


def _picture_items(language: str, phrases: tuple, picture: _Picture) -> list[_Item]:
    """Image A: 2 MCQ, 1 true/false, 1 short; image B: 1 MCQ, 1 true/false, 1 long."""
    items = _colour_items(language, phrases, picture)
    if picture.image_index == 0:
        items.insert(1, _shape_item(language, phrases, picture))
    return [*items, _open_item(phrases, picture)]


def build_rows() -> list[dict]:
    """Per language two images and seven questions about them, in ALM-Bench's columns."""
    rows: list[dict] = []
    for language_index, (language, phrases) in enumerate(PHRASES.items(), start=1):
        for image_index in range(2):
            picture = _Picture(language_index, image_index)
            colour, shape = COLOURS[picture.colour], SHAPES[picture.shape]
            image = {"bytes": shape_image(shape, colour), "path": None}
            category = CATEGORIES[(language_index + image_index) % len(CATEGORIES)]
            for question_index, item in enumerate(_picture_items(language, phrases, picture)):
                question_type, question, english_question, answer, english_answer = item
                rows.append(
                    {
                        "file_name": image,
                        "ID": f"{language_index:03d}_{language_index}_{image_index + 1:02d}_"
                        f"{question_index:03d}",
                        "Language": language,
                        "Category": category,
                        "Question_Type": question_type,
                        "English_Question": english_question,
                        "English_Answer": english_answer,
                        "Translated_Question": question,
                        "Translated_Answer": answer,
                        "Image_Url": f"generated://{colour}-{shape}",
                    }
                )
    return rows


def write_alm_bench_parquet(rows: list[dict], path: Path) -> None:
    """Writes rows with ALM-Bench's features (file_name as an Image), as the Hub's parquet has them."""
    from datasets import Dataset, Features, Image, Value

    text = Value("string")
    features = Features(
        {
            "file_name": Image(),
            "ID": text,
            "Language": text,
            "Category": text,
            "Question_Type": text,
            "English_Question": text,
            "English_Answer": text,
            "Translated_Question": text,
            "Translated_Answer": text,
            "Image_Url": text,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


def write_lang_split(rows: list[dict], folder: Path) -> None:
    """One parquet file per language split, every question type kept (the fork reads every row)."""
    from datasets import Dataset, Features, Image, Value

    features = Features(
        {"file_name": Image(), "Translated_Question": Value("string"), "Translated_Answer": Value("string")}
    )
    folder.mkdir(parents=True, exist_ok=True)
    for language in LANG_SPLIT_LANGUAGES:
        kept = [
            {column: row[column] for column in FORK_COLUMNS} for row in rows if row["Language"] == language
        ]
        Dataset.from_list(kept, features=features).to_parquet(
            str(folder / f"{language}-00000-of-00001.parquet")
        )


if __name__ == "__main__":
    write_alm_bench_parquet(build_rows(), SAMPLE_FILE)
    write_lang_split(build_rows(), LANG_SPLIT_DIR)
    print(f"wrote {SAMPLE_FILE} and {LANG_SPLIT_DIR}")
