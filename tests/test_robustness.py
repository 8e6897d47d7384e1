"""Bad input never crashes a run or skews a score: each case has its exact error or counted failure."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from tasks.alm_bench.make_sample import build_rows, write_alm_bench_parquet
from tests.conftest import TINY_ALM_RUN, run_cli
from tv_eval.core.task import TaskConfigError, read_task_config
from tv_eval.data.hub import image_bytes
from tv_eval.data.tiers import TierMapError, load_tier_map

BAD = Path(__file__).parent / "bad_inputs"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tiers_bad_toml.toml", "is not valid TOML"),
        ("tiers_not_a_map.yaml", "must map language codes to tier labels"),
        ("tiers_bad_language.yaml", "unknown language code 'xq'"),
        ("tiers_bad_value.toml", "tier of 'en' must be a string"),
    ],
)
def test_malformed_tier_maps(name: str, message: str) -> None:
    with pytest.raises(TierMapError, match=message):
        load_tier_map(BAD / name)


def test_malformed_task_config() -> None:
    with pytest.raises(TaskConfigError, match=r"task_config_bad\.yaml is malformed"):
        read_task_config(BAD / "task_config_bad.yaml")


def test_image_cells(tmp_path: Path) -> None:
    (tmp_path / "ok.png").write_bytes((BAD / "corrupt.png").read_bytes())
    (tmp_path / "empty.png").write_bytes(b"")
    assert image_bytes({"bytes": None, "path": "ok.png"}, tmp_path) == (BAD / "corrupt.png").read_bytes()
    cases = [
        ({"bytes": b"", "path": None}, "image is empty (0 bytes)"),
        ({"bytes": None, "path": None}, "missing image"),
        (None, "missing image"),
        ({"bytes": None, "path": "../../etc/passwd"}, "escapes the dataset folder"),
        ({"bytes": None, "path": "/etc/passwd"}, "escapes the dataset folder"),
        ({"bytes": None, "path": "absent.png"}, "not found"),
        ({"bytes": None, "path": "empty.png"}, "is empty (0 bytes)"),
    ]
    for cell, message in cases:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            image_bytes(cell, tmp_path)


def _bad_rows() -> list[dict]:
    """Eight good English/German rows, then one row per kind of bad data."""
    rows = [row for row in build_rows() if row["Language"] in ("English", "German")]
    good = rows[:8]
    template = next(row for row in rows if row["Question_Type"] == "True False Question")

    def bad(suffix: str, **changes: object) -> dict:
        return {**template, "ID": f"bad_{suffix}", **changes}

    return [
        *good,
        bad("corrupt_png", file_name={"bytes": (BAD / "corrupt.png").read_bytes(), "path": None}),
        bad("truncated_jpg", file_name={"bytes": (BAD / "truncated.jpg").read_bytes(), "path": None}),
        bad("garbage_jpg", file_name={"bytes": (BAD / "garbage.jpg").read_bytes(), "path": None}),
        bad("not_image", file_name={"bytes": (BAD / "not_an_image.png").read_bytes(), "path": None}),
        bad("empty_png", file_name={"bytes": (BAD / "empty.png").read_bytes(), "path": None}),
        bad("missing_image", file_name=None),
        bad("escape", file_name={"bytes": None, "path": "../../../etc/hostname"}),
        bad("language", Language="Notalanguage"),
        bad("no_options", Question_Type="Multiple Choice Questions", Translated_Answer="Paris"),
        bad("empty_question", Translated_Question="   "),
        bad("too_long", Translated_Question=" ".join(["word"] * 3000)),
        bad("reference_unknown", English_Answer="Maybe", Translated_Answer="Vielleicht"),
    ]


EXPECTED_ERRORS = {
    "bad_corrupt_png": "image could not be decoded",
    "bad_truncated_jpg": "image could not be decoded",
    "bad_garbage_jpg": "image could not be decoded",
    "bad_not_image": "image could not be decoded",
    "bad_empty_png": "image is empty (0 bytes)",
    "bad_missing_image": "missing image",
    "bad_escape": "image path '../../../etc/hostname' escapes the dataset folder",
    "bad_language": "unknown language name 'Notalanguage'",
    "bad_no_options": "multiple-choice answer has no '(Options: ...)' list",
    "bad_empty_question": "empty question",
    "bad_too_long": "more than the model's context",
    "bad_reference_unknown": "cannot tell whether the reference answer is true or false",
}


@pytest.mark.slow
def test_bad_data_is_counted_not_crashing(tmp_path: Path, tv_eval_cache: Path) -> None:
    write_alm_bench_parquet(_bad_rows(), tmp_path / "data" / "data" / "test-00000-of-00001.parquet")
    args = [
        *TINY_ALM_RUN,
        "--data-dir",
        str(tmp_path / "data"),
        "--output-dir",
        str(tmp_path / "out"),
        "--batch-size",
        "4",
    ]
    result = run_cli(args, tv_eval_cache)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # failures above --max-failure-rate 0, after writing results
    assert "12 of 20 samples failed" in " ".join(result.stderr.split())
    (run_dir,) = (tmp_path / "out").iterdir()
    records = {json.loads(line)["sample_id"]: json.loads(line) for line in (run_dir / "samples.jsonl").open()}
    for sample_id, message in EXPECTED_ERRORS.items():
        assert records[sample_id]["status"] == "failed", records[sample_id]
        assert message in records[sample_id]["error"], records[sample_id]
        assert records[sample_id]["scores"] == {}
    assert records["bad_language"]["tier"] == "unknown"
    counts = json.loads((run_dir / "results.json").read_text())["tasks"]["alm_bench"]["counts"]
    assert counts["failed"] == 12
    assert counts["total"] == 20

    tolerant = run_cli(
        [*args, "--output-dir", str(tmp_path / "out2"), "--max-failure-rate", "0.7"], tv_eval_cache
    )
    assert tolerant.returncode == 0, tolerant.stderr
    assert "from cache" in tolerant.stdout


def test_missing_column_exits_2_before_the_model_loads(tmp_path: Path) -> None:
    rows = [
        {("Lang" if key == "Language" else key): value for key, value in row.items()}
        for row in build_rows()[:3]
    ]
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "data" / "data"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist([{k: v for k, v in r.items() if k != "file_name"} for r in rows]),
        folder / "test-00000-of-00001.parquet",
    )
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--data-dir",
            str(tmp_path / "data"),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        tmp_path,
    )
    assert result.returncode == 2
    assert "lacks column(s) file_name, Language" in result.stderr
    assert "Traceback" not in result.stderr


def test_output_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--sample",
            "--output-dir",
            str(blocker / "runs"),
        ],
        tmp_path,
    )
    assert result.returncode == 2
    assert "cannot write to output directory" in result.stderr


@pytest.mark.slow
def test_disk_full_while_writing(
    tmp_path: Path, tv_eval_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tv_eval.cli.main import app
    from tv_eval.core import io

    def full_disk(self: io.JsonlAppender, records: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "samples.jsonl")

    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tv_eval_cache))
    monkeypatch.setattr(io.JsonlAppender, "write_batch", full_disk)
    result = CliRunner().invoke(
        app,
        [
            *TINY_ALM_RUN,
            "--sample",
            "--limit",
            "4",
            "--output-dir",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "cannot write results: No space left on device (samples.jsonl)" in " ".join(result.output.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_empty_prediction_is_a_counted_failure() -> None:
    from tasks.alm_bench.task import AlmBenchTask
    from tv_eval.core.task import DataSource
    from tv_eval.data.tiers import joshi_tier_map
    from tv_eval.pipeline.records import score_sample

    task = AlmBenchTask()
    sample = task.load(DataSource(use_sample=True), joshi_tier_map()).samples[0]
    record = score_sample(task, sample, "robust", "prompt", "  \n ", None)
    assert record.status.value == "failed"
    assert record.error == "empty prediction"
    assert record.scores == {}


def test_tokens_never_reach_outputs_and_remote_code_is_off(tmp_path: Path, tv_eval_cache: Path) -> None:
    token = "hf_tvevalTESTtoken0123456789"
    result = run_cli(
        [
            *TINY_ALM_RUN,
            "--sample",
            "--limit",
            "3",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        tv_eval_cache,
        extra_env={"HF_TOKEN": token, "OPENAI_API_KEY": token},
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "out").iterdir()
    run = json.loads((run_dir / "run.json").read_text())
    assert run["config"]["trust_remote_code"] is False
    for path in run_dir.iterdir():
        assert token not in path.read_text(), path
    assert token not in result.stdout + result.stderr
    assert token.encode() not in (tv_eval_cache / "responses.sqlite").read_bytes()
