"""What the declarative base gained for CVQA and Kaleidoscope: a `system` prompt sent as a system turn,
the `max_new_tokens` task option, `RowReader.language`, and files packed in an archive beside the rows."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from tests.toy_vqa.task import ToyVqaTask
from tv_eval.core.task import DataSource, TaskConfigError
from tv_eval.core.types import Sample, TextPart
from tv_eval.data.archives import packed_file
from tv_eval.data.tiers import joshi_tier_map
from tv_eval.tasking.rows import DataPart, LoadContext, RowReader

SAMPLE = Sample(
    sample_id="q1", task="toy", language="en", reference="red", choices=("red", "blue"), text="Q?"
)


def toy_with_system(tmp_path: Path) -> type[ToyVqaTask]:
    config = (Path(__file__).parent / "toy_vqa" / "config.yaml").read_text(encoding="utf-8")
    with_system = config.replace("prompts:\n", 'prompts:\n  system: "Answer with one letter."\n')
    (tmp_path / "config.yaml").write_text(with_system, encoding="utf-8")

    class ToyWithSystem(ToyVqaTask):
        config_path = tmp_path / "config.yaml"
        option_help: ClassVar[Mapping[str, str]] = {"max_new_tokens": "new tokens per answer"}

    return ToyWithSystem


def test_a_system_prompt_goes_first_as_a_system_turn(tmp_path: Path) -> None:
    plain = ToyVqaTask()
    assert [message.role for message in plain.build_request(SAMPLE, "robust").messages] == ["user"]
    task = toy_with_system(tmp_path)()
    task.configure({})
    system, user = task.build_request(SAMPLE, "robust").messages
    assert (system.role, system.content) == ("system", (TextPart("Answer with one letter."),))
    assert user.role == "user" and user.text.startswith("Q?")


def test_max_new_tokens_option_overrides_the_config(tmp_path: Path) -> None:
    task = toy_with_system(tmp_path)()
    task.configure({})
    assert task.build_request(SAMPLE, "robust").generation.max_new_tokens == 8
    task.configure({"max_new_tokens": "3"})
    assert task.build_request(SAMPLE, "robust").generation.max_new_tokens == 3
    for bad in ("0", "-2", "many"):
        with pytest.raises(TaskConfigError, match="max_new_tokens must be a positive integer"):
            task.configure({"max_new_tokens": bad})
    with pytest.raises(TaskConfigError, match="takes no options"):
        ToyVqaTask().configure({"max_new_tokens": "3"})


def test_row_language_by_code_or_name_records_what_it_cannot_read(tmp_path: Path) -> None:
    context = LoadContext("toy", "example/toy", DataSource(), joshi_tier_map(), tmp_path)
    row = RowReader(context, {}, {}, DataPart(split="test"), "q1")
    assert (row.language("iw"), row.language("Sinhala", by_name=True)) == ("he", "si")
    assert row.language("xx-notalanguage") == "und" and row.language("Zzyzxian", by_name=True) == "und"
    assert row.errors == ["unknown language code 'xx-notalanguage'", "unknown language name 'Zzyzxian'"]


def test_packed_files_come_from_the_tree_or_the_archive(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "data.zip", "w") as archive:
        archive.writestr("final_data/data/a.png", b"packed a")
        archive.writestr("data/b.png", b"packed b")  # a member without the prefix is found too
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.png").write_bytes(b"extracted a")
    source = DataSource(data_dir=tmp_path)

    def read(path: str) -> bytes:
        return packed_file(
            "x/y", path, source, sample_dir=tmp_path, archive="data.zip", member_prefix="final_data/"
        )

    assert read("data/a.png") == b"extracted a"
    assert read("./data/b.png") == b"packed b"
    with pytest.raises(ValueError, match=r"'data/c\.png' is not in data\.zip"):
        read("data/c.png")
    for escaping in ("/etc/passwd", "data/../../x.png"):
        with pytest.raises(ValueError, match="escapes the dataset folder"):
            read(escaping)
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable zip archive"):
        packed_file("x/y", "data/c.png", source, sample_dir=tmp_path, archive="broken.zip")
