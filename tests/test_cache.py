"""The response cache: what the key depends on, what is stored, and the cache commands."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import TINY_ALM_RUN, run_cli
from tv_eval.core.adapter import BatchCallback
from tv_eval.core.cache_root import CACHE_DIR_ENV, cache_root
from tv_eval.core.store import CacheError
from tv_eval.core.types import (
    GenerationParams,
    ImageInput,
    ImagePart,
    Message,
    ModelIdentity,
    Request,
    Response,
    TextPart,
)
from tv_eval.judge.cache import CachedAnswer, JudgeCache
from tv_eval.pipeline.cache import ResponseCache, request_key, request_keys
from tv_eval.pipeline.generation import CachedGeneration

IDENTITY = ModelIdentity(
    model_id="m", revision="r1", adapter="transformers", adapter_version="1", dtype="float32"
)
REQUEST = Request(
    request_id="q1",
    messages=(Message("user", (ImagePart(ImageInput.from_bytes(b"image-1")), TextPart("What is this?"))),),
    generation=GenerationParams(max_new_tokens=16),
)


def test_key_depends_on_everything_that_changes_the_answer() -> None:
    base = request_key(IDENTITY, REQUEST)
    variants = [
        request_key(replace(IDENTITY, model_id="other"), REQUEST),
        request_key(replace(IDENTITY, revision="r2"), REQUEST),
        request_key(replace(IDENTITY, adapter="vllm"), REQUEST),
        request_key(replace(IDENTITY, adapter_version="2"), REQUEST),
        request_key(replace(IDENTITY, dtype="bfloat16"), REQUEST),
        request_key(IDENTITY, replace(REQUEST, generation=GenerationParams(max_new_tokens=17))),
        request_key(
            IDENTITY, replace(REQUEST, generation=GenerationParams(max_new_tokens=16, temperature=0.7))
        ),
        request_key(
            IDENTITY,
            replace(
                REQUEST,
                messages=(
                    Message(
                        "user", (ImagePart(ImageInput.from_bytes(b"image-2")), TextPart("What is this?"))
                    ),
                ),
            ),
        ),
        request_key(
            IDENTITY,
            replace(
                REQUEST,
                messages=(
                    Message(
                        "user", (ImagePart(ImageInput.from_bytes(b"image-1")), TextPart("What is that?"))
                    ),
                ),
            ),
        ),
        request_key(IDENTITY, replace(REQUEST, continuation="a cat")),
    ]
    assert len({base, *variants}) == len(variants) + 1
    # neither the request id nor the device changes what the model says
    assert request_key(replace(IDENTITY, device="cuda"), replace(REQUEST, request_id="other")) == base


def test_keys_stay_those_that_earlier_runs_stored() -> None:
    """A changed key format would turn every cached answer into a miss: this key was computed by
    the one-request function before keys were built a list at a time."""
    assert (
        request_key(IDENTITY, REQUEST) == "9dddf2ea0c7ce92d4cc692fb4e97086a17f6148a84430a5083282dbe77e638fd"
    )


def test_a_list_of_keys_is_the_keys_of_its_requests() -> None:
    """Generation parameters that are equal but written differently (1 and 1.0) keep their own keys."""
    requests = [
        REQUEST,
        replace(REQUEST, generation=GenerationParams(max_new_tokens=16, temperature=1)),
        replace(REQUEST, generation=GenerationParams(max_new_tokens=16, temperature=1.0)),
        replace(REQUEST, continuation="a cat"),
    ]
    keys = request_keys(IDENTITY, requests)
    assert keys == [request_key(IDENTITY, request) for request in requests]
    assert len(set(keys)) == 4


def test_store_and_fetch_answers_but_never_errors(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many(
        IDENTITY,
        [
            ("k1", Response("q", "an answer", prompt_tokens=5, completion_tokens=2)),
            ("k2", Response("q", "", error="out of memory")),
        ],
    )
    found = cache.get_many(["k1", "k2", "k3"])
    assert set(found) == {"k1"}
    assert found["k1"].text == "an answer" and found["k1"].completion_tokens == 2
    cache.put_many(IDENTITY, [("k1", Response("q", "an answer"))])
    assert cache.write_counts() == {"k1": 2}
    other = replace(IDENTITY, model_id="other")
    cache.put_many(other, [("k9", Response("q", "x"))])
    assert cache.stats().models == {"m": 1, "other": 1}
    assert cache.clear("other") == 1
    assert cache.stats().entries == 1


def test_the_cache_says_whether_it_holds_answers_of_exactly_this_model(tmp_path: Path) -> None:
    """What decides whether a run's worker processes start before its data is read."""
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert not cache.holds_answers_of(IDENTITY)
    cache.put_many(IDENTITY, [("k1", Response("q", "an answer"))])
    assert cache.holds_answers_of(IDENTITY)
    assert not cache.holds_answers_of(replace(IDENTITY, revision="retrained"))
    assert not cache.holds_answers_of(replace(IDENTITY, model_id="other"))


class CountingAdapter:
    """Answers with the request's text; counts how often the model was asked."""

    streaming = False

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, requests: list[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        self.calls += len(requests)
        responses = [Response(r.request_id, r.prompt_text.upper()) for r in requests]
        if on_batch is not None:
            on_batch(list(range(len(requests))), responses)
        return responses

    def close(self) -> None:
        """Nothing to release."""


def test_cached_generation_loads_the_model_only_on_a_miss(tmp_path: Path) -> None:
    adapter = CountingAdapter()
    loads = []

    def load() -> CountingAdapter:
        loads.append(1)
        return adapter

    requests = [
        replace(REQUEST, request_id=f"q{i}", messages=(Message("user", (TextPart(f"t{i}"),)),))
        for i in range(5)
    ]
    first = CachedGeneration(load, IDENTITY, ResponseCache(tmp_path / "c.sqlite"))
    assert [r.text for r in first.generate(requests[:3])] == ["USER: T0", "USER: T1", "USER: T2"]
    second = CachedGeneration(load, IDENTITY, ResponseCache(tmp_path / "c.sqlite"))
    assert [r.request_id for r in second.generate(requests[:3])] == ["q0", "q1", "q2"]
    assert second.adapter is None and len(loads) == 1
    assert [r.text for r in second.generate(requests)] == [f"USER: T{i}" for i in range(5)]
    assert adapter.calls == 5 and second.generated == 2 and second.from_cache == 6


class LoglikelihoodAdapter(CountingAdapter):
    """Log-likelihood: minus the length of the continuation."""

    def loglikelihood(self, requests: list[Request]) -> list[float]:
        self.calls += len(requests)
        return [-float(len(r.continuation or "")) for r in requests]


def test_without_a_cache_every_request_is_asked_in_order() -> None:
    adapter = LoglikelihoodAdapter()
    requests = [
        replace(
            REQUEST,
            request_id=f"q{i}",
            messages=(Message("user", (TextPart(f"t{i}"),)),),
            continuation="x" * i,
        )
        for i in range(4)
    ]
    generation = CachedGeneration(lambda: adapter, IDENTITY, None)
    assert [r.text for r in generation.generate(requests)] == [f"USER: T{i}" for i in range(4)]
    assert generation.loglikelihood(requests) == [0.0, -1.0, -2.0, -3.0]
    assert adapter.calls == 8 and generation.generated == 8 and generation.from_cache == 0


class ToldAheadAdapter(CountingAdapter):
    """Records each call and what it was told to expect next."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, list[str]]] = []

    def expect(self, requests: list[Request]) -> None:
        self.events.append(("expect", [r.request_id for r in requests]))

    def generate(self, requests: list[Request], on_batch: BatchCallback | None = None) -> list[Response]:
        self.events.append(("generate", [r.request_id for r in requests]))
        return super().generate(requests, on_batch)


def test_a_batch_adapter_is_told_each_window_before_the_one_ahead_of_it(tmp_path: Path) -> None:
    adapter = ToldAheadAdapter()
    cache = ResponseCache(tmp_path / "c.sqlite")
    requests = [
        replace(REQUEST, request_id=f"q{i}", messages=(Message("user", (TextPart(f"t{i}"),)),))
        for i in range(5)
    ]
    CachedGeneration(lambda: adapter, IDENTITY, cache).generate(requests[1:2])
    adapter.events.clear()
    CachedGeneration(lambda: adapter, IDENTITY, cache).stream(
        requests, lambda positions, batch: None, window=2
    )
    assert adapter.events == [  # q1 came from the cache
        ("expect", ["q3", "q4"]),
        ("generate", ["q0", "q2"]),
        ("generate", ["q3", "q4"]),
    ]


@pytest.mark.slow
def test_cache_commands_and_no_cache(tmp_path: Path, tv_eval_cache: Path) -> None:
    cache = tmp_path / "cache"
    args = [
        *TINY_ALM_RUN,
        "--sample",
        "--limit",
        "6",
        "--cache-dir",
        str(cache),
    ]
    assert run_cli([*args, "--output-dir", str(tmp_path / "a")], tv_eval_cache).returncode == 0
    info = run_cli(["cache", "info", "--cache-dir", str(cache)], tv_eval_cache)
    assert "6 responses" in info.stdout and "tiny-random" in info.stdout
    uncached = run_cli([*args, "--output-dir", str(tmp_path / "b"), "--no-cache"], tv_eval_cache)
    assert "6 generated, 0 from cache" in " ".join(uncached.stdout.split())
    (run_dir,) = (tmp_path / "b").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["cache"] is None
    cleared = run_cli(["cache", "clear", "--model", "tiny-random", "--cache-dir", str(cache)], tv_eval_cache)
    assert "removed 6 cached responses of tiny-random" in cleared.stdout
    assert "0 responses" in run_cli(["cache", "info", "--cache-dir", str(cache)], tv_eval_cache).stdout


def test_every_cache_lives_under_the_one_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tv_eval.core.content_digest import DIGEST_FILE, DigestCache
    from tv_eval.judge.cache import default_judge_cache_path
    from tv_eval.scoring.comet_env import env_path

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert cache_root() == tmp_path
    assert default_judge_cache_path().parent == tmp_path
    assert env_path().parent.parent == tmp_path
    DigestCache().close()
    assert (tmp_path / DIGEST_FILE).is_file()


@pytest.mark.parametrize("cache_class", [ResponseCache, JudgeCache])
def test_both_caches_report_an_unusable_file_as_cache_error(cache_class: type, tmp_path: Path) -> None:
    not_a_database = tmp_path / "cache.sqlite"
    not_a_database.write_text("plain text, not SQLite")
    with pytest.raises(CacheError, match="cache"):
        cache_class(not_a_database)


def test_judge_cache_round_trips_an_answer(tmp_path: Path) -> None:
    cache = JudgeCache(tmp_path / "judge.sqlite")
    cache.put("k", "tiny_random:tiny-random", CachedAnswer("yes", 3, 1))
    assert (cache.get("k"), cache.get("other"), len(cache)) == (CachedAnswer("yes", 3, 1), None, 1)
    cache.close()


def test_empty_answers_are_never_stored_nor_served(tmp_path: Path) -> None:
    """An empty row an older tv-eval stored is a miss, and an old file gains the replaced-count column."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, identity TEXT NOT NULL,"
            " text TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, created REAL NOT NULL,"
            " writes INTEGER NOT NULL DEFAULT 1)"
        )
        connection.executemany(
            "INSERT INTO responses (key, model, identity, text, created) VALUES (?, 'm', '{}', ?, 0)",
            [("empty", ""), ("blank", " \n"), ("kept", "an answer")],
        )
    cache = ResponseCache(path)
    assert set(cache.get_many(["empty", "blank", "kept"])) == {"kept"}
    cache.put_many(
        IDENTITY,
        [("new-empty", Response("q", "")), ("cleaned", Response("q", "a\ufffd", replaced_code_points=1))],
    )
    found = cache.get_many(["new-empty", "cleaned"])
    assert set(found) == {"cleaned"} and found["cleaned"].replaced_code_points == 1
    assert (
        ResponseCache(path).get_many(["cleaned"])["cleaned"].replaced_code_points == 1
    )  # reopened: no second upgrade
