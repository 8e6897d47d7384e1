"""Builds the bundled offline sample in MTVQA's schema (ByteDance/MTVQA, split test):
sample/data/test-00000-of-00001.parquet with columns id (int), image, lang, qa_pairs.

`qa_pairs` is written as the Python text of a list of {question, answer}, the form a copy of the dataset's
card types it as (upstream lmms-eval reads that text, or a list). `lang` uses upper-case codes (UNVERIFIED).
Synthetic on purpose: one generated shape picture per language, two pairs each (its colour, its shape),
written in the 9 languages. Re-run with `python -m tasks.mtvqa.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_FILE = Path(__file__).parent / "sample" / "data" / "test-00000-of-00001.parquet"

# lang: (colour, shape, [(question, answer), ...])
ITEMS = {
    "AR": ("red", "circle", [("ما لون الشكل؟", "أحمر"), ("ما هو الشكل؟", "دائرة")]),
    "DE": (
        "blue",
        "square",
        [("Welche Farbe hat die Form?", "Blau"), ("Welche Form ist zu sehen?", "Quadrat")],
    ),
    "FR": (
        "green",
        "triangle",
        [("De quelle couleur est la forme ?", "vert"), ("Quelle est la forme ?", "triangle")],
    ),
    "IT": ("yellow", "circle", [("Di che colore è la forma?", "giallo"), ("Che forma è?", "cerchio")]),
    "JA": ("red", "square", [("図形は何色ですか？", "赤"), ("図形の形は何ですか？", "四角形")]),
    "KO": (
        "blue",
        "triangle",
        [("도형은 무슨 색입니까?", "파란색"), ("도형의 모양은 무엇입니까?", "삼각형")],
    ),
    "RU": ("green", "circle", [("Какого цвета фигура?", "зелёный"), ("Что это за фигура?", "круг")]),
    "TH": ("yellow", "square", [("รูปทรงนี้สีอะไร", "สีเหลือง"), ("นี่คือรูปทรงอะไร", "สี่เหลี่ยม")]),
    "VI": ("red", "triangle", [("Hình có màu gì?", "đỏ"), ("Đây là hình gì?", "tam giác")]),
}


def build_rows() -> list[dict]:
    """One row per language: its picture and its question-answer pairs (as Python text)."""
    return [
        {
            "id": index,
            "image": {"bytes": shape_image(shape, colour), "path": None},
            "lang": lang,
            "qa_pairs": repr([{"question": question, "answer": answer} for question, answer in pairs]),
        }
        for index, (lang, (colour, shape, pairs)) in enumerate(ITEMS.items())
    ]


def write_mtvqa_parquet(rows: list[dict], path: Path) -> None:
    """Rows with MTVQA's features; `qa_pairs` typed by the rows (text, or a list of {question, answer})."""
    from datasets import Dataset, Features, Image, Value

    pair = {"question": Value("string"), "answer": Value("string")}
    pairs = Value("string") if isinstance(rows[0]["qa_pairs"], str) else [pair]
    features = Features({"id": Value("int64"), "image": Image(), "lang": Value("string"), "qa_pairs": pairs})
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    write_mtvqa_parquet(build_rows(), SAMPLE_FILE)
    print(f"wrote {SAMPLE_FILE}")
