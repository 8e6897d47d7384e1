"""tv-eval's side of a worker process that runs in a managed environment and speaks JSON lines.

Libraries that pin another torch or transformers than tv-eval's (lmms-eval, vLLM's CPU build) run in a
process of their own, started from the managed environment's interpreter with `-I` on a worker script
that imports nothing of tv-eval. Each command is one JSON line; the worker answers with one final line
({"ok": true, "result": ...} or {"ok": false, "error": "one line"}) and, for commands that stream
(vLLM's completions as they finish), any number of {"event": ...} lines before it, each handed to the
caller's `on_event` at once. The worker's own output goes to a log under the cache's `logs/`, whose
last line a crash names.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tv_eval.bridges.worker_loop import DRIVER_PID_ENV
from tv_eval.core.cache_root import cache_root

EventCallback = Callable[[Any], None]


class JsonLinesWorker:
    """A running worker; `call` sends one command and returns its result.

    `label` names the library in messages ("lmms-eval", "vLLM"); `error` is the exception class raised
    for a stopped worker or a failed command, so each bridge keeps its own error type.
    """

    def __init__(
        self,
        python: Path,
        script: Path,
        label: str,
        error: type[RuntimeError],
        env: dict[str, str] | None = None,
    ) -> None:
        self.label = label
        self.error = error
        stem = script.stem.removesuffix("_worker")
        self.scratch = Path(tempfile.mkdtemp(prefix=f"tv-eval-{stem}-"))
        self.log_path = cache_root() / "logs" / f"{stem}-worker-{os.getpid()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(python), "-I", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            env={
                **os.environ,
                "TOKENIZERS_PARALLELISM": "false",
                "PYTHONIOENCODING": "utf-8",
                DRIVER_PID_ENV: str(os.getpid()),
                **(env or {}),
            },
        )

    def call(self, command: str, on_event: EventCallback | None = None, **payload: Any) -> Any:
        """Send `command` with `payload`; events streamed before the reply go to `on_event`."""
        process = self._process
        if process.stdin is None or process.stdout is None:
            raise self.error(f"the {self.label} worker has no pipes")
        with self._lock:
            try:
                process.stdin.write(json.dumps({"command": command, **payload}, ensure_ascii=False) + "\n")
                process.stdin.flush()
                reply = self._reply(process.stdout.readline, on_event)
            except OSError as error:
                reply, reason = None, str(error)
            else:
                reason = "it exited"
        if reply is None:
            raise self.error(f"the {self.label} worker stopped during {command} ({reason}); {self._tail()}")
        if not reply["ok"]:
            raise self.error(f"{self.label} {command} failed: {reply['error']}")
        return reply["result"]

    @staticmethod
    def _reply(readline: Callable[[], str], on_event: EventCallback | None) -> dict[str, Any] | None:
        """The command's final line, after handing each event line before it to `on_event`."""
        while line := readline():
            message = json.loads(line)
            if "event" not in message:
                return message
            if on_event is not None:
                on_event(message["event"])
        return None

    def _tail(self) -> str:
        self._log.flush()
        lines = [
            line for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line
        ]
        return f"last log line: {lines[-1]}" if lines else f"log {self.log_path} is empty"

    def close(self) -> None:
        if self._process.poll() is None and self._process.stdin is not None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
