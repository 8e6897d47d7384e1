"""The console script's quick exit: everything a normal exit does that matters (threads joined, atexit
handlers, flushed output, the exit status), without the interpreter's slow teardown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tv_eval.core.quick_exit import HEAVY_MODULES, exit_status, leave

# A stand-in for torch or datasets (importing the real one would cost a second here): its name is what
# counts.
SCRIPT = """
import atexit, sys, threading, time, types
from pathlib import Path
folder = Path(sys.argv[1])
if sys.argv[3] != "light":
    sys.modules[sys.argv[3]] = types.ModuleType(sys.argv[3])

class Finalized:
    def __del__(self):
        (folder / "finalized").write_text("yes")

kept = Finalized()

def late_write():
    time.sleep(0.3)
    (folder / "thread").write_text("done")

threading.Thread(target=late_write).start()
atexit.register(lambda: (folder / "atexit").write_text("ran"))
print("buffered output", end="")
from tv_eval.core.quick_exit import leave
code = sys.argv[2]
leave(None if code == "none" else int(code) if code.isdigit() else code)
"""


def _leave_in_subprocess(tmp_path: Path, code: str, heavy: str = "torch") -> subprocess.CompletedProcess[str]:
    """`heavy`: the module loaded before leaving, or "light" for none."""
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), code, heavy], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("heavy", ["torch", "datasets"])
@pytest.mark.parametrize(("code", "status"), [("0", 0), ("3", 3), ("none", 0)])
def test_quick_exit_keeps_status_threads_atexit_and_output(
    tmp_path: Path, code: str, status: int, heavy: str
) -> None:
    finished = _leave_in_subprocess(tmp_path, code, heavy)
    assert finished.returncode == status
    assert finished.stdout == "buffered output"
    assert (tmp_path / "thread").read_text() == "done"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert not (tmp_path / "finalized").exists(), "the interpreter's teardown ran: the exit was not quick"


def test_a_message_is_printed_and_exits_one_as_sys_exit_does(tmp_path: Path) -> None:
    finished = _leave_in_subprocess(tmp_path, "no model loaded")
    assert finished.returncode == 1
    assert finished.stderr.strip() == "no model loaded"


def test_without_torch_the_exit_is_the_normal_one(tmp_path: Path) -> None:
    finished = _leave_in_subprocess(tmp_path, "4", heavy="light")
    assert finished.returncode == 4
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "finalized").read_text() == "yes"


def test_leave_raises_system_exit_in_a_light_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for heavy in HEAVY_MODULES:
        monkeypatch.delitem(sys.modules, heavy, raising=False)
    with pytest.raises(SystemExit) as raised:
        leave(5)
    assert raised.value.code == 5


def test_exit_status_reads_codes_as_sys_exit_does() -> None:
    assert [exit_status(None), exit_status(0), exit_status(2)] == [0, 0, 2]
