"""Stand-in adapters for the worker pool tests: answers that show which worker gave them, a log of every
unit each worker ran, and ways to fail on purpose (at load, or by dying mid-unit), so the tests can see
what a pool does with a request: handed out once, handed again after a crash, answered once."""

from __future__ import annotations

import atexit
import os
import sys
import time
import types
from collections.abc import Sequence
from pathlib import Path

from tv_eval.api import BatchCallback, ModelAdapter, ModelIdentity, ModelLoadError, Request, Response


class LoggingAdapter(ModelAdapter):
    """Answers each request with its text reversed. Options: `log` (a file each unit's request ids are
    appended to, with the worker's pid), `delay` (seconds per request), `load_delay` (seconds to load),
    `loaded` (a file that gets the pid and time once loaded), `fail_load`, `die_on`: a request id
    whose unit kills the process the first time (`die_marker` records that it happened), and `exits`: a
    folder told how the process ended (see `_watch_exit`)."""

    name = "logging"
    version = "1"

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        time.sleep(float(settings.options.get("load_delay", 0)))
        if settings.options.get("fail_load"):
            raise ModelLoadError("no weights here")
        self.options = settings.options
        if settings.options.get("exits"):
            _watch_exit(Path(settings.options["exits"]))
        if settings.options.get("loaded"):  # when the model finished loading, and in which process
            Path(settings.options["loaded"]).write_text(f"{os.getpid()} {time.time()}", encoding="utf-8")

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity("logging", "r1", self.name, self.version, device=self.settings.device)

    def _log(self, event: str, requests: Sequence[Request]) -> None:
        with Path(self.options["log"]).open("a", encoding="utf-8") as log:
            log.write(f"{event} {os.getpid()} {','.join(r.request_id for r in requests)}\n")

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        self._log("start", requests)
        time.sleep(float(self.options.get("delay", 0)) * len(requests))
        marker = Path(self.options.get("die_marker", "/nonexistent/marker"))
        if any(r.request_id == self.options.get("die_on") for r in requests) and not marker.exists():
            marker.write_text(str(os.getpid()), encoding="utf-8")
            os._exit(9)
        self._log("done", requests)
        return [Response(r.request_id, r.messages[0].text[::-1]) for r in requests]

    def loglikelihood(self, requests: Sequence[Request]) -> list[float]:
        self._log("done", requests)
        return [-float(len(r.continuation or "")) for r in requests]

    def close(self) -> None:
        if self.options.get("exits"):
            (Path(self.options["exits"]) / f"closed-{os.getpid()}").write_text("yes", encoding="utf-8")


class _TornDown:
    """Writes its file when the interpreter frees it: on a normal exit's teardown, not on a quick one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __del__(self) -> None:
        self.path.write_text("yes", encoding="utf-8")


_KEPT: list[_TornDown] = []


def _watch_exit(folder: Path) -> None:
    """Makes this process one with torch loaded (a stand-in module: only its name counts) and leaves marks
    of how it ends: `atexit-PID` from the exit functions, `torn-down-PID` from the interpreter's teardown."""
    sys.modules.setdefault("torch", types.ModuleType("torch"))
    atexit.register(lambda: (folder / f"atexit-{os.getpid()}").write_text("yes", encoding="utf-8"))
    _KEPT.append(_TornDown(folder / f"torn-down-{os.getpid()}"))


def log_events(path: Path) -> list[tuple[str, int, list[str]]]:
    """(event, pid, request ids) per line of a LoggingAdapter log."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event, pid, ids = line.split(" ")
        events.append((event, int(pid), ids.split(",")))
    return events
