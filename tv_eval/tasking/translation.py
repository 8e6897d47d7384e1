"""What translation tasks share: the prompt (the paper's by default, a user's with `--task-option
NAME.prompt`) and the metric suite chosen with `--task-option NAME.metrics=...`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tv_eval.core.metrics import MetricSpec, check_specs, segment_metric
from tv_eval.core.task import DataSource
from tv_eval.core.types import Sample
from tv_eval.scoring.sacrebleu_metrics import SacrebleuMetric, corpus_spec
from tv_eval.scoring.translation import (
    DEFAULT_PROMPT,
    MetricSelection,
    check_prompt_template,
    translation_prompt,
)

if TYPE_CHECKING:
    from tv_eval.scoring.batch_scoring import BatchScorer
    from tv_eval.scoring.corpus_metrics import CorpusMetric
    from tv_eval.tasking.config import TaskConfig

PROMPT_OPTION = {
    "prompt": "prompt template with {source} and optionally {target_language}, {source_language}"
}


class TranslationPrompt:
    """Mixed into a task before its base: `{source}` is the sample's text, the target its language."""

    template: str = DEFAULT_PROMPT

    def configure_prompt(self, options: Mapping[str, Any]) -> None:
        self.template = check_prompt_template(options.get("prompt", DEFAULT_PROMPT))

    def prompt_templates(self) -> Mapping[str, str]:
        return {"translate": self.template}

    def prompt(self, sample: Sample, scoring: str) -> str:
        return translation_prompt(self.template, sample.text, sample.language)


class TranslationMetrics:
    """Mixed into a task before its base: the metric suite from the `metrics` options, with the config's
    `default_metrics` (`sample_metrics` for the offline sample); chosen at configure time, from the
    options and the source alone, so loading data never changes what the numbers mean."""

    name: str
    config: TaskConfig
    options: dict[str, Any]
    _selection: MetricSelection | None = None
    _scorers: list[BatchScorer] | None = None

    def configure_metrics(self, options: Mapping[str, Any], source: DataSource | None) -> None:
        key = "sample_metrics" if source is not None and source.use_sample else "default_metrics"
        self._selection = MetricSelection.from_options(options, self.config[key])
        self._scorers = None

    @property
    def selection(self) -> MetricSelection:
        if self._selection is None:
            self._selection = MetricSelection.from_options(self.options, self.config["default_metrics"])
        return self._selection

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        primary = self.selection.primary()
        specs = [
            corpus_spec(name, self.selection.bleu_tokenizer, primary=name == primary)
            if name in self.selection.lexical
            else segment_metric(name, primary=name == primary, description=f"{name} segment score (COMET)")
            for name in self.selection.metrics
        ]
        return check_specs(specs, self.name)

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        return [SacrebleuMetric(name, self.selection.bleu_tokenizer) for name in self.selection.lexical]

    def batch_scorers(self, scoring: str) -> Sequence[BatchScorer]:
        from tv_eval.scoring.comet_scoring import CometScorer

        if self._scorers is None:
            selection = self.selection
            self._scorers = [
                CometScorer(name, selection.models[name], selection.comet_batch_size, task=self.name)
                for name in selection.neural
            ]
        return self._scorers
