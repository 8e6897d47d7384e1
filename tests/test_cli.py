"""CLI behaviour that needs no model: listing, help, and clear exit-2 errors before any model loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, run_cli


def test_list_and_help_do_not_import_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TV_EVAL_CACHE_DIR", str(tmp_path))  # an empty cache: the task listing is built
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tv_eval.cli.main import app\n"
        "runner = CliRunner()\n"
        "for args in (['--help'], ['list', 'tasks'], ['list', 'models'], ['run', '--help']):\n"
        "    result = runner.invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'numpy') if m in sys.modules))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_list_tasks_and_models(tmp_path: Path) -> None:
    tasks = run_cli(["list", "tasks"], tmp_path)
    assert tasks.returncode == 0
    for task in ("alm_bench", "cultural_vqa", "vimul_bench"):
        assert task in tasks.stdout
    models = run_cli(["list", "models"], tmp_path)
    assert models.returncode == 0
    for alias in ("towervision-2b", "towervision-9b", "tiny-random", "qwen2.5-vl-7b", "gemma3-12b"):
        assert alias in models.stdout
    assert "utter-project/TowerVision-9B" in models.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model", "tiny-random", "--tasks", "alm_bnch"],
            "unknown task or suite 'alm_bnch' (did you mean alm_bench",
        ),
        (["--model", "towervision-99b", "--tasks", "alm_bench"], "unknown model 'towervision-99b'"),
        (["--model", "nope:x", "--tasks", "alm_bench"], "unknown model adapter prefix 'nope'"),
        (
            ["--model", "tiny-random", "--tasks", "alm_bench", "--languages", "de,xq"],
            "unknown language code 'xq'",
        ),
        (["--model", "tiny-random", "--tasks", "alm_bench", "--tiers", "7"], "unknown tier '7'"),
        (
            ["--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--scoring", "lenient"],
            "no scoring mode 'lenient'",
        ),
        (["--model", "tiny-random", "--tasks", "alm_bench", "--batch-size", "0"], "--batch-size must be"),
        (["--model", "tiny-random", "--tasks", "alm_bench", "--device", "tpu"], "--device must be"),
        (
            ["--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--judge", "judge-9000"],
            "unknown model 'judge-9000'",
        ),
        (
            ["--model", "openai:gpt-4o", "--tasks", "alm_bench", "--sample", "--base-url", "ftp://x/v1"],
            "base URL 'ftp://x/v1' is not an http(s) URL",
        ),
        (
            ["--model", "tiny-random", "--tasks", "alm_bench", "--data-dir", "/nonexistent/alm"],
            "does not exist",
        ),
        (
            ["--model", "tiny-random", "--tasks", "alm_bench", "--sample", "--languages", "fr"],
            "no samples for fr",
        ),
    ],
)
def test_configuration_errors_exit_2_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(["run", *args, "--output-dir", str(tmp_path / "out")], tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_malformed_tier_map_exits_2(tmp_path: Path) -> None:
    tier_map = tmp_path / "tiers.toml"
    tier_map.write_text("en = [")
    result = run_cli(
        [*TINY_ALM_RUN, "--sample", "--tier-map", str(tier_map)],
        tmp_path,
    )
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr


def test_report_on_missing_run_dir(tmp_path: Path) -> None:
    result = run_cli(["report", str(tmp_path)], tmp_path)
    assert result.returncode == 2
    assert "has no results.json" in result.stderr
