"""The bad-input corpus: each damaged input through the real CLI ends in its exact one-line error (exit 2,
no traceback), or, where the damage is in one row, in that sample's exact error (see bad_inputs/README.md).

Binary and large inputs are generated here rather than committed; the text ones lie in tests/bad_inputs/.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasks.alm_bench.make_sample import SAMPLE_FILE, build_rows, write_alm_bench_parquet
from tests.conftest import TINY_ALM_RUN, run_cli

BAD = Path(__file__).parent / "bad_inputs"
PARQUET = "data/test-00000-of-00001.parquet"
LOAD = "cannot load MBZUAI/ALM-Bench split 'test' from"
# Every byte value once: not UTF-8 from 0x80 on, and a NUL at the start.
GARBAGE = bytes(range(256)) * 4
# A server no test starts: every case fails before any request is sent.
NO_SERVER = "http://127.0.0.1:9/v1"


def _english_rows(count: int = 3) -> list[dict]:
    return [row for row in build_rows() if row["Language"] == "English"][:count]


def _data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data" / "data").mkdir(parents=True)
    return tmp_path / "data"


def _table() -> pa.Table:
    return pq.read_table(SAMPLE_FILE).slice(0, 3)


def zero_rows(tmp_path: Path) -> tuple[list[str], str]:
    folder = _data_dir(tmp_path)
    pq.write_table(_table().slice(0, 0), folder / PARQUET)
    return ["--data-dir", str(folder)], f"{LOAD} {folder}: {PARQUET} holds no rows; remove it or fill it"


def mismatched_schemas(tmp_path: Path) -> tuple[list[str], str]:
    folder = _data_dir(tmp_path)
    table = _table()
    pq.write_table(table, folder / "data/test-00000-of-00002.parquet")
    other = table.drop_columns(["Category"]).append_column("Extra", pa.array([1, 2, 3]))
    pq.write_table(other, folder / "data/test-00001-of-00002.parquet")
    return ["--data-dir", str(folder)], (
        f"{LOAD} {folder}: data/test-00001-of-00002.parquet has other columns than "
        "data/test-00000-of-00002.parquet (lacks Category; adds Extra)"
    )


def not_parquet(tmp_path: Path) -> tuple[list[str], str]:
    folder = _data_dir(tmp_path)
    (folder / PARQUET).write_bytes(GARBAGE)
    return ["--data-dir", str(folder)], (
        f"{LOAD} {folder}: {PARQUET} is not a readable parquet file: "
        "Parquet magic bytes not found in footer. "
        "Either the file is corrupted or this is not a parquet file."
    )


def invalid_utf8(tmp_path: Path) -> tuple[list[str], str]:
    """The third row's question is the bytes ff fe: written as a string column, never decoded."""
    folder = _data_dir(tmp_path)
    table = _table()
    questions = [value.encode() for value in table.column("Translated_Question").to_pylist()]
    questions[2] = b"\xff\xfe"
    offsets = pa.array([0, *[sum(len(q) for q in questions[: i + 1]) for i in range(3)]], pa.int32())
    column = pa.Array.from_buffers(
        pa.string(), 3, [None, offsets.buffers()[1], pa.py_buffer(b"".join(questions))]
    )
    index = table.column_names.index("Translated_Question")
    pq.write_table(table.set_column(index, "Translated_Question", column), folder / PARQUET)
    return ["--data-dir", str(folder)], (
        f"{LOAD} {folder}: column 'Translated_Question' holds text that is not valid UTF-8 (row 2)"
    )


def readme_outside(tmp_path: Path) -> tuple[list[str], str]:
    """bad_inputs/readme_outside.md as the folder's README: its data_files lie in a sibling folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(BAD / "readme_outside.md", folder / "README.md")
    (tmp_path / "outside").mkdir()
    shutil.copy(SAMPLE_FILE, tmp_path / "outside" / "rows.parquet")
    return ["--data-dir", str(folder)], (
        f"{LOAD} {folder}: README.md `configs: data_files` points split 'test' at "
        f"{tmp_path / 'outside' / 'rows.parquet'}, outside the data folder; local data must stay inside it"
    )


def _garbage_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(GARBAGE)
    return path


def tier_map_yaml(tmp_path: Path) -> tuple[list[str], str]:
    path = _garbage_file(tmp_path, "tiers.yaml")
    return ["--sample", "--tier-map", str(path)], (
        f"cannot read tier map {path}: not UTF-8 text (byte 0x80 at offset 128)"
    )


def tier_map_nul(tmp_path: Path) -> tuple[list[str], str]:
    path = tmp_path / "tiers.toml"
    path.write_bytes(b'en = "high"\x00\n')
    return [
        "--sample",
        "--tier-map",
        str(path),
    ], f"cannot read tier map {path}: not text (it holds NUL bytes)"


def tier_map_directory(tmp_path: Path) -> tuple[list[str], str]:
    path = tmp_path / "tiers.yaml"
    path.mkdir()
    return ["--sample", "--tier-map", str(path)], f"cannot read tier map {path}: Is a directory"


def judge_prices(tmp_path: Path) -> tuple[list[str], str]:
    path = _garbage_file(tmp_path, "prices.toml")
    return [
        "--sample",
        "--judge",
        "openai:judge",
        "--judge-base-url",
        NO_SERVER,
        "--judge-prices",
        str(path),
    ], f"cannot read judge price table {path}: not UTF-8 text (byte 0x80 at offset 128)"


def judge_cache_directory(tmp_path: Path) -> tuple[list[str], str]:
    return [
        "--sample",
        "--judge",
        "openai:judge",
        "--judge-base-url",
        NO_SERVER,
        "--judge-cache",
        str(tmp_path),
    ], f"--judge-cache {tmp_path} is a directory; name a file, such as {tmp_path / 'judge_cache.sqlite'}"


def api_key_file(tmp_path: Path) -> tuple[list[str], str]:
    path = _garbage_file(tmp_path, "api.key")
    return [
        "--model",
        "openai:served",
        "--base-url",
        NO_SERVER,
        "--api-key-file",
        str(path),
        "--sample",
    ], f"cannot read API key file {path}: not UTF-8 text (byte 0x80 at offset 128)"


def judge_api_key_file(tmp_path: Path) -> tuple[list[str], str]:
    path = _garbage_file(tmp_path, "judge.key")
    return [
        "--sample",
        "--judge",
        "openai:judge",
        "--judge-base-url",
        NO_SERVER,
        "--judge-api-key-file",
        str(path),
    ], f"cannot read API key file {path}: not UTF-8 text (byte 0x80 at offset 128)"


CASES: dict[str, Callable[[Path], tuple[list[str], str]]] = {
    "zero_rows": zero_rows,
    "mismatched_schemas": mismatched_schemas,
    "not_parquet": not_parquet,
    "invalid_utf8": invalid_utf8,
    "readme_outside": readme_outside,
    "tier_map_yaml": tier_map_yaml,
    "tier_map_nul": tier_map_nul,
    "tier_map_directory": tier_map_directory,
    "judge_prices": judge_prices,
    "judge_cache_directory": judge_cache_directory,
    "api_key_file": api_key_file,
    "judge_api_key_file": judge_api_key_file,
}


# Cases that read data take `datasets`' import and load: slow; the others fail before it.
DATA_CASES = ("zero_rows", "mismatched_schemas", "not_parquet", "invalid_utf8", "readme_outside")


@pytest.mark.parametrize(
    "case", [pytest.param(name, marks=pytest.mark.slow) if name in DATA_CASES else name for name in CASES]
)
def test_bad_input_ends_in_one_line(case: str, tmp_path: Path) -> None:
    args, message = CASES[case](tmp_path)
    command = [*TINY_ALM_RUN, "--output-dir", str(tmp_path / "out"), *args]
    if "--model" in args:  # another model than the tiny one
        command = ["run", "--tasks", "alm_bench", "--output-dir", str(tmp_path / "out"), *args]
    result = run_cli(command, tmp_path / "cache", extra_env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "error" in line.lower()] == [f"error: {message}"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (width, height), 200).save(buffer, "PNG")
    return buffer.getvalue()


ROW_CASES = {
    # A NUL in Language is one bad row, as an unknown name is: that sample fails, the run goes on.
    "nul_language": ({"Language": "Eng\x00lish"}, "unknown language name 'Eng\\x00lish'"),
    # 148 KB of PNG, 144 million pixels once decoded: refused from its header, before decoding.
    "huge_png": (
        {"file_name": {"bytes": _png(12000, 12000), "path": None}},
        "image is 12000x12000 pixels (144.0 million), more than the cap of 40.0 million; it is refused, "
        "not shrunk, since decoding it takes that memory first (raise TV_EVAL_MAX_IMAGE_PIXELS to allow it)",
    ),
}


@pytest.mark.slow
def test_bad_rows_fail_their_samples_with_their_reason(tmp_path: Path, tv_eval_cache: Path) -> None:
    rows = _english_rows(len(ROW_CASES) + 1)
    for row, (name, (changes, _)) in zip(rows, ROW_CASES.items(), strict=False):
        row.update(ID=name, **changes)
    write_alm_bench_parquet(rows, tmp_path / "data" / PARQUET)
    result = run_cli(
        [*TINY_ALM_RUN, "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path / "out")],
        tv_eval_cache,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # failures above --max-failure-rate 0, results written
    (run_dir,) = (tmp_path / "out").iterdir()
    records = {
        record["sample_id"]: record
        for record in map(json.loads, (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert {name: records[name]["error"] for name in ROW_CASES} == {
        name: message for name, (_, message) in ROW_CASES.items()
    }
    assert records[rows[-1]["ID"]]["status"] != "failed"
