"""MaRVL on fixtures in its PangeaBench schema (id, image, conversations), loaded through `datasets`
from a local folder as from the Hub: the fork's prompt, its true/false target and its accepted replies;
an `image` cell holding a list of pictures (a storage the fork does not read) shown as several images."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tasks.marvl.make_sample import SPLITS, build_rows, write_split
from tasks.marvl.task import MarvlTask
from tv_eval.core.task import DataSource
from tv_eval.core.types import ImageInput, ImagePart, Sample, TextPart
from tv_eval.data.synthetic import shape_image
from tv_eval.data.tiers import joshi_tier_map

FORK = json.loads((Path(__file__).parent / "data" / "fork_prompts.json").read_text(encoding="utf-8"))


def load(source: DataSource) -> tuple[MarvlTask, list[Sample]]:
    task = MarvlTask()
    task.configure({})
    return task, task.load(source, joshi_tier_map()).samples


def test_bundled_sample_prompts_and_targets_are_the_forks() -> None:
    task, samples = load(DataSource(use_sample=True))
    assert Counter(s.language for s in samples) == dict.fromkeys(SPLITS, 4)
    assert all(s.load_error is None and s.image is not None and s.images == () for s in samples)
    tiers = joshi_tier_map()
    assert all(s.tier == tiers.tier_of(s.language) for s in samples)
    for sample in samples:
        assert task.prompt(sample, "official") == FORK["marvl"][sample.sample_id]
        assert sample.reference == FORK["marvl_target"][sample.sample_id]
    request = task.build_request(samples[0], "official")
    assert request.messages[0].content == (ImagePart(samples[0].image), TextPart(FORK["marvl"]["id-0"]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("True", "true"),
        (" (b) ", "true"),
        ("B (True)", "true"),
        ("no.", "false"),
        ("a:", "false"),
        ("It is true", None),
        ("true!", None),
        ("", None),
    ],
)
def test_only_the_forks_accepted_replies_count(reply: str, verdict: str | None) -> None:
    task, samples = load(DataSource(use_sample=True))
    true_one, false_one = (next(s for s in samples if s.reference == word) for word in ("true", "false"))
    for sample in (true_one, false_one):
        scored = task.score(sample, reply, "official")
        assert scored.extracted == verdict
        assert scored.scores == {"accuracy": float(verdict == sample.reference)}


def test_a_pair_stored_as_a_list_is_shown_as_two_images(tmp_path: Path) -> None:
    from datasets import Dataset, Features, Image, List, Value

    left, right = (ImageInput.from_bytes(shape_image(shape, "red")) for shape in ("circle", "square"))
    rows = [
        {
            "id": "pair-1",
            "image": [{"bytes": left.data, "path": None}, {"bytes": right.data, "path": None}],
            "conversations": [
                {"from": "human", "value": "<image>\nA circle is left"},
                {"from": "gpt", "value": "True"},
            ],
        },
        {
            "id": "pair-2",
            "image": [{"bytes": left.data, "path": None}, {"bytes": b"", "path": None}],
            "conversations": [
                {"from": "human", "value": "<image>\nNo answer"},
                {"from": "gpt", "value": "maybe"},
            ],
        },
    ]
    turn = {"from": Value("string"), "value": Value("string")}
    features = Features({"id": Value("string"), "image": List(Image()), "conversations": List(turn)})
    for split in SPLITS:
        Dataset.from_list(rows, features=features).to_parquet(
            str(tmp_path / "data" / f"{split}-00000-of-00001.parquet")
        )
    task, samples = load(DataSource(data_dir=tmp_path))
    pair, broken = samples[:2]
    assert pair.load_error is None and pair.images == (left, right) and pair.reference == "true"
    assert task.build_request(pair, "official").messages[0].content == (
        ImagePart(left),
        ImagePart(right),
        TextPart("A circle is left. Answer with the option directly."),
    )
    assert broken.load_error is not None and broken.load_error.startswith(
        "conversations hold no question or no true/false"
    )
    assert broken.load_error.endswith("image is empty (0 bytes)") and broken.images == ()


def test_rows_keep_their_ids(tmp_path: Path) -> None:
    for split in SPLITS:
        write_split(build_rows(split), tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    _, samples = load(DataSource(data_dir=tmp_path))
    assert [s.sample_id for s in samples[:4]] == ["id-0", "id-1", "id-2", "id-3"]
