"""Whether a process still runs, for tests that kill a driver and expect its workers to end."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

HAS_PROC = Path("/proc/self/status").exists()


def running(pid: int) -> bool:
    """Whether the process exists and has not ended (an ended one nobody reaped is a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


def ends_within(pid: int, seconds: float) -> bool:
    """Waits up to `seconds` for the process to end; one still running is then killed (no test leaves
    it behind) and False returned."""
    deadline = time.monotonic() + seconds
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not running(pid):
        return True
    os.kill(pid, signal.SIGKILL)
    return False
