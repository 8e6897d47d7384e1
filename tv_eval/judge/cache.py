"""A cache of judge answers, kept apart from the cache of model responses (same store, own file).

Keyed on the judge's identity (model, revision, adapter and its version, dtype), the full judge
prompt and the decoding settings, so re-judging saved predictions with the same judge costs no
call, and a different judge or prompt template never reads another's verdicts. Every reply that
came back is stored, readable or not: the same deterministic judge would say the same again.
Errors are never stored, and an empty or blank reply is an error (an API that returned nothing),
so a rerun asks again; blank rows an older version stored are read as misses. API keys never reach
the key or the rows: adapters keep them out of their identity.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tv_eval.core.cache_root import cache_root
from tv_eval.core.store import SqliteStore, is_answer_text

CACHE_FILE = "judge_cache.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS judge_answers (
    key TEXT PRIMARY KEY,
    judge TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER
);
"""


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None


def default_judge_cache_path() -> Path:
    return cache_root() / CACHE_FILE


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
        self.path = path
        self._store = SqliteStore(path, _SCHEMA, label="judge cache")

    def get(self, key: str) -> CachedAnswer | None:
        rows = self._store.query(
            "SELECT text, prompt_tokens, completion_tokens FROM judge_answers WHERE key = ?", (key,)
        )
        if not rows or not is_answer_text(rows[0][0]):
            return None
        return CachedAnswer(*rows[0])

    def put(self, key: str, judge: str, answer: CachedAnswer) -> None:
        if not is_answer_text(answer.text):
            raise ValueError("a blank judge reply is an error and is never cached")
        self._store.write(
            "INSERT OR REPLACE INTO judge_answers VALUES (?, ?, ?, ?, ?)",
            [(key, judge, answer.text, answer.prompt_tokens, answer.completion_tokens)],
        )

    def __len__(self) -> int:
        return int(self._store.query("SELECT COUNT(*) FROM judge_answers")[0][0])

    def judges(self) -> dict[str, int]:
        """Cached answers per judge (`adapter:model_id`)."""
        rows = self._store.query("SELECT judge, COUNT(*) FROM judge_answers GROUP BY judge")
        return {str(judge): int(count) for judge, count in rows}

    def clear(self, judge: str | None = None) -> int:
        """Delete all cached answers, or those of one judge; returns how many."""
        if judge is None:
            return self._store.delete("DELETE FROM judge_answers")
        return self._store.delete("DELETE FROM judge_answers WHERE judge = ?", (judge,))

    def close(self) -> None:
        self._store.close()
