"""What translation tasks share: the prompt, hypotheses, and the metric suite.

Multi30K and CoMMuTE ask the same question ("translate this English text, the image is context") and
translation tasks choose their metrics the same way, so both live here rather than in either task.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tv_eval.core.task import TaskConfigError
from tv_eval.data.languages import language_info

# The TowerVision paper's evaluation prompt (deep-spin/lmms-eval, tasks/multi30k/multi30k-*.yaml and
# tasks/commute/commute-*.yaml: "Translate the following source text from English to German:\n{source}").
DEFAULT_PROMPT = "Translate the following source text from English to {target_language}:\n{source}"
PROMPT_FIELDS = frozenset({"source", "target_language", "source_language"})

LEXICAL_METRICS = ("bleu", "chrf", "chrf++")
COMET_METRICS = ("xcomet", "comet", "cometkiwi")
METRIC_OPTIONS = {
    "metrics": "comma-separated metrics: bleu, chrf, chrf++, xcomet, comet, cometkiwi",
    "xcomet_model": "xCOMET checkpoint: Hub id, folder, .ckpt or tiny-random (default Unbabel/XCOMET-XL)",
    "comet_model": "COMET-22 checkpoint (default Unbabel/wmt22-comet-da)",
    "cometkiwi_model": "CometKiwi checkpoint (default Unbabel/wmt22-cometkiwi-da)",
    "comet_batch_size": "segments per COMET batch (default 16)",
    "bleu_tokenizer": "one BLEU tokenizer for all languages (default: 13a, zh, ja-mecab, ko-mecab by target)",
}


def language_name(code: str) -> str:
    """English name of a target language as the prompt says it ('de' -> 'German')."""
    return language_info(code).name


def check_prompt_template(template: str) -> str:
    """A user's template must name {source} and may use only the known fields."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise TaskConfigError(f"prompt template is not a valid format string: {error}") from error
    unknown = fields - PROMPT_FIELDS
    if unknown or "source" not in fields:
        raise TaskConfigError(
            f"prompt template must contain {{source}} and may use {', '.join(sorted(PROMPT_FIELDS))}; "
            f"got {', '.join(sorted(fields)) or 'no fields'}"
        )
    return template


def translation_prompt(template: str, source: str, target_language: str) -> str:
    """The rendered prompt: the task's template with the source text and the languages' English names."""
    return template.format(
        source=source, target_language=language_name(target_language), source_language="English"
    )


def clean_hypothesis(prediction: str) -> str:
    """One line per segment, as sacrebleu's files and COMET expect: whitespace runs become one space."""
    return " ".join(prediction.split())


def parse_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class MetricSelection:
    """The metric suite a translation task computes, from its options."""

    metrics: tuple[str, ...]
    models: Mapping[str, str | None]
    comet_batch_size: int
    bleu_tokenizer: str | None

    @classmethod
    def from_options(cls, options: Mapping[str, str], default: Sequence[str]) -> MetricSelection:
        metrics = tuple(parse_list(options["metrics"])) if "metrics" in options else tuple(default)
        unknown = [name for name in metrics if name not in (*LEXICAL_METRICS, *COMET_METRICS)]
        if unknown or not metrics:
            raise TaskConfigError(
                f"unknown metric(s) {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join((*LEXICAL_METRICS, *COMET_METRICS))}"
            )
        batch = options.get("comet_batch_size", "16")
        if not batch.isdigit() or int(batch) < 1:
            raise TaskConfigError(f"comet_batch_size must be a positive integer, got {batch!r}")
        return cls(
            metrics=metrics,
            models={name: options.get(f"{name}_model") for name in COMET_METRICS},
            comet_batch_size=int(batch),
            bleu_tokenizer=options.get("bleu_tokenizer"),
        )

    @property
    def lexical(self) -> list[str]:
        return [name for name in self.metrics if name in LEXICAL_METRICS]

    @property
    def neural(self) -> list[str]:
        return [name for name in self.metrics if name in COMET_METRICS]

    def primary(self) -> str:
        """The headline metric: the paper's xCOMET when selected, else the first one chosen."""
        return "xcomet" if "xcomet" in self.metrics else self.metrics[0]
