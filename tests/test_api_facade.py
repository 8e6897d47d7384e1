"""tv_eval.api, the one module plugins import: every name it lists resolves, and it lists what it maps."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tv_eval.api as api


def test_every_listed_name_resolves_to_its_source() -> None:
    assert sorted(api.__all__) == sorted(api._SOURCES)
    for name in api.__all__:
        assert getattr(api, name) is getattr(__import__(api._SOURCES[name], fromlist=[name]), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = api.not_a_name


def test_importing_the_facade_loads_no_heavy_library() -> None:
    heavy = "('torch', 'datasets', 'numpy')"
    code = f"import sys, tv_eval.api; print(sorted(m for m in {heavy} if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
