"""Builds the bundled offline sample (sample/data/<split>-00000-of-00001.parquet) in CoMMuTE's schema.

Synthetic on purpose (the real data is not redistributed here): per target language, one English
sentence whose translation depends on the picture ("The shape in the picture." names a square or a
circle in the target language), paired once with a generated square and once with a generated circle,
so each row's correct translation is the other row's incorrect one, as in CoMMuTE. Re-run with
`python -m tasks.commute.make_sample`; the output is deterministic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tv_eval.api import shape_image

SAMPLE_DATA = Path(__file__).parent / "sample" / "data"
SOURCE = "The shape in the picture."
# target language -> (translation naming a square, translation naming a circle)
TRANSLATIONS = {
    "ar": ("المربع في الصورة.", "الدائرة في الصورة."),
    "cs": ("Čtverec na obrázku.", "Kruh na obrázku."),
    "de": ("Das Quadrat auf dem Bild.", "Der Kreis auf dem Bild."),
    "es": ("El cuadrado de la imagen.", "El círculo de la imagen."),
    "fr": ("Le carré sur l'image.", "Le cercle sur l'image."),
    "ru": ("Квадрат на картинке.", "Круг на картинке."),
    "zh": ("图片中的正方形。", "图片中的圆形。"),
}


def build_rows(language: str) -> list[dict[str, Any]]:
    square, circle = TRANSLATIONS[language]
    return [
        {
            "source": SOURCE,
            "correct_translation": correct,
            "incorrect_translation": incorrect,
            "image": {"bytes": shape_image(shape, "blue"), "path": None},
            "image_name": f"shape_{shape}.png",
        }
        for shape, correct, incorrect in (("square", square, circle), ("circle", circle, square))
    ]


def write_commute_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    """Rows as a parquet file whose `image` column carries the `datasets` Image feature."""
    import datasets

    features = datasets.Features(
        {
            "source": datasets.Value("string"),
            "correct_translation": datasets.Value("string"),
            "incorrect_translation": datasets.Value("string"),
            "image": datasets.Image(),
            "image_name": datasets.Value("string"),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))


def main() -> None:
    for language in TRANSLATIONS:
        write_commute_parquet(build_rows(language), SAMPLE_DATA / f"{language}-00000-of-00001.parquet")
    print(f"wrote {SAMPLE_DATA}")


if __name__ == "__main__":
    main()
