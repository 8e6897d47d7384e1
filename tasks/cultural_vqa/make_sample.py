"""Builds the bundled offline sample in CulturalVQA's public schema: sample/test-00000-of-00001.parquet
(`u_id`, `image`, `question`, as the Hub has them) and sample/answers.json (u_id -> answers and country,
the form `--task-option cultural_vqa.answers=FILE` reads, standing in for the withheld references).

Synthetic on purpose: images are generated coloured shapes, the English questions ask about them and
the reference answers are what annotators would write (1-5 per question, with variants), for each of
the benchmark's 11 countries. Re-run with `python -m tasks.cultural_vqa.make_sample`; deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path

from tv_eval.api import COLOURS, SHAPES, shape_image

SAMPLE_FILE = Path(__file__).parent / "sample" / "test-00000-of-00001.parquet"
ANSWERS_FILE = Path(__file__).parent / "sample" / "answers.json"
PUBLIC_COLUMNS = ("u_id", "image", "question")
COUNTRIES = (
    "Brazil",
    "Canada",
    "China",
    "Ethiopia",
    "Germany",
    "India",
    "Iran",
    "Nigeria",
    "Rwanda",
    "Turkey",
    "USA",
)
COLOUR_VARIANTS = {
    "red": ["red", "red", "crimson"],
    "blue": ["blue", "blue", "dark blue", "navy"],
    "green": ["green", "green"],
    "yellow": ["yellow", "yellow", "golden", "yellow", "mustard"],
}


def build_rows() -> list[dict]:
    """Per country one picture with two questions: an open one (colour) and a binary one (shape)."""
    colours, shapes = list(COLOURS), list(SHAPES)
    rows = []
    for index, country in enumerate(COUNTRIES):
        colour, shape = colours[index % len(colours)], shapes[index % len(shapes)]
        asked = shapes[(index + index % 2) % len(shapes)]
        image = {"bytes": shape_image(shape, colour), "path": None}
        rows.append(
            {
                "u_id": f"{index:04d}_1",
                "image": image,
                "question": "What colour is the shape in this picture?",
                "answers": COLOUR_VARIANTS[colour],
                "country": country,
            }
        )
        rows.append(
            {
                "u_id": f"{index:04d}_2",
                "image": image,
                "question": f"Is the shape in this picture a {asked}?",
                "answers": ["yes" if asked == shape else "no"] * (2 + index % 3),
                "country": country,
            }
        )
    return rows


def write_cultural_vqa_parquet(rows: list[dict], path: Path) -> None:
    """Rows with CulturalVQA's features: the public three (image as an Image), and `answers` (a list of
    strings) and `country` where the rows have them, as a copy holding the references would."""
    from datasets import Dataset, Features, Image, Sequence, Value

    kinds = {
        "u_id": Value("string"),
        "image": Image(),
        "question": Value("string"),
        "answers": Sequence(Value("string")),
        "country": Value("string"),
    }
    features = Features({name: kind for name, kind in kinds.items() if name in rows[0]})
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


def public_rows(rows: list[dict]) -> list[dict]:
    """The rows as the Hub publishes them: the answers and countries withheld."""
    return [{name: row[name] for name in PUBLIC_COLUMNS} for row in rows]


def answers_file(rows: list[dict]) -> dict[str, dict]:
    """u_id -> {answers, country}: the references the public rows lack."""
    return {row["u_id"]: {"answers": row["answers"], "country": row["country"]} for row in rows}


if __name__ == "__main__":
    rows = build_rows()
    write_cultural_vqa_parquet(public_rows(rows), SAMPLE_FILE)
    ANSWERS_FILE.write_text(
        json.dumps(answers_file(rows), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {SAMPLE_FILE} and {ANSWERS_FILE}")
