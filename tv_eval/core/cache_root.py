"""The one place that decides where tv-eval keeps its caches.

Responses, judge answers, content digests, the tiny test model and the managed COMET environment
all live under this folder, so `TV_EVAL_CACHE_DIR` relocates every one of them at once (tests, CI,
a shared scratch disk) and no two parts of the code can disagree about where the cache is.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "TV_EVAL_CACHE_DIR"


def cache_root() -> Path:
    """`$TV_EVAL_CACHE_DIR`, else the platform's user cache folder (e.g. ~/.cache/tv-eval)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tv-eval"))
