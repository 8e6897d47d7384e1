"""The response cache: a crash costs nothing and two models never share answers.

One SQLite file in WAL mode, shared by every run on the machine (several at once: WAL plus a busy
timeout serialises writers without losing rows). The key is a hash of everything that determines
a generation: model identity and revision, adapter name and version, dtype, the rendered request
(text and the content hash of every image) and the generation parameters. Only answers are
cached, never errors and never empty texts (from an API an empty completion is a fault; an empty
row left by an older tv-eval is ignored), so a transient failure is asked again on the next run. An
answer whose invalid code points were replaced keeps their count, so a rerun's record says so too.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tv_eval.core.store import SqliteStore, is_answer_text
from tv_eval.core.types import (
    ContentPart,
    ContinuationMeasure,
    ImagePart,
    ModelIdentity,
    Request,
    Response,
    VideoPart,
)

CACHE_FILE = "responses.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    identity TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    created REAL NOT NULL,
    writes INTEGER NOT NULL DEFAULT 1,
    replaced_code_points INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS responses_model ON responses(model);
"""


def identity_key(identity: ModelIdentity) -> dict[str, Any]:
    """The parts of an identity that change what a model says (the device does not)."""
    return {key: value for key, value in asdict(identity).items() if key != "device"}


def _part_key(part: ContentPart) -> dict[str, Any]:
    """Media by content hash (and a video by its frame count too), text as it is."""
    if isinstance(part, ImagePart):
        return {"image": part.image.sha256}
    if isinstance(part, VideoPart):
        return {"video": part.video.sha256, "frames": part.num_frames}
    return {"text": part.text}


def request_key(identity: ModelIdentity, request: Request) -> str:
    return request_keys(identity, [request])[0]


def request_keys(identity: ModelIdentity, requests: Sequence[Request]) -> list[str]:
    """One key per request. The identity's part, and the generation parameters' part for each
    distinct parameter set, are built once for the whole list: a run asks for thousands of keys."""
    model = identity_key(identity)
    # By repr, not by equality: 1 == 1.0, but the two are written differently into the key.
    generation_parts: dict[str, dict[str, Any]] = {}
    keys = []
    for request in requests:
        shown = repr(request.generation)
        if shown not in generation_parts:
            generation_parts[shown] = asdict(request.generation)
        payload = {
            "model": model,
            "messages": [
                {"role": message.role, "content": [_part_key(part) for part in message.content]}
                for message in request.messages
            ],
            "generation": generation_parts[shown],
            "continuation": request.continuation,
        }
        if request.measure is not ContinuationMeasure.SUM:
            # Only when asked for: keys of every earlier request stay as they were.
            payload["measure"] = request.measure.value
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        keys.append(hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    return keys


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    models: Mapping[str, int]
    size_bytes: int
    rewritten: int


class ResponseCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._store = SqliteStore(path, _SCHEMA, label="response cache")
        self._store.ensure_column("responses", "replaced_code_points", "INTEGER NOT NULL DEFAULT 0")

    def get_many(self, keys: Sequence[str]) -> dict[str, Response]:
        rows = self._store.query_in(
            "SELECT key, text, prompt_tokens, completion_tokens, replaced_code_points"
            " FROM responses WHERE key IN ({placeholders})",
            keys,
        )
        return {
            key: Response(
                request_id="",
                text=text,
                prompt_tokens=prompt,
                completion_tokens=completion,
                replaced_code_points=replaced,
            )
            for key, text, prompt, completion, replaced in rows
            if is_answer_text(text)
        }

    def put_many(self, identity: ModelIdentity, entries: Iterable[tuple[str, Response]]) -> None:
        """One transaction per batch, so a crash keeps every batch that completed before it."""
        rows = [
            (
                key,
                identity.model_id,
                json.dumps(identity_key(identity), sort_keys=True),
                response.text,
                response.prompt_tokens,
                response.completion_tokens,
                time.time(),
                response.replaced_code_points,
            )
            for key, response in entries
            if response.error is None and is_answer_text(response.text)
        ]
        if rows:
            self._store.write(
                "INSERT INTO responses (key, model, identity, text, prompt_tokens, completion_tokens,"
                " created, replaced_code_points) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET text=excluded.text,"
                " replaced_code_points=excluded.replaced_code_points, writes=responses.writes + 1",
                rows,
            )

    def holds_answers_of(self, identity: ModelIdentity) -> bool:
        """Whether any answer of this exact model (revision, adapter, dtype) is cached."""
        rows = self._store.query(
            "SELECT 1 FROM responses WHERE model = ? AND identity = ? LIMIT 1",
            (identity.model_id, json.dumps(identity_key(identity), sort_keys=True)),
        )
        return bool(rows)

    def stats(self) -> CacheStats:
        models = dict(self._store.query("SELECT model, COUNT(*) FROM responses GROUP BY model"))
        ((rewritten,),) = self._store.query("SELECT COUNT(*) FROM responses WHERE writes > 1")
        return CacheStats(self.path, sum(models.values()), models, self._store.size_bytes(), rewritten)

    def write_counts(self) -> dict[str, int]:
        """How often each key was written: 1 everywhere means no generation was ever repeated."""
        return dict(self._store.query("SELECT key, writes FROM responses"))

    def clear(self, model: str | None = None) -> int:
        if model is None:
            return self._store.delete("DELETE FROM responses")
        return self._store.delete("DELETE FROM responses WHERE model = ?", (model,))

    def close(self) -> None:
        self._store.close()
