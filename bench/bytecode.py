"""Bytecode for the project's own modules, written before anything is timed.

pip compiles an installed package's modules when it installs them; an editable install leaves that to
the first import, and where PYTHONDONTWRITEBYTECODE is set (as on these machines) the first import
never writes it: every tv-eval process then compiled its modules from source (0.2 s of `tv-eval list
tasks`), while lmms-eval, installed by pip, read bytecode. `make` compiles them as well; this keeps a
bench fair where make was not run since the last edit.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("tv_eval", "tasks", "model_adapters")


def compile_project() -> None:
    for package in PACKAGES:
        compileall.compile_dir(PROJECT / package, quiet=1)
