"""The judge cache keeps replies only: an empty or null reply is an error, asked again on a rerun."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tv_eval.core.adapter import AdapterSettings, BatchCallback, ModelAdapter
from tv_eval.core.types import ModelIdentity, Request, Response
from tv_eval.judge.cache import CachedAnswer, JudgeCache
from tv_eval.judge.judging import EMPTY_REPLY, _JudgeClient, _Usage
from tv_eval.judge.protocols import JudgePrompt, video_qa_protocol


class ScriptedJudge(ModelAdapter):
    """Answers each call with the next reply of its script (one per prompt)."""

    name = "scripted"
    version = "1"

    def __init__(self, replies: Sequence[str | None]) -> None:
        super().__init__(AdapterSettings(model_id="scripted-judge"))
        self.replies = list(replies)
        self.asked = 0

    @property
    def identity(self) -> ModelIdentity:
        return ModelIdentity(
            model_id="scripted-judge", revision="r1", adapter="scripted", adapter_version="1"
        )

    def generate(self, requests: Sequence[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        self.asked += len(requests)
        replies, self.replies = self.replies[: len(requests)], self.replies[len(requests) :]
        # a null text is what a careless adapter passes on from a null `content`
        return [
            Response(request_id=r.request_id, text=text) for r, text in zip(requests, replies, strict=True)
        ]


PROMPTS = [JudgePrompt(user=f"question {index}") for index in range(4)]


def ask(cache: JudgeCache, replies: Sequence[str | None]) -> tuple[list[str | None], ScriptedJudge]:
    judge = ScriptedJudge(replies)
    answers = _JudgeClient(judge, cache, _Usage()).ask(PROMPTS, video_qa_protocol())
    return [answer.text if answer.text is not None else answer.error for answer in answers], judge


def test_empty_and_null_replies_are_errors_and_never_cached(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path / "judge.sqlite")
    reply = "{'pred': 'yes', 'score': 4}"
    first, judge = ask(cache, ["", None, "  \n", reply])
    assert first == [EMPTY_REPLY, EMPTY_REPLY, EMPTY_REPLY, reply] and judge.asked == 4
    assert len(cache) == 1
    second, judge = ask(cache, [reply, reply, reply])
    assert second == [reply] * 4 and judge.asked == 3  # the three empty ones asked again
    assert len(cache) == 4


def test_blank_rows_of_older_versions_are_misses(tmp_path: Path) -> None:
    path = tmp_path / "judge.sqlite"
    JudgeCache(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO judge_answers VALUES ('k', 'openai:gpt-4o', '', 10, 0)")
    cache = JudgeCache(path)
    assert cache.get("k") is None
    with pytest.raises(ValueError, match="never cached"):
        cache.put("k2", "openai:gpt-4o", CachedAnswer(" ", 1, 1))


def test_cache_clear_judge_cli(tmp_path: Path, tv_eval_cache: Path) -> None:
    folder = tmp_path / "cache"
    cache = JudgeCache(folder / "judge_cache.sqlite")
    for index, judge in enumerate(["openai:gpt-4o", "openai:gpt-4o", "tiny_random:tiny-random"]):
        cache.put(f"k{index}", judge, CachedAnswer("7", 3, 1))
    cache.close()
    info = run_cli(["cache", "info", "--judge", "--cache-dir", str(folder)], tv_eval_cache)
    assert info.returncode == 0, info.stderr
    assert " ".join(info.stdout.split()).endswith("3 judge answers openai:gpt-4o 2 tiny_random:tiny-random 1")
    one = run_cli(
        ["cache", "clear", "--judge", "--model", "openai:gpt-4o", "--cache-dir", str(folder)], tv_eval_cache
    )
    assert one.returncode == 0, one.stderr
    assert "removed 2 cached judge answers of openai:gpt-4o" in one.stdout
    by_file = run_cli(["cache", "clear", "--judge-cache", str(folder / "judge_cache.sqlite")], tv_eval_cache)
    assert "removed 1 cached judge answers" in by_file.stdout
    assert len(JudgeCache(folder / "judge_cache.sqlite")) == 0
    both = run_cli(
        ["cache", "clear", "--judge-cache", str(folder / "x.sqlite"), "--cache-dir", str(folder)],
        tv_eval_cache,
    )
    assert both.returncode == 2 and "not both" in both.stderr
    directory = run_cli(["cache", "clear", "--judge-cache", str(folder)], tv_eval_cache)
    assert directory.returncode == 2 and "is a directory" in directory.stderr
