"""The loop every bridge worker script runs, in whichever environment holds its library.

Worker scripts (lmms_worker.py, vllm_worker.py) run with `python -I` in environments where tv-eval is
not installed, so this module imports only the standard library; a worker puts its own folder on
`sys.path` when started as a script and imports it as `worker_loop`.

Protocol: one JSON object per line on stdin ({"command": NAME, ...}); a handler may send any number
of {"event": ...} lines while it works (vLLM's completions as they finish), then one final line,
{"ok": true, "result": ...} or {"ok": false, "error": "one line"}. Libraries log to stdout, so the
protocol writes to a duplicate of the original stdout and file descriptor 1 is pointed at stderr.

A worker whose driver dies ends within a second, even mid-command: it would otherwise finish a
command nobody reads (a whole generation, on a GPU it keeps) before stdin's end could stop it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

Send = Callable[[Any], None]
Handler = Callable[[dict[str, Any], Send], Any]

DRIVER_POLL_S = 0.5
# The exit status of a worker that ended because its driver was gone.
DRIVER_GONE_EXIT = 3
# Set by the driver to its own pid: a worker that starts after its driver already died would otherwise
# take its new parent for the driver.
DRIVER_PID_ENV = "TV_EVAL_DRIVER_PID"


def error_line(error: BaseException) -> str:
    message = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {message}"[:2000]


def end_with_driver(driver: int | None = None) -> None:
    """Ends this process once its parent, the driver (`driver`, else the pid in DRIVER_PID_ENV, else
    the parent now), is gone: this process is then adopted by another. No exit function runs, since the
    driver that would read their output is gone. Bridge workers call it through `serve`; the local
    pool's workers (tv_eval/pipeline/parallel/local_pool.py) call it too, since it needs nothing but the
    standard library."""
    driver = driver or int(os.environ.get(DRIVER_PID_ENV) or 0) or os.getppid()

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(DRIVER_POLL_S)
        os._exit(DRIVER_GONE_EXIT)

    threading.Thread(target=watch, name="tv-eval-driver-watch", daemon=True).start()


def serve(handle: Handler) -> None:
    """Answer commands from stdin until it closes; a failed command is one line, never an exit."""
    end_with_driver()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def write(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message, ensure_ascii=False) + "\n")
        protocol.flush()

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = {"ok": True, "result": handle(json.loads(line), lambda event: write({"event": event}))}
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": error_line(error)}
        write(reply)


def main(handle: Callable[[], Handler], versions: Callable[[], dict[str, str]]) -> None:
    """`SCRIPT versions` prints the library's versions (the environment's probe); else serve."""
    if sys.argv[1:] == ["versions"]:
        print(json.dumps(versions()))
    else:
        serve(handle())
