"""A dataset's identity follows its content: local folders by the bytes of their files, the Hub by commit."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tv_eval.core.content_digest import DigestCache
from tv_eval.core.revisions import resolve_hub_revision
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.data.hub import content_fingerprint, load_split

SAMPLE = Path(__file__).resolve().parent.parent / "tasks" / "alm_bench" / "sample"


def write_folder(folder: Path, questions: list[str]) -> Path:
    folder.mkdir(parents=True)
    table = pa.table({"id": [str(index) for index in range(len(questions))], "question": questions})
    pq.write_table(table, folder / "test-00000-of-00001.parquet")
    (folder / "images").mkdir()
    (folder / "images" / "a.png").write_bytes(b"\x89PNG fake image bytes")
    return folder


def load_identity(folder: Path) -> str:
    _, identity = load_split(
        "org/data", "test", DataSource(data_dir=folder), sample_dir=SAMPLE, required_columns=()
    )
    return identity.fingerprint


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path / "tv-eval-cache"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "datasets-cache"))


def test_copies_of_one_folder_share_a_fingerprint(tmp_path: Path) -> None:
    first = write_folder(tmp_path / "a", ["What is this?", "Which colour?"])
    second = tmp_path / "elsewhere" / "b"
    shutil.copytree(first, second)
    for path in second.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert load_identity(first) == load_identity(second)


def test_one_changed_byte_changes_the_fingerprint(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "a", ["What is this?"])
    before = content_fingerprint(folder)
    image = folder / "images" / "a.png"
    data = bytearray(image.read_bytes())
    data[-1] ^= 1
    image.write_bytes(bytes(data))
    assert content_fingerprint(folder) != before


def test_edited_rows_change_the_loaded_fingerprint(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "a", ["What is this?"])
    before = load_identity(folder)
    pq.write_table(
        pa.table({"id": ["0"], "question": ["What is that?"]}), folder / "test-00000-of-00001.parquet"
    )
    assert load_identity(folder) != before


def test_bundled_sample_fingerprint_is_its_content(tmp_path: Path) -> None:
    _, identity = load_split(
        "org/data", "test", DataSource(use_sample=True), sample_dir=SAMPLE, required_columns=()
    )
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy)
    assert identity.fingerprint == content_fingerprint(copy)
    assert identity.source == "sample"


def test_data_revision_applies_to_the_hub_only(tmp_path: Path) -> None:
    with pytest.raises(TaskConfigError, match="--data-revision"):
        load_split(
            "org/data",
            "test",
            DataSource(use_sample=True, revision="v2"),
            sample_dir=SAMPLE,
            required_columns=(),
        )


def test_hub_dataset_revision_resolves_offline_from_refs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    refs = tmp_path / "datasets--org--data" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("3" * 40)
    assert resolve_hub_revision("org/data", None, "dataset") == "3" * 40
    assert resolve_hub_revision("org/data", None, "model") is None  # a model of that name is not cached


def test_file_digests_are_read_once_until_the_file_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tv_eval.core.content_digest as content_digest

    reads: list[Path] = []
    original = content_digest._read_digest

    def counting(path: Path) -> str:
        reads.append(path)
        return original(path)

    monkeypatch.setattr(content_digest, "_read_digest", counting)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"0" * 1000)
    cache = DigestCache(tmp_path / "digests.sqlite")
    first = cache.file_digest(weights)
    assert cache.file_digest(weights) == first
    assert len(reads) == 1
    with weights.open("r+b") as handle:  # same size, one byte different
        handle.seek(500)
        handle.write(b"1")
    assert cache.file_digest(weights) != first
    assert len(reads) == 2
    cache.close()


def test_fingerprint_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "a", ["What is this?"])
    expected = content_fingerprint(folder)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(blocked))
    assert content_fingerprint(folder) == expected
