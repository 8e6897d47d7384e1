"""The judge stage: after scoring, open answers are judged by any model adapter, and it fails closed.

Input: the scored records of each task, the tasks (which know their judge protocol and build each
judge prompt) and a judge configuration. Output: the records with judged samples scored (or marked
`judge_failed`, never scored by another metric), plus a summary for results.json: the judge's
identity, each task's prompt-template hash and parser, counts, token usage and an estimated cost.

The stage runs after the evaluated model is released, so model and judge never share memory, and
it works the same on a fresh run (`run --judge`) as on saved predictions (`score RUN_DIR --judge`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from tv_eval.core import registry
from tv_eval.core.adapter import AdapterSettings, ModelAdapter
from tv_eval.core.io import UserFileError, read_user_text
from tv_eval.core.store import is_answer_text
from tv_eval.core.task import Task
from tv_eval.core.types import (
    GenerationParams,
    Message,
    Request,
    Response,
    Sample,
    SampleStatus,
    ScoredSample,
    TextPart,
)
from tv_eval.judge.cache import (
    CachedAnswer,
    JudgeCache,
    default_judge_cache_path,
    judge_cache_key,
)
from tv_eval.judge.protocols import JudgePrompt, JudgeProtocol
from tv_eval.scoring.answer_language import language_scores

CHUNK = 256
TOKENS_PER_PRICE_UNIT = 1_000_000
EMPTY_REPLY = "the judge returned an empty reply"


class JudgeConfigError(ValueError):
    """A judge that cannot work as configured (unknown model, bad price table); exit code 2."""


@dataclass(frozen=True)
class JudgeConfig:
    """`model` is any --model spelling: an alias, hf:<path>, openai:<model>, <adapter>:<model>."""

    model: str
    batch_size: int | None = None
    device: str = "auto"
    dtype: str = "auto"
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    cache_path: Path | None = None
    use_cache: bool = True
    prices_path: Path | None = None


@dataclass(frozen=True)
class TaskToJudge:
    task: Task
    scoring: str
    samples: Sequence[Sample]


@dataclass
class _Usage:
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class _Answer:
    text: str | None
    error: str | None
    cached: bool


# configuration


def resolve_judge(config: JudgeConfig) -> tuple[registry.ModelSpec, type[ModelAdapter]]:
    """Checked before any model loads: the judge must name a known adapter and pass its preflight."""
    spec = registry.resolve_model(config.model)
    adapter_class = registry.load_adapter_class(spec.adapter)
    adapter_class.preflight(_settings(config, spec))
    return spec, adapter_class


def _settings(config: JudgeConfig, spec: registry.ModelSpec) -> AdapterSettings:
    return spec.settings(
        device=config.device,
        dtype=config.dtype,
        batch_size=config.batch_size,
        seed=config.seed,
        extra_options=config.options,
    )


@lru_cache(maxsize=1)
def _builtin_prices() -> dict[str, dict[str, float]]:
    text = (resources.files("tv_eval") / "data" / "judge_prices.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load_prices(path: Path | None) -> dict[str, dict[str, float]]:
    """The built-in price table, with a user's file (YAML or TOML: model -> {input, output}) on top."""
    prices = {model: dict(entry) for model, entry in _builtin_prices().items()}
    if path is None:
        return prices
    try:
        text = read_user_text(path, "judge price table")
        extra = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except UserFileError as error:
        raise JudgeConfigError(str(error)) from error
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise JudgeConfigError(f"cannot read judge price table {path}: {error}") from error
    if not isinstance(extra, dict):
        raise JudgeConfigError(f"judge price table {path} must map model ids to {{input, output}}")
    for model, entry in extra.items():
        if (
            not isinstance(entry, dict)
            or set(entry) != {"input", "output"}
            or not all(isinstance(value, int | float) and value >= 0 for value in entry.values())
        ):
            raise JudgeConfigError(
                f"judge price table {path}: {model!r} needs non-negative 'input' and 'output' "
                "(USD per 1M tokens)"
            )
        prices[str(model)] = {"input": float(entry["input"]), "output": float(entry["output"])}
    return prices


# the stage


def run_judge_stage(
    config: JudgeConfig,
    tasks: Sequence[TaskToJudge],
    records: Mapping[str, list[ScoredSample]],
) -> tuple[dict[str, list[ScoredSample]], dict[str, Any]]:
    """Judge every judged sample of every task; returns the new records and the judge summary."""
    spec, adapter_class = resolve_judge(config)
    prices = load_prices(config.prices_path)
    cache = JudgeCache(config.cache_path or default_judge_cache_path()) if config.use_cache else None
    adapter = adapter_class(_settings(config, spec))
    usage = _Usage()
    task_summaries: dict[str, Any] = {}
    judged_records: dict[str, list[ScoredSample]] = dict(records)
    try:
        client = _JudgeClient(adapter, cache, usage)
        for item in tasks:
            protocol = item.task.judge_protocol(item.scoring)
            if protocol is None:
                continue
            new_records, summary = _judge_task(item, protocol, records.get(item.task.name, []), client)
            judged_records[item.task.name] = new_records
            task_summaries[item.task.name] = summary
        identity = adapter.identity
    finally:
        adapter.close()
        if cache is not None:
            cache.close()
    price = prices.get(identity.model_id)
    cost = (
        (usage.prompt_tokens * price["input"] + usage.completion_tokens * price["output"])
        / TOKENS_PER_PRICE_UNIT
        if price is not None
        else None
    )
    summary = {
        "model": spec.name,
        "model_id": identity.model_id,
        "revision": identity.revision,
        "adapter": identity.adapter,
        "adapter_version": identity.adapter_version,
        "cache": str(cache.path) if cache is not None else None,
        "usage": {
            "calls": usage.calls,
            "cache_hits": usage.cache_hits,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "estimated_cost_usd": cost,
            "price_usd_per_million_tokens": price,
        },
        "tasks": task_summaries,
    }
    return judged_records, summary


def _needs_judging(record: ScoredSample) -> bool:
    """Unjudged, failed-judged, or judged before (re-judging with another judge replaces the verdict)."""
    if record.prediction is None:
        return False
    return record.status in (SampleStatus.NEEDS_JUDGE, SampleStatus.JUDGE_FAILED) or (
        record.status is SampleStatus.SCORED and record.judge_output is not None
    )


def _judge_task(
    item: TaskToJudge, protocol: JudgeProtocol, records: list[ScoredSample], client: _JudgeClient
) -> tuple[list[ScoredSample], dict[str, Any]]:
    samples = {sample.sample_id: sample for sample in item.samples}
    updated = list(records)
    jobs: list[tuple[int, JudgePrompt]] = []
    for position, record in enumerate(records):
        if not _needs_judging(record):
            continue
        sample = samples.get(record.sample_id)
        if sample is None:
            updated[position] = _judge_failed(record, "sample not found in the dataset", None)
            continue
        try:
            prompt = item.task.judge_prompt(sample, record.prediction or "", item.scoring)
        except ValueError as error:
            updated[position] = _judge_failed(record, f"judge prompt could not be built: {error}", None)
            continue
        if prompt is not None:
            jobs.append((position, prompt))
    hits_before = client.usage.cache_hits
    for start in range(0, len(jobs), CHUNK):
        chunk = jobs[start : start + CHUNK]
        answers = client.ask([prompt for _, prompt in chunk], protocol)
        for (position, _), answer in zip(chunk, answers, strict=True):
            updated[position] = _verdict(records[position], protocol, answer)
    judged = [updated[position] for position, _ in jobs]
    return updated, {
        "protocol": protocol.name,
        "parser": protocol.parser,
        "prompt_template_hash": protocol.templates_hash(),
        "judged": sum(1 for record in judged if record.status is SampleStatus.SCORED),
        "judge_failed": sum(1 for record in updated if record.status is SampleStatus.JUDGE_FAILED),
        "cache_hits": client.usage.cache_hits - hits_before,
    }


def _verdict(record: ScoredSample, protocol: JudgeProtocol, answer: _Answer) -> ScoredSample:
    if answer.text is None:
        return _judge_failed(record, f"judge call failed: {answer.error}", None)
    scores = protocol.parse(answer.text)
    if scores is None:
        return _judge_failed(record, f"judge answer could not be parsed by {protocol.parser}", answer.text)
    kept = language_scores(record.scores)
    return replace(
        record, status=SampleStatus.SCORED, scores={**kept, **scores}, error=None, judge_output=answer.text
    )


def _judge_failed(record: ScoredSample, error: str, output: str | None) -> ScoredSample:
    """Unscored by the judge; the answer-language check, which needs no judge, is kept."""
    kept = language_scores(record.scores)
    return replace(record, status=SampleStatus.JUDGE_FAILED, scores=kept, error=error, judge_output=output)


class _JudgeClient:
    """Asks the judge adapter, through the judge cache; every non-empty reply that came back is cached."""

    def __init__(self, adapter: ModelAdapter, cache: JudgeCache | None, usage: _Usage) -> None:
        self.adapter = adapter
        self.cache = cache
        self.usage = usage
        identity = adapter.identity
        self.identity = {
            "model_id": identity.model_id,
            "revision": identity.revision,
            "adapter": identity.adapter,
            "adapter_version": identity.adapter_version,
            "dtype": identity.dtype,
            "device": identity.device,
        }
        self.label = f"{identity.adapter}:{identity.model_id}"

    def ask(self, prompts: Sequence[JudgePrompt], protocol: JudgeProtocol) -> list[_Answer]:
        generation = GenerationParams(max_new_tokens=protocol.max_new_tokens, temperature=0.0)
        answers: list[_Answer | None] = [None] * len(prompts)
        pending: list[tuple[int, str, Request]] = []
        for index, prompt in enumerate(prompts):
            messages = _messages(prompt)
            key = judge_cache_key(
                self.identity,
                [{"role": message.role, "content": message.text} for message in messages],
                {"max_new_tokens": generation.max_new_tokens, "temperature": generation.temperature},
            )
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is not None:
                self.usage.cache_hits += 1
                answers[index] = _Answer(text=cached.text, error=None, cached=True)
            else:
                request = Request(request_id=f"judge-{index}", messages=messages, generation=generation)
                pending.append((index, key, request))
        if pending:
            responses = self.adapter.generate([request for _, _, request in pending])
            self.usage.calls += len(pending)
            for (index, key, _), response in zip(pending, responses, strict=True):
                answers[index] = self._received(key, response)
        return [answer for answer in answers if answer is not None]

    def _received(self, key: str, response: Response) -> _Answer:
        """A reply is cached; an error, or an empty reply (an error the API did not flag), is not."""
        self.usage.prompt_tokens += response.prompt_tokens or 0
        self.usage.completion_tokens += response.completion_tokens or 0
        if response.error is not None:
            return _Answer(text=None, error=response.error, cached=False)
        if not is_answer_text(response.text):
            return _Answer(text=None, error=EMPTY_REPLY, cached=False)
        if self.cache is not None:
            answer = CachedAnswer(response.text, response.prompt_tokens, response.completion_tokens)
            self.cache.put(key, self.label, answer)
        return _Answer(text=response.text, error=None, cached=False)


def _messages(prompt: JudgePrompt) -> tuple[Message, ...]:
    messages = []
    if prompt.system:
        messages.append(Message(role="system", content=(TextPart(prompt.system),)))
    messages.append(Message(role="user", content=(TextPart(prompt.user),)))
    return tuple(messages)


def attach_judge(results: dict[str, Any], summary: Mapping[str, Any] | None) -> dict[str, Any]:
    """results.json gains the judge's identity and usage, and each judged task its protocol block."""
    if summary is None:
        return results
    results["judge"] = {key: value for key, value in summary.items() if key != "tasks"}
    for name, block in summary["tasks"].items():
        if name in results["tasks"]:
            results["tasks"][name]["judge"] = dict(block)
    return results
