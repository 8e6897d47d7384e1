"""Builds the bundled offline sample (sample/data/<split>-00000-of-00001.parquet) in M3Exam's
PangeaBench schema: question_text, options (list), answer_text, background_description (list),
subject_category, language, image_0..image_9 (base64 text, "None" where absent).

Synthetic on purpose: images are generated coloured shapes, questions (in English in every split)
ask about them and refer to them as `(image)[file]`, as M3Exam's text does. Per language: one image in
the question; one in the background and one in the question; two inside the options plus one that no
text names. Answers come as M3Exam writes them (a number or a letter). Re-run with
`python -m tasks.m3exam.make_sample`; deterministic.
"""

from __future__ import annotations

import base64
from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample" / "data"
SPLITS = ("afrikaans", "chinese", "english", "italian", "portuguese", "thai", "vietnamese")
SUBJECTS = ("math", "natural-science", "social-science", "language")


def encoded(shape: str, colour: str) -> str:
    return base64.b64encode(shape_image(shape, colour)).decode("ascii")


def build_rows(split: str) -> list[dict]:
    shift = SPLITS.index(split)
    subject = SUBJECTS[shift % len(SUBJECTS)]
    rows = [
        {
            "question_text": "What colour is the shape in (image)[image-1.png]?",
            "options": ["(1) red", "(2) blue", "(3) green", "(4) yellow"],
            "answer_text": str(1 + shift % 4),
            "background_description": [],
            "images": [encoded("circle", ("red", "blue", "green", "yellow")[shift % 4])],
        },
        {
            "question_text": "Is the shape in (image)[q.png] the same shape as before?",
            "options": ["A. yes", "B. no"],
            "answer_text": "B",
            "background_description": ["Look at the shape: (image)[bg.png]"],
            "images": [encoded("square", "green"), encoded("triangle", "green")],
        },
        {
            "question_text": "Which option shows a circle?",
            "options": ["(image)[o1.png]", "(image)[o2.png]", "neither"],
            "answer_text": "1",
            "background_description": [],
            "images": [encoded("circle", "blue"), encoded("square", "blue"), encoded("triangle", "red")],
        },
    ]
    return [_with_columns(row, split, subject) for row in rows]


def _with_columns(row: dict, split: str, subject: str) -> dict:
    images = row.pop("images")
    columns = {f"image_{k}": images[k] if k < len(images) else "None" for k in range(10)}
    return {**row, "subject_category": subject, "language": split, **columns}


def write_split(rows: list[dict], path: Path) -> None:
    from datasets import Dataset, Features, Sequence, Value

    features = Features(
        {
            "question_text": Value("string"),
            "options": Sequence(Value("string")),
            "answer_text": Value("string"),
            "background_description": Sequence(Value("string")),
            "subject_category": Value("string"),
            "language": Value("string"),
            **{f"image_{k}": Value("string") for k in range(10)},
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    for split in SPLITS:
        write_split(build_rows(split), SAMPLE_DIR / f"{split}-00000-of-00001.parquet")
    print(f"wrote {len(SPLITS)} splits to {SAMPLE_DIR}")
