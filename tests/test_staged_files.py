"""The commit protocol that replaces several files together, and the run directory lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tv_eval.core.folder_lock import FolderBusy, FolderLock
from tv_eval.core.staged_files import COMMIT_FILE, STAGING_DIR, StagedFiles, committed_path, recover


def _old_files(folder: Path) -> None:
    folder.mkdir()
    (folder / "a.txt").write_text("old a")
    (folder / "b.txt").write_text("old b")


def test_a_commit_replaces_every_file_and_leaves_no_staging(tmp_path: Path) -> None:
    _old_files(tmp_path / "f")
    with StagedFiles(tmp_path / "f") as staged:
        staged.write_text("a.txt", "new a")
        staged.write_text("b.txt", "new b")
        staged.write_bytes("plots/c.png", b"\x89PNG")
        assert (tmp_path / "f" / "a.txt").read_text() == "old a"  # nothing visible before the commit
    assert (tmp_path / "f" / "a.txt").read_text() == "new a"
    assert (tmp_path / "f" / "b.txt").read_text() == "new b"
    assert (tmp_path / "f" / "plots" / "c.png").read_bytes() == b"\x89PNG"
    assert not (tmp_path / "f" / STAGING_DIR).exists()


def test_an_error_before_the_commit_leaves_the_old_files(tmp_path: Path) -> None:
    _old_files(tmp_path / "f")
    with pytest.raises(RuntimeError), StagedFiles(tmp_path / "f") as staged:
        staged.write_text("a.txt", "new a")
        raise RuntimeError("killed while rendering")
    assert (tmp_path / "f" / "a.txt").read_text() == "old a"
    assert not (tmp_path / "f" / STAGING_DIR).exists()


def test_a_crash_after_the_commit_point_is_rolled_forward(tmp_path: Path) -> None:
    """The state a kill between the commit record and the renames leaves: a.txt already moved."""
    folder = tmp_path / "f"
    _old_files(folder)
    staging = folder / STAGING_DIR
    staging.mkdir()
    (staging / "b.txt").write_text("new b")
    (staging / COMMIT_FILE).write_text(json.dumps(["a.txt", "b.txt"]))
    (folder / "a.txt").write_text("new a")
    # readers see the committed version before anyone recovers
    assert committed_path(folder, "b.txt").read_text() == "new b"
    assert committed_path(folder, "a.txt").read_text() == "new a"
    recover(folder)
    assert [(folder / n).read_text() for n in ("a.txt", "b.txt")] == ["new a", "new b"]
    assert not staging.exists()


def test_files_staged_without_a_commit_record_are_discarded(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    _old_files(folder)
    (folder / STAGING_DIR).mkdir()
    (folder / STAGING_DIR / "a.txt").write_text("half-staged a")
    assert committed_path(folder, "a.txt").read_text() == "old a"
    StagedFiles(folder)  # the next writer recovers
    assert (folder / "a.txt").read_text() == "old a"
    assert not (folder / STAGING_DIR).exists()


def test_a_second_lock_on_a_folder_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    first = FolderLock(tmp_path)
    first.acquire()
    with pytest.raises(FolderBusy):
        FolderLock(tmp_path).acquire()
    first.release()
    with FolderLock(tmp_path):
        pass
