"""Builds the bundled offline sample (sample/test-00000-of-00001.parquet) in CulturalVQA's schema.

Synthetic on purpose: images are generated coloured shapes, the English questions ask about them and
the reference answers are what annotators would write (1-5 per question, with variants), for each of
the benchmark's 11 countries. Re-run with `python -m tasks.cultural_vqa.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import COLOURS, SHAPES, shape_image

SAMPLE_FILE = Path(__file__).parent / "sample" / "test-00000-of-00001.parquet"
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
    """Rows with CulturalVQA's features (image as an Image, answers as a list of strings)."""
    from datasets import Dataset, Features, Image, Sequence, Value

    features = Features(
        {
            "u_id": Value("string"),
            "image": Image(),
            "question": Value("string"),
            "answers": Sequence(Value("string")),
            "country": Value("string"),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    write_cultural_vqa_parquet(build_rows(), SAMPLE_FILE)
    print(f"wrote {SAMPLE_FILE}")
