"""Builds the bundled offline sample (sample/data/<split>-00000-of-00001.parquet) in MaRVL's
PangeaBench schema: id, image (one picture: the pair side by side, as the fork reads one image per
row), conversations ([0] the question after `<image>\\n`, [1] the answer, LLaVA-style {from, value}).

Synthetic on purpose: each picture joins two generated shapes, and the statement (in English in every
split; its wording and options are tv-eval's, the real phrasing is UNVERIFIED) is about them; half
the statements are true. Re-run with `python -m tasks.marvl.make_sample`; deterministic.
"""

from __future__ import annotations

import io
from pathlib import Path

from tv_eval.api import shape_image

SAMPLE_DIR = Path(__file__).parent / "sample" / "data"
SPLITS = ("id", "sw", "ta", "tr", "zh", "en")
PAIRS = (("circle", "circle"), ("circle", "square"), ("triangle", "triangle"), ("square", "triangle"))


def side_by_side(left: str, right: str, colour: str) -> bytes:
    from PIL import Image

    pictures = [Image.open(io.BytesIO(shape_image(shape, colour))) for shape in (left, right)]
    joined = Image.new("RGB", (sum(p.width for p in pictures), max(p.height for p in pictures)), "white")
    joined.paste(pictures[0], (0, 0))
    joined.paste(pictures[1], (pictures[0].width, 0))
    buffer = io.BytesIO()
    joined.save(buffer, format="PNG")
    return buffer.getvalue()


def build_rows(split: str) -> list[dict]:
    shift = SPLITS.index(split)
    rows = []
    for index, (left, right) in enumerate(PAIRS):
        claimed = (left, right) if (index + shift) % 2 == 0 else (right, right)
        statement = f"The left image shows a {claimed[0]} and the right image shows a {claimed[1]}"
        question = f"<image>\n{statement}. Is this statement true or false? (a) false (b) true"
        truth = "true" if claimed == (left, right) else "false"
        rows.append(
            {
                "id": f"{split}-{index}",
                "image": {"bytes": side_by_side(left, right, ("red", "blue")[index % 2]), "path": None},
                "conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": truth}],
            }
        )
    return rows


def write_split(rows: list[dict], path: Path) -> None:
    from datasets import Dataset, Features, Image, List, Value

    turn = {"from": Value("string"), "value": Value("string")}
    features = Features({"id": Value("string"), "image": Image(), "conversations": List(turn)})
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(str(path))


if __name__ == "__main__":
    for split in SPLITS:
        write_split(build_rows(split), SAMPLE_DIR / f"{split}-00000-of-00001.parquet")
    print(f"wrote {len(SPLITS)} splits to {SAMPLE_DIR}")
