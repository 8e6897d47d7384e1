"""Leaving the process without Python's finalization once torch is loaded.

Tearing down the interpreter after torch and transformers were imported takes about a second on a
CPU machine (every module's objects freed one by one, then the libraries' own destructors), with
nothing left to write: a 16-sample run spent an eighth of its time there, and a run with worker
processes waited as long again for each worker to end. After a command (or a worker) has finished,
its threads are joined, the `atexit` handlers run (worker processes, Ray, temporary
folders) and the streams are flushed, exactly as a normal exit does; only the freeing of memory,
which the operating system does at once, is skipped. CPython's own multiprocessing children end
the same way (`os._exit` after their exit functions).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

# Modules whose presence makes finalization slow enough to skip: torch about a second, datasets (with
# pandas) 0.23 s, in a driver whose model runs in worker processes.
HEAVY_MODULES = ("torch", "datasets")


def exit_status(code: object) -> int:
    """The process exit status `sys.exit(code)` gives; a message is printed to stderr, as it would be."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> None:
    """Exit with `code` as `sys.exit` would; quickly where a heavy library is loaded."""
    if not any(name in sys.modules for name in HEAVY_MODULES):
        sys.exit(code)
    status = exit_status(code)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (`| head`) or stream: nothing more can reach it.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
