"""Reading Multi30K in the layout of its official release (github.com/multi30k/dataset, data/task1).

One sentence a line, aligned across languages by line number (`test_2016_flickr.de`, optionally
gzipped), a file naming each line's image (`image_splits/test_2016_flickr.txt`, or
`test_2016_flickr.images.txt` as in tv-eval's shared copy), and a folder of images. The files may sit
at the top of the data folder, under `raw/` and `image_splits/`, or under `data/task1/` as in a
checkout of the release. Images are looked up by file name in the `image_dir` option, `images/<set>/`,
`images/` or `<set>/` (the release ships each test set's images as a separate archive).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tv_eval.api import TaskConfigError, parse_list


@dataclass(frozen=True)
class OfficialTestSet:
    name: str
    sentences: dict[str, list[str]]
    image_names: list[str]
    image_dirs: list[Path]
    fingerprint: str

    def image_path(self, line: int) -> Path | None:
        """The line's image file; names with a folder part are refused so paths stay in the image folders."""
        name = self.image_names[line]
        if Path(name).name != name:
            return None
        for folder in self.image_dirs:
            path = folder / name
            if path.is_file():
                return path
        return None


def parse_test_sets(value: str, known: Sequence[str]) -> list[str]:
    """The `test_sets` option: 2016, 2017, 2018 (short for test_YYYY_flickr), full names, or all."""
    if value.strip() == "all":
        return list(known)
    chosen = []
    for part in parse_list(value):
        name = part if part in known else f"test_{part}_flickr"
        if name not in known:
            raise TaskConfigError(f"unknown Multi30K test set {part!r}; known: 2016, 2017, 2018, all")
        chosen.append(name)
    if not chosen:
        raise TaskConfigError("test_sets names no test set")
    return chosen


def is_official_layout(data_dir: Path) -> bool:
    """True when the folder holds release-style sentence files rather than a Hub (parquet) copy."""
    roots = (data_dir, data_dir / "raw", data_dir / "data" / "task1" / "raw")
    return any(any(root.glob("test_*_flickr.en*")) for root in roots if root.is_dir())


def _first_existing(candidates: Sequence[Path]) -> Path | None:
    return next((path for path in candidates if path.is_file()), None)


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n").strip() for line in handle]


def read_test_set(
    data_dir: Path, name: str, languages: Sequence[str], image_dir: Path | None
) -> OfficialTestSet:
    """Sentences of `languages` and the image names of test set `name`, checked for alignment."""
    roots = [data_dir, data_dir / "raw", data_dir / "data" / "task1" / "raw"]
    digest = hashlib.sha256()
    sentences: dict[str, list[str]] = {}
    for language in languages:
        path = _first_existing([root / f"{name}.{language}{ext}" for root in roots for ext in (".gz", "")])
        if path is None:
            raise TaskConfigError(
                f"{data_dir} has no {name}.{language}[.gz] (looked in {', '.join(map(str, roots))})"
            )
        sentences[language] = _read_lines(path)
        digest.update(path.name.encode() + b"\0" + "\n".join(sentences[language]).encode("utf-8"))
    image_list = _first_existing(
        [
            data_dir / f"{name}.images.txt",
            data_dir / "image_splits" / f"{name}.txt",
            data_dir / "data" / "task1" / "image_splits" / f"{name}.txt",
        ]
    )
    if image_list is None:
        raise TaskConfigError(
            f"{data_dir} has no image list for {name} ({name}.images.txt or image_splits/{name}.txt)"
        )
    image_names = [line for line in _read_lines(image_list) if line]
    digest.update("\n".join(image_names).encode("utf-8"))
    counts = {language: len(lines) for language, lines in sentences.items()}
    if len(set(counts.values())) != 1 or len(image_names) != next(iter(counts.values())):
        raise TaskConfigError(f"{name} files are not aligned: {counts} lines, {len(image_names)} image names")
    folders = [image_dir] if image_dir is not None else []
    folders += [data_dir / "images" / name, data_dir / "images", data_dir / name]
    return OfficialTestSet(
        name=name,
        sentences=sentences,
        image_names=image_names,
        image_dirs=[folder for folder in folders if folder.is_dir()],
        fingerprint=digest.hexdigest()[:16],
    )
