"""Without the `hf` extra, a transformers model is one line naming the extra, exit 2, no traceback.

The CLI runs in a fresh interpreter whose import system cannot see torch or transformers, exactly
as after `pip install tv-eval`: a sitecustomize on PYTHONPATH makes the path finder return nothing
for them, so `importlib.util.find_spec` says "not installed" and `import torch` raises.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

HIDE_HF = """
import importlib.machinery

_HIDDEN = {"torch", "transformers"}
_find_spec = importlib.machinery.PathFinder.find_spec


def _without_hidden(name, path=None, target=None):
    if name.partition(".")[0] in _HIDDEN:
        return None
    return _find_spec(name, path, target)


importlib.machinery.PathFinder.find_spec = _without_hidden
"""


@pytest.fixture
def without_hf(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_HF)
    return {"PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.mark.parametrize("model", ["tiny-random", "hf:/nonexistent/checkpoint", "towervision-9b"])
def test_transformers_model_without_the_extra_is_one_line(
    model: str, without_hf: dict[str, str], tmp_path: Path
) -> None:
    args = ["run", "--model", model, "--tasks", "alm_bench", "--sample", "--limit", "2"]
    result = run_cli([*args, "--output-dir", str(tmp_path / "out")], tmp_path / "cache", extra_env=without_hf)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'pip install "tv-eval[hf]"' in lines[0]
    assert "torch" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_the_hidden_modules_really_are_hidden(without_hf: dict[str, str]) -> None:
    """The simulation holds (else the test above proves nothing): torch is not found, numpy still is."""
    probe = "import importlib.util as u; print(u.find_spec('torch'), u.find_spec('numpy') is not None)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, **without_hf}
    )
    assert result.stdout.split() == ["None", "True"]
