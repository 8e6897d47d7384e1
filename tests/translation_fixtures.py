"""Fixture data for the translation tasks: the real Multi30K sentences with generated images, CoMMuTE rows.

The real Multi30K test sentences ship with the tests (`tests/data/multi30k/`, licence in its README), so
a fresh clone runs the suite without anything beside it.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tasks.commute.make_sample import write_commute_parquet
from tasks.multi30k.make_sample import generated_image, write_release_layout
from tv_eval.core.types import SampleStatus, ScoredSample
from tv_eval.data.synthetic import shape_image
from tv_eval.data.tiers import joshi_tier_map

REPO_ROOT = Path(__file__).resolve().parent.parent
MULTI30K_SENTENCES = Path(__file__).resolve().parent / "data" / "multi30k"
TEST_SETS = {
    "test_2016_flickr": ["cs", "de", "fr"],
    "test_2017_flickr": ["de", "fr"],
    "test_2018_flickr": ["cs", "de", "fr"],
}


def multi30k_sentences() -> Path:
    """The folder of the real sentences; a clear failure (never a skip) when it is not there."""
    if not (MULTI30K_SENTENCES / "test_2016_flickr.en.gz").is_file():
        pytest.fail(f"the real Multi30K test sentences are missing: expected {MULTI30K_SENTENCES}")
    return MULTI30K_SENTENCES


def real_lines(name: str, language: str, count: int | None = None) -> list[str]:
    """The first `count` lines of a sentence file, as the task reads them (stripped)."""
    with gzip.open(multi30k_sentences() / f"{name}.{language}.gz", "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n").strip() for line in handle]
    return lines if count is None else lines[:count]


def write_official_fixture(target: Path, lines: int) -> Path:
    """The first `lines` real lines of every test set with generated images, in the release layout."""
    write_release_layout(target, multi30k_sentences(), lines, TEST_SETS)
    return target


def write_hub_fixture(target: Path, lines: int) -> Path:
    """`romrawinjp/multi30k`'s test split schema (en, cs, de, fr, image) from the real 2016 sentences."""
    import datasets

    names = (multi30k_sentences() / "test_2016_flickr.images.txt").read_text(encoding="utf-8").split()[:lines]
    columns = {
        language: real_lines("test_2016_flickr", language, lines) for language in ("en", "cs", "de", "fr")
    }
    rows = [
        {
            **{language: columns[language][index] for language in columns},
            "image": {"bytes": generated_image(name)},
        }
        for index, name in enumerate(names)
    ]
    features = datasets.Features(
        {**{language: datasets.Value("string") for language in columns}, "image": datasets.Image()}
    )
    path = target / "data" / "test-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))
    return target


# Two ambiguous sources per language, each with two images and swapped translations, as in CoMMuTE.
COMMUTE_ITEMS = {
    "de": [
        ("He went to the bank.", "Er ging zur Bank.", "Er ging zum Ufer."),
        ("The bat flew away.", "Die Fledermaus flog davon.", "Der Schläger flog davon."),
    ],
    "fr": [
        ("He went to the bank.", "Il est allé à la banque.", "Il est allé à la rive."),
        ("The bat flew away.", "La chauve-souris s'est envolée.", "La batte s'est envolée."),
    ],
    "zh": [
        ("He went to the bank.", "他去了银行。", "他去了河岸。"),
        ("The bat flew away.", "蝙蝠飞走了。", "球棒飞走了。"),
    ],
}


def commute_rows(language: str) -> list[dict[str, Any]]:
    rows = []
    for index, (source, first, second) in enumerate(COMMUTE_ITEMS[language]):
        for image_index, (correct, incorrect) in enumerate(((first, second), (second, first))):
            rows.append(
                {
                    "source": source,
                    "correct_translation": correct,
                    "incorrect_translation": incorrect,
                    "image": {
                        "bytes": shape_image(("square", "circle")[image_index], ("red", "blue")[index])
                    },
                    "image_name": f"item{index}_{image_index + 1}.jpg",
                }
            )
    return rows


def write_commute_fixture(target: Path, languages: list[str]) -> Path:
    """CoMMuTE's schema, one parquet split per language; the task's other splits hold one row each."""
    for language in ("ar", "cs", "de", "es", "fr", "ru", "zh"):
        rows = commute_rows(language) if language in languages else commute_rows("de")[:1]
        write_commute_parquet(rows, target / "data" / f"{language}-00000-of-00001.parquet")
    return target


def sacrebleu_cli(hypotheses: list[str], references: list[str], folder: Path, *arguments: str) -> float:
    """The score sacrebleu's command line prints for these lines (6 decimals)."""
    folder.mkdir(parents=True, exist_ok=True)
    hypothesis_file, reference_file = folder / "hyp.txt", folder / "ref.txt"
    hypothesis_file.write_text("".join(f"{line}\n" for line in hypotheses), encoding="utf-8")
    reference_file.write_text("".join(f"{line}\n" for line in references), encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sacrebleu",
            str(reference_file),
            "-i",
            str(hypothesis_file),
            "-b",
            "-w",
            "6",
            *arguments,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(completed.stdout.strip())


def drop_words(text: str, every: int) -> str:
    return " ".join(word for index, word in enumerate(text.split()) if index % every != every - 1)


def translation_records(every: int = 4, lines: int = 30) -> list[ScoredSample]:
    """Scored Multi30K records without a model: the real 2016 references of German, French and Czech
    with every `every`-th word dropped as hypotheses. A line's languages share its image (cluster)."""
    tiers = joshi_tier_map()
    records = []
    for language in ("de", "fr", "cs"):
        for line, reference in enumerate(real_lines("test_2016_flickr", language, lines)):
            hypothesis = drop_words(reference, every)
            records.append(
                ScoredSample(
                    sample_id=f"test_2016_flickr:{line:05d}:{language}",
                    task="multi30k",
                    language=language,
                    tier=tiers.tier_of(language),
                    status=SampleStatus.SCORED,
                    prompt=f"translate line {line}",
                    prediction=hypothesis,
                    reference=reference,
                    extracted=hypothesis,
                    cluster_id=f"test_2016_flickr:{line:05d}",
                )
            )
    return records
