"""Builds the bundled offline sample (sample/) from the real Multi30K test sentences.

The first LINES lines of each test set are copied unmodified from the repository's copy of the
official release's sentences (`tests/data/multi30k/`) into the release layout: aligned
sentence files and an image list. The Flickr images are not redistributable, so each line gets a
generated picture (a coloured shape, tv_eval.data.synthetic) under the Flickr file name; the pictures do
not show what the sentences describe. Re-run with `python -m tasks.multi30k.make_sample`; the output
is deterministic, and a run never needs the sentence files.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import yaml

from tv_eval.api import COLOURS, SHAPES, shape_image

HERE = Path(__file__).parent
SAMPLE_DIR = HERE / "sample"
SHARED_DIR = HERE.parent.parent / "tests" / "data" / "multi30k"
LINES = 6


def shared_lines(shared: Path, name: str) -> list[str]:
    """Lines of one shared file (`.gz` sentence file or plain image list), stripped of line ends."""
    path = shared / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the real Multi30K sentences are expected in {shared}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle]


def generated_image(image_name: str) -> bytes:
    """A JPEG picture chosen by the file name, so the same line always gets the same image."""
    digest = hashlib.sha256(image_name.encode("utf-8")).digest()
    colours, shapes = list(COLOURS), list(SHAPES)
    return shape_image(
        shapes[digest[0] % len(shapes)], colours[digest[1] % len(colours)], image_format="JPEG"
    )


def write_release_layout(target: Path, shared: Path, lines: int, test_sets: dict[str, list[str]]) -> None:
    """The first `lines` lines of every test set, with generated images, in the release layout."""
    (target / "images").mkdir(parents=True, exist_ok=True)
    for name, targets in test_sets.items():
        for language in ["en", *targets]:
            text = shared_lines(shared, f"{name}.{language}.gz")[:lines]
            (target / f"{name}.{language}").write_text(
                "".join(f"{line}\n" for line in text), encoding="utf-8"
            )
        images = shared_lines(shared, f"{name}.images.txt")[:lines]
        (target / f"{name}.images.txt").write_text("".join(f"{line}\n" for line in images), encoding="utf-8")
        for image_name in images:
            (target / "images" / image_name).write_bytes(generated_image(image_name))


def main() -> None:
    config = yaml.safe_load((HERE / "config.yaml").read_text(encoding="utf-8"))
    write_release_layout(SAMPLE_DIR, SHARED_DIR, LINES, config["test_sets"])
    print(f"wrote {SAMPLE_DIR}")


if __name__ == "__main__":
    main()
