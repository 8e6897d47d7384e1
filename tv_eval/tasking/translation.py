"""What translation tasks share: the prompt (the paper's by default, a user's with `--task-option
NAME.prompt`) and the metric suite chosen with `--task-option NAME.metrics=...`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tv_eval.core.types import Sample
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
    """Mixed into a task before its base: corpus metrics (sacrebleu) and COMET batch scorers from the
    `metrics` options, with the config's `default_metrics` (`sample_metrics` for the offline sample)."""

    name: str
    config: TaskConfig
    options: dict[str, Any]
    primary_metric: str
    selection: MetricSelection | None = None
    _scorers: list[BatchScorer] | None = None

    def configure_metrics(self, options: Mapping[str, Any]) -> None:
        """Check the metric options now, so a typo fails before any data loads."""
        MetricSelection.from_options(options, self.config["default_metrics"])
        if "metrics" in options:
            self.select_metrics(sample=False)

    def select_metrics(self, sample: bool) -> MetricSelection:
        default = self.config["sample_metrics" if sample else "default_metrics"]
        self.selection = MetricSelection.from_options(self.options, default)
        self.primary_metric = self.selection.primary()
        return self.selection

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        from tv_eval.scoring.sacrebleu_metrics import SacrebleuMetric

        selection = self.selection or self.select_metrics(sample=False)
        return [SacrebleuMetric(name, selection.bleu_tokenizer) for name in selection.lexical]

    def batch_scorers(self, scoring: str) -> Sequence[BatchScorer]:
        from tv_eval.scoring.comet_scoring import CometScorer

        if self._scorers is None:
            selection = self.selection or self.select_metrics(sample=False)
            self._scorers = [
                CometScorer(name, selection.models[name], selection.comet_batch_size, task=self.name)
                for name in selection.neural
            ]
        return self._scorers
