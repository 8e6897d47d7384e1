"""A small SQLite cache of judge answers, kept apart from the cache of model responses.

Keyed on the judge's identity (model, revision, adapter and its version, dtype), the full judge
prompt and the decoding settings, so re-judging saved predictions with the same judge costs no
call, and a different judge or prompt template never reads another's verdicts. Every reply that
came back is stored, readable or not: the same deterministic judge would say the same again.
API keys never reach the key or the rows: adapters keep them out of their identity.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

CACHE_ENV_VAR = "TV_EVAL_CACHE_DIR"
CACHE_FILE = "judge_cache.sqlite"


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None


def default_judge_cache_path() -> Path:
    root = os.environ.get(CACHE_ENV_VAR) or platformdirs.user_cache_dir("tv-eval")
    return Path(root) / CACHE_FILE


def judge_cache_key(
    identity: dict[str, Any], messages: list[dict[str, str]], generation: dict[str, Any]
) -> str:
    canonical = json.dumps(
        {"judge": identity, "messages": messages, "generation": generation},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class JudgeCache:
    """Write-through: each answer is committed as it is stored, so a crash loses nothing judged."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._connection = sqlite3.connect(str(path), timeout=30)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS judge_answers ("
            " key TEXT PRIMARY KEY, judge TEXT NOT NULL, text TEXT NOT NULL,"
            " prompt_tokens INTEGER, completion_tokens INTEGER)"
        )
        self._connection.commit()

    def get(self, key: str) -> CachedAnswer | None:
        row = self._connection.execute(
            "SELECT text, prompt_tokens, completion_tokens FROM judge_answers WHERE key = ?", (key,)
        ).fetchone()
        return CachedAnswer(*row) if row else None

    def put(self, key: str, judge: str, answer: CachedAnswer) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO judge_answers VALUES (?, ?, ?, ?, ?)",
            (key, judge, answer.text, answer.prompt_tokens, answer.completion_tokens),
        )
        self._connection.commit()

    def __len__(self) -> int:
        return int(self._connection.execute("SELECT COUNT(*) FROM judge_answers").fetchone()[0])

    def close(self) -> None:
        self._connection.close()
