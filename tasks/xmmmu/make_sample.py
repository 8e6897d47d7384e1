"""Builds the bundled offline sample (sample/data/<split>-00000-of-00001.parquet) in xMMMU's schema:
id, question (with `<image N>`), options (a Python list literal in a string, as MMMU stores it),
answer, question_type and image_1..image_7 (images; None where a question has fewer).

Synthetic on purpose: images are generated coloured shapes and the questions ask about them, in
English in every split. Per language: a one-image and a two-image multiple-choice question (the second
image inside an option), an open question about two images, and one whose text refers to the same image
twice. Re-run with `python -m tasks.xmmmu.make_sample`; deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample" / "data"
SPLITS = ("ar", "en", "fr", "hi", "id", "ja", "pt")
IMAGE_COLUMNS = tuple(f"image_{number}" for number in range(1, 8))


def picture(shape: str, colour: str) -> dict:
    return {"bytes": shape_image(shape, colour), "path": None}


def build_rows(split: str) -> list[dict]:
    """Four questions of one split; answers rotate with the split so languages differ."""
    shift = SPLITS.index(split)
    colours = ["red", "blue", "green", "yellow"]
    colour = colours[shift % 4]
    rows = [
        {
            "id": f"validation_Art_{shift}1",
            "question": "<image 1> What colour is the shape?",
            "options": str([colours[(shift + k) % 4] for k in range(4)]),
            "answer": "A",
            "question_type": "multiple-choice",
            "images": [picture("circle", colour)],
        },
        {
            "id": f"validation_Basic_Medical_Science_{shift}2",
            "question": "Which picture shows the same shape as <image 1>?",
            "options": "['<image 2>', 'neither']",
            "answer": "A",
            "question_type": "multiple-choice",
            "images": [picture("square", "red"), picture("square", "blue")],
        },
        {
            "id": f"validation_Math_{shift}3",
            "question": "How many shapes are in <image 1> and <image 2> together?",
            "options": "[]",
            "answer": "2",
            "question_type": "open",
            "images": [picture("triangle", colour), picture("circle", "green")],
        },
        {
            "id": f"validation_Math_{shift}4",
            "question": "<image 1> Name the shape. Look again: <image 1>",
            "options": "[]",
            "answer": "triangle",
            "question_type": "open",
            "images": [picture("triangle", "yellow")],
        },
    ]
    return [_with_image_columns(row) for row in rows]


def _with_image_columns(row: dict) -> dict:
    images = row.pop("images")
    return {
        **row,
        **{column: (images[k] if k < len(images) else None) for k, column in enumerate(IMAGE_COLUMNS)},
    }


def write_split(rows: list[dict], path: Path) -> None:
    from datasets import Dataset, Features, Image, Value

    text = {name: Value("string") for name in ("id", "question", "options", "answer", "question_type")}
    features = Features({**text, **dict.fromkeys(IMAGE_COLUMNS, Image())})
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    for split in SPLITS:
        write_split(build_rows(split), SAMPLE_DIR / f"{split}-00000-of-00001.parquet")
    print(f"wrote {len(SPLITS)} splits to {SAMPLE_DIR}")
