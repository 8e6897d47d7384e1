"""Builds the bundled offline sample in MaXM's schema as the fork reads it (neulab/PangeaBench-maxm):
sample/data/<split>-00000-of-00001.parquet for the 7 splits, columns image, image_id, question, answers.

Synthetic on purpose: three generated shape pictures, each asked about (colour, then shape) in every
language with the same image ids, so the sample is parallel across languages; the answer lists hold the
variants an annotator would accept. Re-run with `python -m tasks.maxm.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample"
PICTURES = (
    ("red", "circle", "4b1f0c2a9e7d3a01"),
    ("blue", "square", "9c0e5d7f2b4a6c02"),
    ("green", "triangle", "e2a7b9c4d1f03e03"),
)

# split: (colour question, shape question, colour answers, shape answers)
PHRASES: dict[str, tuple[str, str, dict[str, list[str]], dict[str, list[str]]]] = {
    "en": (
        "What colour is the shape?",
        "What shape is shown?",
        {"red": ["red", "red colour"], "blue": ["blue"], "green": ["green", "light green"]},
        {"circle": ["circle", "a circle"], "square": ["square"], "triangle": ["triangle"]},
    ),
    "fr": (
        "De quelle couleur est la forme ?",
        "Quelle forme est représentée ?",
        {"red": ["rouge"], "blue": ["bleu", "bleue"], "green": ["vert", "verte"]},
        {"circle": ["cercle", "un cercle"], "square": ["carré"], "triangle": ["triangle"]},
    ),
    "hi": (
        "आकृति किस रंग की है?",
        "कौन सी आकृति दिखाई गई है?",
        {"red": ["लाल"], "blue": ["नीला", "नीले"], "green": ["हरा"]},
        {"circle": ["वृत्त", "गोला"], "square": ["वर्ग"], "triangle": ["त्रिभुज"]},
    ),
    "iw": (
        "באיזה צבע הצורה?",
        "איזו צורה מוצגת?",
        {"red": ["אדום"], "blue": ["כחול"], "green": ["ירוק"]},
        {"circle": ["עיגול"], "square": ["ריבוע"], "triangle": ["משולש"]},
    ),
    "ro": (
        "Ce culoare are forma?",
        "Ce formă este afișată?",
        {"red": ["roșu", "roșie"], "blue": ["albastru"], "green": ["verde"]},
        {"circle": ["cerc"], "square": ["pătrat"], "triangle": ["triunghi"]},
    ),
    "th": (
        "รูปทรงนี้สีอะไร",
        "รูปทรงที่แสดงคืออะไร",
        {"red": ["สีแดง", "แดง"], "blue": ["สีน้ำเงิน"], "green": ["สีเขียว"]},
        {"circle": ["วงกลม"], "square": ["สี่เหลี่ยมจัตุรัส"], "triangle": ["สามเหลี่ยม"]},
    ),
    "zh": (
        "这个形状是什么颜色？",
        "图中是什么形状？",
        {"red": ["红色", "红"], "blue": ["蓝色"], "green": ["绿色"]},
        {"circle": ["圆形", "圆"], "square": ["正方形"], "triangle": ["三角形"]},
    ),
}


def build_rows() -> dict[str, list[dict]]:
    """split -> rows: per picture its colour question then its shape question."""
    rows: dict[str, list[dict]] = {}
    for split, (colour_question, shape_question, colours, shapes) in PHRASES.items():
        rows[split] = []
        for colour, shape, image_id in PICTURES:
            image = {"bytes": shape_image(shape, colour), "path": None}
            rows[split].append(
                {
                    "image": image,
                    "image_id": image_id,
                    "question": colour_question,
                    "answers": colours[colour],
                }
            )
            rows[split].append(
                {"image": image, "image_id": image_id, "question": shape_question, "answers": shapes[shape]}
            )
    return rows


def write_maxm_folder(directory: Path, splits: dict[str, list[dict]]) -> None:
    """DIRECTORY/data/<split>-00000-of-00001.parquet, one file per split, with MaXM's features
    (image as an Image, answers a list of strings)."""
    from datasets import Dataset, Features, Image, Sequence, Value

    features = Features(
        {
            "image": Image(),
            "image_id": Value("string"),
            "question": Value("string"),
            "answers": Sequence(Value("string")),
        }
    )
    (directory / "data").mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        Dataset.from_list(rows, features=features).to_parquet(
            str(directory / "data" / f"{split}-00000-of-00001.parquet")
        )


if __name__ == "__main__":
    write_maxm_folder(SAMPLE_DIR, build_rows())
    print(f"wrote {SAMPLE_DIR}")
