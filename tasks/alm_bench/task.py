"""ALM-Bench: culturally diverse VQA in 100 languages (MBZUAI/ALM-Bench, split `test`).

Scoring modes (see README.md beside this file):
- `robust` (default): multiple-choice and true/false scored by extracting the chosen option or
  polarity from free text; short and long answers scored by the judge (ALM-Bench's GPTScoring.py
  prompts, 0-10), and left `needs_judge` when no judge is given.
- `official`: the ALM-Bench authors' protocol: their inference prompts and generation length
  (qwen2hf.py), every question type scored by the judge with GPTScoring.py's prompt for its type.
- `paper`: the TowerVision paper's protocol (the fork's `alm_bench` task): its prompt, strict exact
  match of the stripped prediction against the answer as its regex reads it; a reference the regex
  cannot read scores 0 and is counted (`unparsed_reference`).

Every scored sample carries `score` in [0, 1] (a judge's x/10, or 1/0 for a matched/unmatched
closed answer): the ALM-Bench total is its mean over all questions of all four types, each question
weighing the same, as GPTScoring.py scores every question on the same 0-10 scale; `by_question_type`
keeps the per-type breakdown. Closed answers scored by extraction also carry `accuracy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tasks.alm_bench.answers import (
    RAW_ANSWER,
    RAW_QUESTION,
    answer_fields,
    authors_ground_truth,
    authors_options_line,
    fork_prompt,
    fork_reference,
    robust_mcq,
)
from tasks.alm_bench.pivot import PIVOT_OPTION, pivot_fields, pivot_pairs_requested, with_pivots
from tasks.alm_bench.sources import DATA_OPTION, DataChoice, data_choice
from tv_eval.api import (
    UNKNOWN_LANGUAGE,
    DataPart,
    DataSource,
    GenerativeTask,
    JudgePrompt,
    JudgeProtocol,
    LoadedTask,
    MetricKind,
    MetricSpec,
    Request,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    TruthWords,
    UnknownLanguageError,
    check_specs,
    extract_choice,
    extract_truth,
    language_from_name,
    normalize_answer,
    normalize_language,
    read_task_config,
    segment_metric,
)

if TYPE_CHECKING:
    from tv_eval.api import TierMap

HERE = Path(__file__).parent
UNPARSED = "unparsed_reference"


class AlmBenchTask(GenerativeTask):
    name = "alm_bench"
    description = "ALM-Bench: cultural VQA in 100 languages (MCQ, true/false, short, long)"
    config_path = HERE / "config.yaml"
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL, ScoringMode.PAPER)
    answer_language_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL, ScoringMode.PAPER)
    metrics = (
        segment_metric("accuracy", description="exact answer for closed questions; open ones are judged"),
        segment_metric(
            "score", primary=True, description="accuracy for closed questions, judge score / 10 for open ones"
        ),
    )
    breakdowns = ("category", "question_type")
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "MCQ and true/false by answer extraction; short/long by the judge (GPTScoring.py, 0-10)",
        "official": "ALM-Bench authors: qwen2hf.py prompts, 2048 tokens; "
        "GPTScoring.py judge 0-10 for every type",
        "paper": "TowerVision fork (deep-spin/lmms-eval alm_bench): its prompt, strict exact match; "
        "unparseable references score 0 (counted as unparsed_reference)",
    }
    option_help: ClassVar[Mapping[str, str]] = {
        DATA_OPTION: "alm-bench (MBZUAI/ALM-Bench, default), lang-split or mcq-subset "
        "(the TowerVision fork's data)",
        PIVOT_OPTION: "true: also ask each item in English on the same image, for paired transfer "
        "(`tv-eval transfer`); default false",
    }
    default_data: ClassVar[str | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.use_sample = False
        self.pivot_pairs = False

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        super().configure(options, source)
        self.data = data_choice(self.config, options, self.default_data or self.config["default_data"])
        self.pivot_pairs = pivot_pairs_requested(options, self.data.name)

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        """The bundled sample of the fork's layout holds only some of its splits (`sample_splits`);
        with `pivot_pairs`, each item is followed by its English twin (pivot.py)."""
        self.use_sample = source.use_sample
        loaded = super().load(source, tier_map)
        if not self.pivot_pairs:
            return loaded
        return replace(loaded, samples=with_pivots(loaded.samples, tier_map))

    @cached_property
    def data(self) -> DataChoice:
        return data_choice(self.config, {}, self.default_data or self.config["default_data"])

    @property
    def dataset_id(self) -> str:
        return self.data.dataset_id

    @property
    def sample_dir(self) -> Path:
        """The bundled sample: ALM-Bench's layout, or the fork's per-language splits."""
        return HERE / ("sample_lang_split" if self.data.language_from_split else "sample")

    def parts(self) -> Sequence[DataPart]:
        splits = self.data.sample_splits if self.use_sample else self.data.splits
        return [DataPart(split=split) for split in splits]

    def required_columns(self, part: DataPart) -> list[str]:
        columns = self.config.columns()
        roles = columns if self.data.all_columns else self.config["fork_columns"]
        return [columns[role] for role in roles]

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        given = row.get(self.config.columns()["id"])
        own = str(given) if given is not None else str(position)
        return f"{part.split}/{own}" if self.data.language_from_split else own

    def mode_templates(self, scoring: str) -> Mapping[str, str]:
        """`paper`: the fork's pre-prompt for the data; `official`: the authors' MCQ prompt."""
        if scoring == ScoringMode.PAPER:
            return {"paper_pre_prompt": str(self._paper_setting("pre_prompt"))}
        if scoring == ScoringMode.OFFICIAL:
            return {"official_mcq": str(self.config.value("official", "mcq"))}
        return {}

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        if scoring != ScoringMode.PAPER:
            return super().metric_specs(scoring)
        unparsed = MetricSpec(
            UNPARSED,
            MetricKind.SEGMENT,
            higher_is_better=False,
            description="share of items whose reference the fork's regex cannot read (scored 0)",
        )
        return check_specs((*self.metrics, unparsed), self.name)

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
        language_name = row.part.split if self.data.language_from_split else str(_cell(row, "language") or "")
        try:
            language = self.language_code(language_name)
        except UnknownLanguageError:
            language = UNKNOWN_LANGUAGE
            row.error(f"unknown language name {language_name!r}")
        image = row.image()
        given_type = _cell(row, "question_type")
        question_type = self.question_type_slug(str(given_type)) if given_type is not None else "mcq"
        raw_answer, raw_question = str(_cell(row, "answer") or ""), str(_cell(row, "question") or "")
        reference, choices = answer_fields(question_type, raw_answer)
        if not raw_question.strip():
            row.error("empty question")
        english = (str(_cell(row, "english_question") or ""), str(_cell(row, "english_answer") or ""))
        paired = pivot_fields(row.sample_id, *english) if self.pivot_pairs else {}
        return row.sample(
            language,
            category=str(_cell(row, "category") or "") or None,
            question_type=question_type,
            choices=choices,
            image=image,
            text=raw_question.strip(),
            reference=reference,
            metadata={
                "language_name": language_name,
                "english_answer": str(_cell(row, "english_answer") or "").strip(),
                RAW_QUESTION: raw_question,
                RAW_ANSWER: raw_answer,
                **paired,
            },
        )

    def sample_error(self, sample: Sample, scoring: str) -> str | None:
        """Robust and official: a multiple-choice item the robust reader cannot read unambiguously
        (no option list, two option groups, an answer that is not an option) fails with its reason.
        Paper: the fork scores every item (unreadable references score 0), so only load errors fail."""
        if sample.load_error or scoring == ScoringMode.PAPER or sample.question_type != "mcq":
            return sample.load_error
        parsed = robust_mcq(str(sample.metadata.get(RAW_ANSWER, sample.reference)))
        return parsed if isinstance(parsed, str) else None

    def needs_model(self, sample: Sample, scoring: str) -> bool:
        return scoring != ScoringMode.PAPER or not self.data.paper_mcq_only or sample.question_type == "mcq"

    def prompt(self, sample: Sample, scoring: str) -> str:
        raw_question = str(sample.metadata.get(RAW_QUESTION, sample.text))
        raw_answer = str(sample.metadata.get(RAW_ANSWER, sample.reference))
        if scoring == ScoringMode.PAPER:
            return fork_prompt(str(self._paper_setting("pre_prompt")), raw_question, raw_answer)
        if scoring == ScoringMode.OFFICIAL and sample.question_type == "mcq":
            return str(self.config.value("official", "mcq")).format(
                question=raw_question, options_line=authors_options_line(raw_answer)
            )
        return self.template(sample.question_type or "short").format(
            question=raw_question if scoring == ScoringMode.OFFICIAL else sample.text,
            options="\n".join(sample.choices),
            language=sample.metadata.get("language_name", sample.language),
        )

    def _paper_setting(self, key: str) -> Any:
        return self.config.value("paper", self.data.paper_variant, key)

    def build_request(self, sample: Sample, scoring: str) -> Request:
        """The base request with the mode's generation limit: the fork's (128, or 16 for its MCQ
        subset), the authors' 2048 for every type, or robust's per-type limits."""
        request = super().build_request(sample, scoring)
        if scoring == ScoringMode.PAPER:
            limit = int(self._paper_setting("max_new_tokens"))
        elif scoring == ScoringMode.OFFICIAL:
            limit = int(self.config.value("official", "max_new_tokens"))
        else:
            return request
        return replace(request, generation=replace(request.generation, max_new_tokens=limit))

    def judged(self, sample: Sample, scoring: str) -> bool:
        return scoring == ScoringMode.OFFICIAL or (
            scoring == ScoringMode.ROBUST and sample.question_type not in ("mcq", "true_false")
        )

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return None if scoring == ScoringMode.PAPER else super().judge_protocol(scoring)

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        templates = self.config.value("judge", "prompts")
        template = templates.get(sample.question_type or "short", templates["short"])
        question, ground_truth = sample.text, sample.reference
        if scoring == ScoringMode.OFFICIAL:
            question = str(sample.metadata.get(RAW_QUESTION, sample.text))
            ground_truth = str(sample.metadata.get(RAW_ANSWER, sample.reference))
            if sample.question_type == "mcq":
                ground_truth = authors_ground_truth(ground_truth)
        return JudgePrompt(
            user=template.format(question=question, ground_truth=ground_truth, prediction=prediction)
        )

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring == ScoringMode.PAPER:
            return _fork_exact_match(sample, prediction)
        if sample.question_type == "true_false":
            return _score_true_false(sample, prediction)
        index = extract_choice(prediction, sample.choices, language=sample.language)
        extracted = sample.choices[index] if index is not None else None
        matched = extracted is not None and normalize_answer(extracted) == normalize_answer(sample.reference)
        return _closed(matched, extracted)


class AlmBenchPaperTask(AlmBenchTask):
    """The TowerVision paper's ALM-Bench as its code ran it: the fork's per-language data by default
    (`alm_bench_paper.data=mcq-subset` for its single-task subset), scored under `paper` only."""

    name = "alm_bench_paper"
    description = (
        "ALM-Bench as the TowerVision paper evaluates it (deep-spin/lmms-eval alm_bench, exact match)"
    )
    scoring_modes = (ScoringMode.PAPER,)
    default_scoring = ScoringMode.PAPER
    option_help: ClassVar[Mapping[str, str]] = {
        DATA_OPTION: "lang-split (the fork's 9 per-language splits, default), mcq-subset or alm-bench"
    }
    default_data = "lang-split"


def _cell(row: RowReader, role: str) -> Any:
    """A cell by role, None where the data has no such column (the fork's copies need only three)."""
    return row.row.get(row.columns[role])


def _closed(correct: bool, extracted: str | None, **extra: float) -> Score:
    """A closed answer's verdict: accuracy, and the same value as its share of the ALM-Bench score."""
    scores = {"accuracy": float(correct), "score": float(correct), **extra}
    return Score(SampleStatus.SCORED, scores, extracted)


def _fork_exact_match(sample: Sample, prediction: str) -> Score:
    """lmms-eval strips the generation and the fork compares it to its regex's reading of the answer;
    an answer the regex cannot read never matches (its target is None) and stays in the denominator."""
    target = fork_reference(str(sample.metadata.get(RAW_ANSWER, sample.reference))).target
    verdict = _closed(target is not None and prediction.strip() == target, prediction.strip())
    return replace(
        verdict,
        scores={**verdict.scores, UNPARSED: float(target is None)},
        details={"paper_target": target},
    )


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
