"""Builds the bundled offline sample in CVQA's public schema: sample/test-00000-of-00001.parquet (the
Hub's twelve columns, `Label` -1 as on the public test split) and sample/labels.csv (`ID,label`, the form
`--task-option cvqa.labels=FILE` reads, standing in for the answers only the leaderboard has).

Synthetic on purpose: generated coloured shapes, and per (language, country) subset two questions about
the shape's colour, asked in English and in the subset's language, with four colour options in a
rotating order. Re-run with `python -m tasks.cvqa.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import COLOURS, SHAPES, shape_image

SAMPLE_FILE = Path(__file__).parent / "sample" / "test-00000-of-00001.parquet"
LABELS_FILE = Path(__file__).parent / "sample" / "labels.csv"
ENGLISH = ("What colour is the shape in this picture?", ("red", "blue", "green", "yellow"))
# (language, country) as `Subset` writes them -> the question and the colours red, blue, green, yellow.
SUBSETS: dict[tuple[str, str], tuple[str, tuple[str, str, str, str]]] = {
    ("Japanese", "Japan"): ("この写真の図形は何色ですか？", ("赤", "青", "緑", "黄色")),
    ("Spanish", "Mexico"): (
        "¿De qué color es la figura de esta imagen?",
        ("rojo", "azul", "verde", "amarillo"),
    ),
    ("Spanish", "Spain"): ("¿De qué color es la figura de la foto?", ("rojo", "azul", "verde", "amarillo")),
    ("Swahili", "Kenya"): ("Umbo katika picha hii lina rangi gani?", ("nyekundu", "bluu", "kijani", "njano")),
    ("Amharic", "Ethiopia"): ("በዚህ ምስል ያለው ቅርጽ ምን ቀለም ነው?", ("ቀይ", "ሰማያዊ", "አረንጓዴ", "ቢጫ")),
    ("Indonesian", "Indonesia"): ("Apa warna bentuk di gambar ini?", ("merah", "biru", "hijau", "kuning")),
    ("Javanese", "Indonesia"): ("Wujud ing gambar iki warnane apa?", ("abang", "biru", "ijo", "kuning")),
    ("Irish", "Ireland"): ("Cén dath atá ar an gcruth sa phictiúr seo?", ("dearg", "gorm", "glas", "buí")),
}


def build_rows() -> list[dict]:
    """Two questions per subset on two pictures; `label` is the answer's index in the options' order."""
    colours, shapes = list(COLOURS), list(SHAPES)
    rows = []
    for number, ((language, country), (question, words)) in enumerate(SUBSETS.items()):
        for question_index in range(2):
            colour_index = (number + 2 * question_index) % len(colours)
            order = [(colour_index + shift + number) % len(colours) for shift in range(len(colours))]
            image = shape_image(shapes[(number + question_index) % len(shapes)], colours[colour_index])
            rows.append(
                {
                    "image": {"bytes": image, "path": None},
                    "ID": f"{7100000000000000000 + number * 1000:019d}_{question_index}",
                    "Subset": str((language, country)),
                    "Question": ENGLISH[0],
                    "Translated Question": question,
                    "Options": [ENGLISH[1][index] for index in order],
                    "Translated Options": [words[index] for index in order],
                    "Label": -1,
                    "Category": "Objects / materials / clothing",
                    "Image Type": "Self",
                    "Image Source": "tv-eval synthetic shape",
                    "License": "Apache-2.0",
                    "label": order.index(colour_index),
                }
            )
    return rows


def write_cvqa_parquet(rows: list[dict], path: Path) -> None:
    """Rows with CVQA's features (the dataset card's `dataset_info`), `Label` as the rows give it."""
    from datasets import Dataset, Features, Image, Sequence, Value

    text = Value("string")
    features = Features(
        {
            "image": Image(),
            "ID": text,
            "Subset": text,
            "Question": text,
            "Translated Question": text,
            "Options": Sequence(text),
            "Translated Options": Sequence(text),
            "Label": Value("int64"),
            "Category": text,
            "Image Type": text,
            "Image Source": text,
            "License": text,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list([{name: row[name] for name in features} for row in rows], features=features).to_parquet(
        str(path)
    )


def labelled(rows: list[dict]) -> list[dict]:
    """The rows as a labelled copy would have them: `Label` holds the answer."""
    return [{**row, "Label": row["label"]} for row in rows]


def labels_csv(rows: list[dict]) -> str:
    return "".join(f"{row['ID']},{row['label']}\n" for row in rows)


if __name__ == "__main__":
    rows = build_rows()
    write_cvqa_parquet(rows, SAMPLE_FILE)
    LABELS_FILE.write_text(labels_csv(rows), encoding="utf-8")
    print(f"wrote {SAMPLE_FILE} and {LABELS_FILE}")
