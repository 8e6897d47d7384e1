"""CoMMuTE: does the image help the model choose the right translation of an ambiguous sentence?

Each item is an ambiguous English sentence, an image that resolves the ambiguity, and a correct and
an incorrect translation (`Unbabel/commute_multimodal_mt`, one split per target language). Two rules:

- `official` (default), CoMMuTE's own (MatthieuFP/CoMMuTE `evaluate.py`: correct when the correct
  translation's perplexity is strictly lower): each translation is the answer to the translation prompt
  with the image, its perplexity exp(-mean token log-probability);
- `paper`, the TowerVision fork's (deep-spin/lmms-eval, `lmms_eval/tasks/commute/utils.py` and
  `models/llava_hf.py`): the translation is appended to the prompt inside the user turn, the scored
  continuation is the literal `answer` (the YAML's `doc_to_target`), the value is llava_hf's mean token
  loss, and the item is correct when the correct translation's loss is strictly lower.

A tie is wrong under both (a strict `<` in both references) and is reported as the `tie` metric. Every
English sentence appears with two images, so its items share a bootstrap cluster, across languages too.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from tv_eval.api import (
    PROMPT_OPTION,
    ContinuationMeasure,
    DataPart,
    DataSource,
    LoglikelihoodTask,
    MetricKind,
    MetricSpec,
    Request,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    TaskConfigError,
    TranslationPrompt,
    normalize_language,
    parse_list,
    segment_metric,
)

CONTINUATIONS = ("correct", "incorrect")
# The fork's YAML: `doc_to_target: "answer"` names no column, so lmms-eval scores this literal string.
PAPER_CONTINUATION = "answer"
SPLITS_OPTION = {"splits": "comma-separated target languages (default: the original release's six)"}


class CommuteTask(TranslationPrompt, LoglikelihoodTask):
    name = "commute"
    description = "CoMMuTE: contrastive multimodal translation of ambiguous English (6 target languages)"
    config_path = Path(__file__).parent / "config.yaml"
    scoring_modes = (ScoringMode.OFFICIAL, ScoringMode.PAPER)
    default_scoring = ScoringMode.OFFICIAL
    metrics = (
        segment_metric("accuracy", primary=True, description="correct translation preferred (strictly)"),
        MetricSpec(
            "tie", MetricKind.SEGMENT, higher_is_better=False, description="both values equal (counted wrong)"
        ),
    )
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "official": "CoMMuTE's evaluate.py: correct when perplexity(correct) < perplexity(incorrect)",
        "paper": "TowerVision fork: translation in the user turn, loss of the literal 'answer', lower wins",
    }
    option_help: ClassVar[Mapping[str, str]] = {**PROMPT_OPTION, **SPLITS_OPTION}

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        super().configure(options, source)
        self.configure_prompt(options)
        available = [str(split) for split in self.config["available_splits"]]
        unknown = sorted(set(self.splits()) - set(available))
        if unknown:
            raise TaskConfigError(
                f"task commute has no split {', '.join(unknown)}; it has {', '.join(available)}"
            )

    def splits(self) -> list[str]:
        """The `splits` option, else the config's (Spanish is left out: see config.yaml)."""
        chosen = self.options.get("splits")
        return parse_list(str(chosen)) if chosen else [str(split) for split in self.config["splits"]]

    def parts(self) -> Sequence[DataPart]:
        return [DataPart(split=split) for split in self.splits()]

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        return f"{part.split}:{position:05d}"

    def sample_from_row(self, row: RowReader) -> Sample:
        """Cells as the references read them (not stripped): the fork concatenates them as they are."""
        image = row.image()
        source, correct, incorrect = (str(row.cell(role) or "") for role in ("source", *CONTINUATIONS))
        if not (source.strip() and correct.strip() and incorrect.strip()):
            row.error("empty source or translation")
        elif correct == incorrect:
            row.error("correct and incorrect translations are identical")
        return row.sample(
            normalize_language(row.part.split),
            cluster_id="source:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16],
            choices=(correct, incorrect),
            image=image,
            text=source,
            reference=correct,
            metadata={"image_name": str(row.cell("image_name") or "")},
        )

    def continuations(self, sample: Sample) -> Sequence[tuple[str, str]]:
        """The correct translation first, then the incorrect one."""
        return list(zip(CONTINUATIONS, sample.choices, strict=True))

    def loglikelihood_requests(self, sample: Sample, scoring: str) -> list[Request]:
        """`official`: both translations after the same prompt, as their mean token log-probability.
        `paper`: the fork's `commute_doc_to_text`, prompt + translation with no separator, then `answer`."""
        prompt = self.prompt(sample, scoring)
        if self.scoring_mode(scoring) is ScoringMode.PAPER:
            return [
                replace(
                    self.request(f"{sample.sample_id}#{label}", sample, prompt + text, PAPER_CONTINUATION),
                    measure=ContinuationMeasure.LLAVA_HF_TURN_MEAN,
                )
                for label, text in self.continuations(sample)
            ]
        return [
            replace(
                self.request(f"{sample.sample_id}#{label}", sample, prompt, continuation=text),
                measure=ContinuationMeasure.MEAN,
            )
            for label, text in self.continuations(sample)
        ]

    def score_loglikelihoods(self, sample: Sample, values: Sequence[float], scoring: str) -> Score:
        """Lower wins in both rules: perplexity (official) or mean token loss (paper), never equal."""
        correct_value, incorrect_value = values
        if self.scoring_mode(scoring) is ScoringMode.PAPER:
            name, correct_cost, incorrect_cost = "loss", -correct_value, -incorrect_value
        else:
            name = "perplexity"
            correct_cost, incorrect_cost = perplexity(correct_value), perplexity(incorrect_value)
        chose_correct = correct_cost < incorrect_cost
        tie = correct_cost == incorrect_cost
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(chose_correct), "tie": float(tie)},
            extracted=sample.choices[0 if chose_correct else 1],
            details={f"{name}_correct": correct_cost, f"{name}_incorrect": incorrect_cost, "tie": tie},
        )


def perplexity(mean_log_probability: float) -> float:
    """exp(-mean token log-probability); infinite where the float would overflow."""
    try:
        return math.exp(-mean_log_probability)
    except OverflowError:
        return math.inf
