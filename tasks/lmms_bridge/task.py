"""`--tasks lmms:<task-or-group>`: an lmms-eval task run through tv-eval.

lmms-eval's own TaskManager finds and loads the task (or every task of a group) in the lmms-eval
worker, and its evaluator's request building gives each doc its prompt (doc_to_text as the context,
or doc_to_messages in chat format) with doc_to_visual's images and the task's generation kwargs.
Each doc becomes a sample (its language from a field, a mapping, or the task's name; its category the
lmms-eval task), answers are scored by the task's own filters and process_results, metrics that
lmms-eval averages become per-sample scores, and the others keep their items and are aggregated per
group by the task's own aggregation function (tv_eval/scoring/lmms_aggregation.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from tasks.lmms_bridge.languages import LanguageRule
from tasks.lmms_bridge.requests import entry_request, entry_sample, generation_params, rendered_prompt
from tv_eval.api import (
    CorpusMetric,
    DatasetIdentity,
    DataSource,
    LmmsAggregation,
    LmmsBridgeError,
    LoadContext,
    LoadedTask,
    MetricKind,
    MetricSpec,
    Request,
    Sample,
    SampleStatus,
    Score,
    Task,
    TaskConfigError,
    TierMap,
    check_option_names,
    check_specs,
    item_key,
    lmms_corpus_spec,
    segment_metric,
    shared_worker,
)

MEAN_AGGREGATION = "lmms_eval.api.metrics.mean"
FORMATS = ("chat", "simple")


class LmmsTask(Task):
    name = "lmms"
    description = "an lmms-eval task or group, loaded and scored by lmms-eval itself"
    breakdowns = ("category",)
    option_help: ClassVar[Mapping[str, str]] = {
        "include_path": "folder of extra lmms-eval task YAMLs (lmms-eval's --include_path)",
        "format": "chat (doc_to_messages, lmms-eval's default for chat models) or simple (doc_to_text)",
        "language_field": "doc field holding each doc's language (code or name)",
        "languages": "TASK:LANG,... language of each lmms-eval task",
        "language": "language of every doc",
        "primary": "the primary metric (default: the first metric of the first task)",
        "model_name": "lmms-eval model name whose prompt variants to use (lmms_eval_specific_kwargs); "
        "default: the tasks' defaults",
    }

    def __init__(self, target: str) -> None:
        self.target = target
        self.name = f"lmms:{target}"
        self.options: dict[str, Any] = {}
        self.rule = LanguageRule()
        self._described: list[dict[str, Any]] | None = None
        self._entries: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        check_option_names(self.name, options, self.option_help)
        if source is not None and (source.use_sample or source.data_dir is not None):
            raise TaskConfigError(
                f"task {self.name}: lmms-eval tasks read their own data "
                "(--sample and --data-dir do not apply)"
            )
        if options.get("format", "chat") not in FORMATS:
            raise TaskConfigError(f"task {self.name}: format must be one of {', '.join(FORMATS)}")
        include = options.get("include_path")
        if include is not None and not Path(str(include)).expanduser().is_dir():
            raise TaskConfigError(f"task {self.name}: include_path {include} is not a folder")
        self.options = dict(options)
        self.rule = LanguageRule.from_options(options)

    @property
    def include_path(self) -> str | None:
        include = self.options.get("include_path")
        return str(Path(str(include)).expanduser().resolve()) if include else None

    def described(self) -> list[dict[str, Any]]:
        """Every lmms-eval task of the target with its docs, from the worker (loaded once)."""
        if self._described is None:
            try:
                worker = shared_worker()
                self._described = worker.call(
                    "load_tasks",
                    name=self.target,
                    include_path=self.include_path,
                    chat=self.options.get("format", "chat") == "chat",
                    image_dir=str(worker.scratch / "images"),
                    model_name=self.options.get("model_name"),
                )
            except LmmsBridgeError as error:
                raise TaskConfigError(f"task {self.name}: {error}") from error
            unsupported = {item["output_type"] for item in self._described} - {"generate_until"}
            if unsupported:
                raise TaskConfigError(
                    f"task {self.name}: lmms-eval output_type {', '.join(sorted(unsupported))} "
                    "is not bridged (generate_until is)"
                )
            for item in self._described:
                for entry in item["docs"][:1]:
                    generation_params(entry["gen_kwargs"])
        return self._described

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        metrics: dict[str, dict[str, Any]] = {}
        for item in self.described():
            for metric in item["metrics"]:
                known = metrics.setdefault(metric["name"], {**metric, "task": item["task"]})
                if known["aggregation"] != metric["aggregation"]:
                    raise TaskConfigError(
                        f"task {self.name}: metric {metric['name']} is aggregated by {known['aggregation']} "
                        f"in {known['task']} and by {metric['aggregation']} in {item['task']}"
                    )
        if not metrics:
            raise TaskConfigError(f"task {self.name}: lmms-eval declares no metrics")
        primary = self.options.get("primary") or next(iter(metrics))
        if primary not in metrics:
            raise TaskConfigError(f"task {self.name}: no metric {primary!r}; it has {', '.join(metrics)}")
        return check_specs(
            [self._spec(metric, metric["name"] == primary) for metric in metrics.values()], self.name
        )

    def _spec(self, metric: dict[str, Any], primary: bool) -> MetricSpec:
        if metric["aggregation"] == MEAN_AGGREGATION:
            spec = segment_metric(
                metric["name"], primary=primary, description="lmms-eval process_results, mean"
            )
            return replace(spec, higher_is_better=metric["higher_is_better"])
        return lmms_corpus_spec(
            metric["name"],
            metric["aggregation"],
            metric["task"],
            self.include_path,
            higher_is_better=metric["higher_is_better"],
            primary=primary,
        )

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        context = LoadContext(self.name, self.target, source, tier_map, sample_dir=Path("."))
        samples: list[Sample] = []
        for item in self.described():
            for entry in item["docs"]:
                language = self.rule.language(item["task"], entry["fields"])
                sample = entry_sample(context, item["task"], entry, language)
                self._entries[sample.sample_id] = (item, entry)
                samples.append(sample)
        first = self.described()[0]
        return LoadedTask(
            samples=samples,
            dataset=DatasetIdentity(
                dataset_id=first["dataset_path"],
                split=",".join(dict.fromkeys(item["split"] for item in self.described())),
                revision=None,
                fingerprint=self._fingerprint(),
                source="lmms-eval",
                num_rows=sum(item["num_docs"] for item in self.described()),
            ),
        )

    def _fingerprint(self) -> str:
        canonical = json.dumps(
            [[item["task"], [entry["fields"] for entry in item["docs"]]] for item in self.described()],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def build_request(self, sample: Sample, scoring: str) -> Request:
        _, entry = self._entries[sample.sample_id]
        return entry_request(sample, entry)

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        lmms_task, doc_id = sample.metadata["lmms_task"], str(sample.metadata["doc_id"])
        try:
            result = shared_worker().call("score", task=lmms_task, predictions={doc_id: prediction})[doc_id]
        except LmmsBridgeError as error:
            return Score(status=SampleStatus.FAILED, error=str(error))
        specs = {spec.name: spec for spec in self.metric_specs(scoring)}
        scores: dict[str, float] = {}
        details: dict[str, Any] = {}
        for metric, value in result.items():
            spec = specs.get(metric)
            if spec is not None and spec.kind is MetricKind.SEGMENT and isinstance(value, int | float):
                scores[metric] = float(value)
            elif spec is not None:
                details[item_key(metric)] = value
        return Score(status=SampleStatus.SCORED, scores=scores, extracted=prediction.strip(), details=details)

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        return [
            LmmsAggregation(spec) for spec in self.metric_specs(scoring) if spec.kind is MetricKind.CORPUS
        ]

    def prompt_templates(self) -> Mapping[str, str]:
        """The prompts lmms-eval rendered for every doc, hashed: they are the task's templates."""
        rendered = json.dumps(
            [rendered_prompt(entry) for item in self.described() for entry in item["docs"]],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        digest = hashlib.sha256(rendered.encode("utf-8")).hexdigest()
        return {"lmms_task": self.target, "format": self.options.get("format", "chat"), "rendered": digest}
