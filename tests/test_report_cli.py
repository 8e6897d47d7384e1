"""The report commands start light and print bracketed text verbatim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli
from tv_eval.analysis.sample_changes import difference_excerpts


def test_report_commands_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tv_eval.cli.main import app\n"
        "runner = CliRunner()\n"
        "for command in ('leaderboard', 'transfer', 'compare'):\n"
        "    result = runner.invoke(app, [command, '--help'])\n"
        "    assert result.exit_code == 0, (command, result.output)\n"
        "heavy = ('torch', 'transformers', 'datasets', 'numpy', 'matplotlib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_error_messages_keep_their_brackets(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text("[tasks.alm_bench]\nmax_drop = 1\nalpha = 2\n")
    result = run_cli(["compare", str(tmp_path), str(tmp_path), "--config", str(config)], tmp_path)
    assert result.returncode == 2
    assert "[tasks.alm_bench] must set only max_drop" in " ".join(result.stderr.split())


def test_difference_excerpts_show_where_texts_differ() -> None:
    before = "user: " + "long shared instruction " * 10 + "options: green yellow red blue"
    after = "user: " + "long shared instruction " * 10 + "options: blue red yellow green"
    left, right = difference_excerpts(before, after, width=40)
    assert left.startswith("…") and right.startswith("…")
    assert "green yellow" in left and "blue red" in right
    assert difference_excerpts("abc", "abd") == ("abc", "abd")
