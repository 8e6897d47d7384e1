"""Bad input never crashes a run or skews a score: each case has its exact error or counted failure."""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest

from tasks.alm_bench.make_sample import build_rows, write_alm_bench_parquet
from tests.conftest import TINY_ALM_RUN, run_cli
from tests.openai_server import canned, serve
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


def _run_against(
    server_url: str, model: str, output: Path, cache: Path, *extra: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        [
            "run",
            "--model",
            f"openai:{model}",
            "--base-url",
            server_url,
            "--tasks",
            "alm_bench",
            "--sample",
            "--languages",
            "en",
            "--output-dir",
            str(output),
            *extra,
        ],
        cache,
        extra_env={"OPENAI_BASE_URL": "", **env},
    )


def _files_holding(secret: str, *folders: Path) -> list[Path]:
    return [
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def test_api_keys_never_reach_outputs_caches_or_errors(tmp_path: Path) -> None:
    """Keys that ARE read (model key from --api-key-file and from OPENAI_API_KEY, judge key from
    --judge-api-key-file) and servers that echo a wrong key in their 401 message, as careless ones do."""
    model_key, wrong_key, judge_key = (
        "sk-model-LEAK-CANARY-31a7",
        "sk-wrong-LEAK-CANARY-9c02",
        "sk-judge-LEAK-CANARY-5e6b",
    )
    hf_token = "hf_tvevalTESTtoken0123456789"
    (tmp_path / "model.key").write_text(model_key + "\n")
    (tmp_path / "judge.key").write_text(judge_key)
    cache = tmp_path / "cache"
    with (
        serve(canned("A"), api_key=model_key) as model,
        serve(canned("7"), api_key="sk-judge-wants-another") as judge,
    ):
        accepted = _run_against(
            model.base_url,
            "served",
            tmp_path / "accepted",
            cache,
            "--api-key-file",
            str(tmp_path / "model.key"),
            "--judge",
            "openai:judge",
            "--judge-base-url",
            judge.base_url,
            "--judge-api-key-file",
            str(tmp_path / "judge.key"),
            "--judge-cache",
            str(cache / "judge.sqlite"),
            "--max-failure-rate",
            "1",
            env={"HF_TOKEN": hf_token},
        )
        answered = len(model.state.bodies)
        judge_attempts = judge.state.attempts
        rejected = _run_against(
            model.base_url, "other", tmp_path / "rejected", cache, env={"OPENAI_API_KEY": wrong_key}
        )
    assert accepted.returncode == 0, accepted.stderr
    (accepted_dir,) = (tmp_path / "accepted").iterdir()
    records = [json.loads(line) for line in (accepted_dir / "samples.jsonl").open(encoding="utf-8")]
    assert answered == len(records) > 0  # the key from the file was sent and accepted for every sample
    judged = [r for r in records if r["question_type"] in ("short", "long")]
    assert judged and judge_attempts >= len(judged)
    assert {(r["status"], r["error"]) for r in judged} == {  # the judge's 401 fails closed, key scrubbed
        ("judge_failed", "judge call failed: HTTP 401: Incorrect API key provided: [REDACTED]")
    }
    run = json.loads((accepted_dir / "run.json").read_text(encoding="utf-8"))
    assert run["config"]["trust_remote_code"] is False

    assert rejected.returncode == 1, rejected.stdout + rejected.stderr  # every sample failed
    (rejected_dir,) = (tmp_path / "rejected").iterdir()
    errors = [json.loads(line)["error"] for line in (rejected_dir / "samples.jsonl").open(encoding="utf-8")]
    assert errors and all(e.startswith("HTTP 401: Incorrect API key provided: [REDACTED]") for e in errors)

    assert {"responses.sqlite", "judge.sqlite"} <= {path.name for path in cache.iterdir()}
    streams = accepted.stdout + accepted.stderr + rejected.stdout + rejected.stderr
    for secret in (model_key, wrong_key, judge_key, hf_token):
        assert _files_holding(secret, accepted_dir, rejected_dir, cache) == [], secret
        assert secret not in streams


def test_language_names_with_control_characters_are_unknown() -> None:
    from tv_eval.data.languages import UnknownLanguageError, language_from_name

    for name in ("Eng\x00lish", "\x00English", "English\x00"):
        with pytest.raises(UnknownLanguageError, match="unknown language name"):
            language_from_name(name)
    assert language_from_name("English") == "en"


@pytest.mark.parametrize(
    "name",
    [
        "{root}/../outside/rows.parquet",
        "/etc/rows.parquet",
        "https://example.com/rows.parquet",
        "hf://datasets/a/b/r.parquet",
    ],
)
def test_data_files_outside_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    from tv_eval.data.data_files import DataFileError, check_local_files

    with pytest.raises(DataFileError, match=r"points split 'test' at .*, outside the data folder"):
        check_local_files(
            tmp_path, {"train": [str(tmp_path / "ok.csv")], "test": [name.format(root=tmp_path)]}
        )


def test_data_files_may_be_links_inside_the_folder(tmp_path: Path) -> None:
    """A Hugging Face cache snapshot: the folder holds links to blobs elsewhere."""
    from tasks.alm_bench.make_sample import SAMPLE_FILE
    from tv_eval.data.data_files import check_local_files

    (tmp_path / "snapshot").mkdir()
    (tmp_path / "snapshot" / "test.parquet").symlink_to(SAMPLE_FILE)
    check_local_files(tmp_path / "snapshot", {"test": [str(tmp_path / "snapshot" / "test.parquet")]})
