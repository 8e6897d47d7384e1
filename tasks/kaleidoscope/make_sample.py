"""Builds the bundled offline sample in Kaleidoscope's Hub layout: sample/train-00000-of-00001.parquet
(the eleven columns, `image` a path) and sample/data.zip holding those pictures under `final_data/`, as
the Hub's `data.zip` does.

Synthetic on purpose: per language of the 18 one colour question about a generated shape, asked in that
language; six text-only questions (`image` null or "None", the two forms upstream reads as no image)
and one question whose options are pictures. Re-run with `python -m tasks.kaleidoscope.make_sample`;
deterministic.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tv_eval.api import COLOURS, SHAPES, shape_image

SAMPLE_DIR = Path(__file__).parent / "sample"
IMAGE_DIR = "data/tv_eval_sample/images"
# language -> (country, question, the colours red, blue, green, yellow)
LANGUAGES: dict[str, tuple[str, str, tuple[str, str, str, str]]] = {
    "ar": ("Jordan", "ما لون الشكل في الصورة؟", ("أحمر", "أزرق", "أخضر", "أصفر")),
    "bn": ("Bangladesh", "ছবির আকৃতিটি কোন রঙের?", ("লাল", "নীল", "সবুজ", "হলুদ")),
    "de": ("Germany", "Welche Farbe hat die Form im Bild?", ("rot", "blau", "grün", "gelb")),
    "en": ("United States", "What colour is the shape in the picture?", ("red", "blue", "green", "yellow")),
    "es": ("Spain", "¿De qué color es la figura de la imagen?", ("rojo", "azul", "verde", "amarillo")),
    "fa": ("Iran", "رنگ شکل در تصویر چیست؟", ("قرمز", "آبی", "سبز", "زرد")),
    "fr": ("France", "De quelle couleur est la forme sur l'image ?", ("rouge", "bleu", "vert", "jaune")),
    "hi": ("India", "चित्र में आकृति किस रंग की है?", ("लाल", "नीला", "हरा", "पीला")),
    "hr": ("Croatia", "Koje je boje oblik na slici?", ("crvena", "plava", "zelena", "žuta")),
    "hu": ("Hungary", "Milyen színű az alakzat a képen?", ("piros", "kék", "zöld", "sárga")),
    "lt": (
        "Lithuania",
        "Kokios spalvos yra figūra paveikslėlyje?",
        ("raudona", "mėlyna", "žalia", "geltona"),
    ),
    "ne": ("Nepal", "चित्रमा आकृति कुन रङको छ?", ("रातो", "निलो", "हरियो", "पहेंलो")),
    "nl": ("Netherlands", "Welke kleur heeft de vorm op de afbeelding?", ("rood", "blauw", "groen", "geel")),
    "pt": ("Brazil", "Qual é a cor da forma na imagem?", ("vermelho", "azul", "verde", "amarelo")),
    "ru": ("Russia", "Какого цвета фигура на картинке?", ("красный", "синий", "зелёный", "жёлтый")),
    "sr": ("Serbia", "Које је боје облик на слици?", ("црвена", "плава", "зелена", "жута")),
    "te": ("India", "చిత్రంలోని ఆకారం ఏ రంగులో ఉంది?", ("ఎరుపు", "నీలం", "ఆకుపచ్చ", "పసుపు")),
    "uk": ("Ukraine", "Якого кольору фігура на зображенні?", ("червоний", "синій", "зелений", "жовтий")),
}
TEXT_ONLY = ("en", "de", "hu", "ne", "sr", "uk")


def _row(language: str, question: str, options: list[str], answer: int, image: str | None, kind: str) -> dict:
    country, has_image = LANGUAGES[language][0], image not in (None, "None")
    return {
        "question": question,
        "options": options,
        "answer": answer,
        "image": image,
        "image_information": "essential" if has_image else "none",
        "image_type": kind,
        "language": language,
        "country": country,
        "level": "secondary school",
        "category_en": "Colours" if has_image else "Mathematics",
        "general_category_en": "Humanities" if has_image else "STEM",
    }


def build_sample() -> tuple[list[dict], dict[str, bytes]]:
    """The rows and the pictures they name (path inside the dataset -> PNG bytes)."""
    colours, shapes = list(COLOURS), list(SHAPES)
    rows, pictures = [], {}
    for number, (language, (_, question, words)) in enumerate(LANGUAGES.items()):
        colour = number % len(colours)
        path = f"{IMAGE_DIR}/{language}_{number:02d}.png"
        pictures[path] = shape_image(shapes[number % len(shapes)], colours[colour])
        order = [(colour + shift + number // 4) % len(colours) for shift in range(len(colours))]
        rows.append(_row(language, question, [words[i] for i in order], order.index(colour), path, "figure"))
    for number, language in enumerate(TEXT_ONLY):
        text_only_image = (
            "None" if number % 2 else None
        )  # both spellings of "no image" (upstream accepts both)
        options = [str(number + 4 + i) for i in range(4)]
        rows.append(_row(language, f"{number + 2} + 3 = ?", options, 1, text_only_image, ""))
    option_paths = [f"{IMAGE_DIR}/option_{colour}.png" for colour in colours]
    pictures.update(
        {path: shape_image("circle", colour) for path, colour in zip(option_paths, colours, strict=True)}
    )
    rows.append(_row("en", "Which picture shows a green circle?", option_paths, 2, "None", ""))
    return rows, pictures


def write_kaleidoscope_parquet(rows: list[dict], path: Path) -> None:
    """Rows with Kaleidoscope's columns: strings, `options` a list of strings, `answer` an integer."""
    from datasets import Dataset, Features, Sequence, Value

    features = Features(
        {name: Value("string") for name in rows[0]}
        | {"options": Sequence(Value("string")), "answer": Value("int64")}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


def write_archive(pictures: dict[str, bytes], path: Path, prefix: str = "final_data/") -> None:
    """The pictures as the Hub's data.zip holds them (members `final_data/<path>`), byte-reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(pictures):
            archive.writestr(zipfile.ZipInfo(prefix + name, date_time=(2025, 1, 1, 0, 0, 0)), pictures[name])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


if __name__ == "__main__":
    rows, pictures = build_sample()
    write_kaleidoscope_parquet(rows, SAMPLE_DIR / "train-00000-of-00001.parquet")
    write_archive(pictures, SAMPLE_DIR / "data.zip")
    print(f"wrote {len(rows)} rows and {len(pictures)} pictures under {SAMPLE_DIR}")
