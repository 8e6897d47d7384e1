"""`tv-eval list tasks` from its kept listing: the same lines as importing every task, no task module
imported once kept, and a new listing whenever a source file or an entry point changes."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from tv_eval.cli import task_listing
from tv_eval.core import registry

# A fresh interpreter lists the tasks, then says which task modules and language tables it imported.
LIST_AND_REPORT = """
import sys
from tv_eval.cli.task_listing import task_listing
lines = task_listing()
print(len(lines), sorted(m for m in sys.modules if m.startswith("tasks.") or m == "langcodes"))
"""


def built_lines() -> list[str]:
    return [*task_listing._task_lines(), *task_listing._suite_lines(), *task_listing._prefix_lines()]


def test_kept_listing_is_the_imported_one_and_imports_no_task(tmp_path: Path) -> None:
    env = {**os.environ, "TV_EVAL_CACHE_DIR": str(tmp_path)}
    first, second = (
        subprocess.run(
            [sys.executable, "-c", LIST_AND_REPORT], env=env, capture_output=True, text=True, check=True
        )
        for _ in range(2)
    )
    assert "tasks.alm_bench.task" in first.stdout and "langcodes" in first.stdout
    assert second.stdout.strip() == f"{len(built_lines())} []"
    assert len(list((tmp_path / task_listing.LISTING_FOLDER).iterdir())) == 1


def test_listing_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path))
    assert task_listing.task_listing() == built_lines()
    assert task_listing.task_listing() == built_lines()
    lines = built_lines()
    assert any(line.startswith("alm_bench\tALM-Bench") for line in lines)
    assert any(line.startswith("\t--task-option cc_ocr.prompt=...\tfork") for line in lines)
    assert "towervision\tsuite: The TowerVision paper's evaluation set (arXiv 2510.21849)" in lines
    assert any(line.startswith("lmms:<name>\t") for line in lines)


def test_a_damaged_or_unwritable_cache_lists_by_importing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path))
    task_listing.task_listing()
    (kept,) = (tmp_path / task_listing.LISTING_FOLDER).iterdir()
    for damaged in ('{"lines": [1, 2]}', "[1]", "not json", '{"other": []}'):
        (kept,) = (tmp_path / task_listing.LISTING_FOLDER).iterdir()
        kept.write_text(damaged, encoding="utf-8")
        assert task_listing.task_listing() == built_lines()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(blocker))
    assert task_listing.task_listing() == built_lines()


def test_the_key_follows_source_files_and_entry_points(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / "plugin_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "tasks.py"
    module.write_text("class T: ...\n")
    (package / "sample.parquet").write_bytes(b"data")
    monkeypatch.syspath_prepend(str(tmp_path))
    points = {"mine": EntryPoint(name="mine", value="plugin_pkg.tasks:T", group=registry.TASK_GROUP)}
    real = registry.entry_points_of
    monkeypatch.setattr(
        registry, "entry_points_of", lambda group: points if group == registry.TASK_GROUP else real(group)
    )
    key = task_listing._listing_key()
    assert task_listing._listing_key() == key
    (package / "sample.parquet").write_bytes(b"other data")  # not a source file
    assert task_listing._listing_key() == key
    status = module.stat()
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    touched = task_listing._listing_key()
    assert touched != key
    module.write_text("class T: 'longer'\n")
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert task_listing._listing_key() != touched
    points["other"] = EntryPoint(name="other", value="plugin_pkg.tasks:T", group=registry.TASK_GROUP)
    assert task_listing._listing_key() not in (key, touched)
