"""Builds the bundled offline sample in xGQA's schema as the fork reads it (neulab/PangeaBench-xgqa):
sample/data/<split>-00000-of-00001.parquet for the 8 splits, columns image, question, answer.

Synthetic on purpose: three generated shape pictures, each with the same two questions (its colour, and
whether it is a circle) in every language in the same order, answered in English as xGQA's answers are.
Re-run with `python -m tasks.xgqa.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample"
PICTURES = (("red", "circle"), ("blue", "square"), ("yellow", "triangle"))

# split: (colour question, is-it-a-circle question)
QUESTIONS = {
    "bn": ("আকৃতিটি কী রঙের?", "আকৃতিটি কি একটি বৃত্ত?"),
    "de": ("Welche Farbe hat die Form?", "Ist die Form ein Kreis?"),
    "en": ("What color is the shape?", "Is the shape a circle?"),
    "id": ("Apa warna bentuk itu?", "Apakah bentuk itu lingkaran?"),
    "ko": ("도형은 무슨 색입니까?", "도형이 원입니까?"),
    "pt": ("De que cor é a forma?", "A forma é um círculo?"),
    "ru": ("Какого цвета фигура?", "Фигура — это круг?"),
    "zh": ("这个形状是什么颜色的？", "这个形状是圆形吗？"),
}


def build_rows() -> dict[str, list[dict]]:
    """split -> rows: per picture its colour question, then the yes/no one."""
    rows: dict[str, list[dict]] = {}
    for split, (colour_question, circle_question) in QUESTIONS.items():
        rows[split] = []
        for colour, shape in PICTURES:
            image = {"bytes": shape_image(shape, colour), "path": None}
            rows[split].append({"image": image, "question": colour_question, "answer": colour})
            answer = "yes" if shape == "circle" else "no"
            rows[split].append({"image": image, "question": circle_question, "answer": answer})
    return rows


def write_xgqa_folder(directory: Path, splits: dict[str, list[dict]]) -> None:
    """DIRECTORY/data/<split>-00000-of-00001.parquet, one file per split, with xGQA's features
    (image as an Image, question and answer strings)."""
    from datasets import Dataset, Features, Image, Value

    features = Features({"image": Image(), "question": Value("string"), "answer": Value("string")})
    (directory / "data").mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        Dataset.from_list(rows, features=features).to_parquet(
            str(directory / "data" / f"{split}-00000-of-00001.parquet")
        )


if __name__ == "__main__":
    write_xgqa_folder(SAMPLE_DIR, build_rows())
    print(f"wrote {SAMPLE_DIR}")
