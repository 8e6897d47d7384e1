"""ALM-Bench: culturally diverse VQA in 100 languages (MBZUAI/ALM-Bench, split `test`).

Scoring modes (see README.md beside this file):
- `robust` (default): multiple-choice and true/false scored by extracting the chosen option or
  polarity from free text; short and long answers scored by the judge (ALM-Bench's GPTScoring.py
  prompts, 0-10), and left `needs_judge` when no judge is given.
- `official`: the ALM-Bench authors' protocol: every question type scored by the judge with
  GPTScoring.py's prompt for its type (multiple choice and true/false: 10 or 0).
- `paper`: the TowerVision paper's protocol: multiple-choice items only, strict exact match of
  the stripped prediction against the answer text; other items are excluded (counted).

Every scored sample carries `score` in [0, 1] (a judge's x/10, or 1/0 for a matched/unmatched
closed answer): the ALM-Bench total is its mean over all questions of all four types, each question
weighing the same, as GPTScoring.py scores every question on the same 0-10 scale; `by_question_type`
keeps the per-type breakdown. Closed answers scored by extraction also carry `accuracy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import ClassVar

from tv_eval.api import (
    UNKNOWN_LANGUAGE,
    GenerativeTask,
    JudgePrompt,
    JudgeProtocol,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    TruthWords,
    UnknownLanguageError,
    extract_choice,
    extract_truth,
    language_from_name,
    normalize_answer,
    normalize_language,
    parse_answer_with_options,
    read_task_config,
    segment_metric,
)

HERE = Path(__file__).parent


class AlmBenchTask(GenerativeTask):
    name = "alm_bench"
    description = "ALM-Bench: cultural VQA in 100 languages (MCQ, true/false, short, long)"
    config_path = HERE / "config.yaml"
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL, ScoringMode.PAPER)
    metrics = (
        segment_metric("accuracy", description="exact answer for closed questions; open ones are judged"),
        segment_metric(
            "score", primary=True, description="accuracy for closed questions, judge score / 10 for open ones"
        ),
    )
    breakdowns = ("category", "question_type")
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "MCQ and true/false by answer extraction; short/long by the judge (GPTScoring.py, 0-10)",
        "official": "ALM-Bench GPTScoring.py: every question type scored 0-10 by the judge",
        "paper": "TowerVision paper (lmms-eval): MCQ only, strict exact match",
    }

    @cached_property
    def language_names(self) -> dict[str, str]:
        table = read_task_config(HERE / "languages.yaml")
        return {name: normalize_language(str(code)) for name, code in table.items()}

    def language_code(self, name: str) -> str:
        """Code for a `Language` value: the task's table first, then langcodes' English names."""
        cleaned = name.strip()
        return self.language_names.get(cleaned) or language_from_name(cleaned)

    def question_type_slug(self, value: str) -> str:
        known = self.config["question_types"]
        if value in known:
            return known[value]
        lowered = value.strip().casefold()
        if "false" in lowered or "true" in lowered:
            return "true_false"
        if "multiple" in lowered or "choice" in lowered:
            return "mcq"
        return "long" if "long" in lowered else "short"

    def sample_from_row(self, row: RowReader) -> Sample:
        language_name = str(row.cell("language") or "")
        try:
            language = self.language_code(language_name)
        except UnknownLanguageError:
            language = UNKNOWN_LANGUAGE
            row.error(f"unknown language name {language_name!r}")
        image = row.image()
        question_type = self.question_type_slug(str(row.cell("question_type") or ""))
        reference = row.text("answer")
        choices: tuple[str, ...] = ()
        if question_type == "mcq":
            parsed = parse_answer_with_options(reference)
            if parsed is None:
                row.error("multiple-choice answer has no '(Options: ...)' list")
            else:
                choices, reference = parsed.options, parsed.answer
        if not row.text("question"):
            row.error("empty question")
        return row.sample(
            language,
            category=str(row.cell("category") or "") or None,
            question_type=question_type,
            choices=choices,
            image=image,
            text=row.text("question"),
            reference=reference,
            metadata={"language_name": language_name, "english_answer": row.text("english_answer")},
        )

    def needs_model(self, sample: Sample, scoring: str) -> bool:
        return scoring != ScoringMode.PAPER or sample.question_type == "mcq"

    def prompt(self, sample: Sample, scoring: str) -> str:
        return self.template(sample.question_type or "short").format(
            question=sample.text,
            options="\n".join(sample.choices),
            language=sample.metadata.get("language_name", sample.language),
        )

    def judged(self, sample: Sample, scoring: str) -> bool:
        return scoring == ScoringMode.OFFICIAL or (
            scoring == ScoringMode.ROBUST and sample.question_type not in ("mcq", "true_false")
        )

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return None if scoring == ScoringMode.PAPER else super().judge_protocol(scoring)

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        templates = self.config.value("judge", "prompts")
        template = templates.get(sample.question_type or "short", templates["short"])
        return JudgePrompt(
            user=template.format(question=sample.text, ground_truth=sample.reference, prediction=prediction)
        )

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if sample.question_type == "true_false":
            return _score_true_false(sample, prediction)
        if scoring == ScoringMode.PAPER:
            return _closed(prediction.strip() == sample.reference, prediction.strip())
        index = extract_choice(prediction, sample.choices)
        extracted = sample.choices[index] if index is not None else None
        matched = extracted is not None and normalize_answer(extracted) == normalize_answer(sample.reference)
        return _closed(matched, extracted)


def _closed(correct: bool, extracted: str | None) -> Score:
    """A closed answer's verdict: accuracy, and the same value as its share of the ALM-Bench score."""
    return Score(SampleStatus.SCORED, {"accuracy": float(correct), "score": float(correct)}, extracted)


def _score_true_false(sample: Sample, prediction: str) -> Score:
    expected = extract_truth(str(sample.metadata.get("english_answer", "")), "en")
    if expected is None:
        expected = extract_truth(sample.reference, sample.language)
    if expected is None:
        return Score(SampleStatus.FAILED, error="cannot tell whether the reference answer is true or false")
    first_word = normalize_answer(sample.reference.split(",")[0])
    own = (first_word,) if first_word else ()
    reference_word = TruthWords(own, ()) if expected else TruthWords((), own)
    predicted = extract_truth(prediction, sample.language, extra=reference_word)
    return _closed(predicted == expected, None if predicted is None else ("true" if predicted else "false"))
