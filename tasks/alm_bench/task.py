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
from typing import Any, ClassVar

from tv_eval.api import (
    DataSource,
    GenerationParams,
    ImageInput,
    ImagePart,
    JudgePrompt,
    JudgeProtocol,
    LoadedTask,
    Message,
    Request,
    Sample,
    SampleStatus,
    Score,
    Task,
    TaskConfigError,
    TextPart,
    TierMap,
    TruthWords,
    UnknownLanguageError,
    extract_choice,
    extract_truth,
    image_bytes,
    language_from_name,
    language_info,
    load_split,
    normalize_answer,
    normalize_language,
    parse_answer_with_options,
    read_task_config,
    segment_metric,
)

HERE = Path(__file__).parent
UNKNOWN_LANGUAGE = "und"


class AlmBenchTask(Task):
    name = "alm_bench"
    description = "ALM-Bench: cultural VQA in 100 languages (MCQ, true/false, short, long)"
    scoring_modes = ("robust", "official", "paper")
    default_scoring = "robust"
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
    def config(self) -> dict[str, Any]:
        return read_task_config(HERE / "config.yaml")

    @cached_property
    def language_names(self) -> dict[str, str]:
        return {
            name: normalize_language(str(code))
            for name, code in read_task_config(HERE / "languages.yaml").items()
        }

    def prompt_templates(self) -> Mapping[str, str]:
        return self.config["prompts"]

    def language_code(self, name: str) -> str:
        """Code for a `Language` value: the task's table first, then langcodes' English names."""
        cleaned = name.strip()
        if cleaned in self.language_names:
            return self.language_names[cleaned]
        return language_from_name(cleaned)

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

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        dataset, identity = load_split(
            self.config["dataset_id"],
            self.config["split"],
            source,
            sample_dir=HERE / "sample",
            required_columns=self.config["columns"],
            image_columns=["file_name"],
        )
        root = (
            source.data_dir
            if source.data_dir is not None
            else (HERE / "sample" if source.use_sample else None)
        )
        samples: list[Sample] = []
        seen_ids: dict[str, int] = {}
        for row in dataset:
            sample_id = str(row["ID"])
            seen_ids[sample_id] = seen_ids.get(sample_id, 0) + 1
            if seen_ids[sample_id] > 1:
                sample_id = f"{sample_id}#{seen_ids[sample_id]}"
            samples.append(self._sample_from_row(sample_id, row, tier_map, root))
        return LoadedTask(samples=samples, dataset=identity)

    def _sample_from_row(
        self, sample_id: str, row: Mapping[str, Any], tier_map: TierMap, root: Path | None
    ) -> Sample:
        errors: list[str] = []
        language_name = str(row["Language"] or "")
        try:
            language = self.language_code(language_name)
        except UnknownLanguageError:
            language = UNKNOWN_LANGUAGE
            errors.append(f"unknown language name {language_name!r}")
        image: ImageInput | None = None
        try:
            image = ImageInput.from_bytes(image_bytes(row["file_name"], root))
        except (ValueError, OSError) as error:
            errors.append(str(error))
        question_type = self.question_type_slug(str(row["Question_Type"] or ""))
        answer = str(row["Translated_Answer"] or "").strip()
        choices: tuple[str, ...] = ()
        reference = answer
        if question_type == "mcq":
            parsed = parse_answer_with_options(answer)
            if parsed is None:
                errors.append("multiple-choice answer has no '(Options: ...)' list")
            else:
                choices, reference = parsed.options, parsed.answer
        if not str(row["Translated_Question"] or "").strip():
            errors.append("empty question")
        info = language_info(language) if language != UNKNOWN_LANGUAGE else None
        return Sample(
            sample_id=sample_id,
            task=self.name,
            language=language,
            tier=tier_map.tier_of(language),
            script=info.script if info else None,
            country=language.split("-")[1] if "-" in language and len(language.split("-")[1]) == 2 else None,
            cluster_id=image.sha256 if image else sample_id,
            category=str(row["Category"] or "") or None,
            question_type=question_type,
            choices=choices,
            image=image,
            text=str(row["Translated_Question"] or "").strip(),
            reference=reference,
            metadata={"language_name": language_name, "english_answer": str(row["English_Answer"] or "")},
            load_error="; ".join(errors) or None,
        )

    def needs_model(self, sample: Sample, scoring: str) -> bool:
        return scoring != "paper" or sample.question_type == "mcq"

    def build_request(self, sample: Sample, scoring: str) -> Request:
        question_type = sample.question_type or "short"
        template = self.config["prompts"][question_type]
        prompt = template.format(
            question=sample.text,
            options="\n".join(sample.choices),
            language=sample.metadata.get("language_name", sample.language),
        )
        content: tuple[TextPart | ImagePart, ...] = (TextPart(prompt),)
        if sample.image is not None:
            content = (ImagePart(sample.image), *content)
        return Request(
            request_id=sample.sample_id,
            messages=(Message(role="user", content=content),),
            generation=GenerationParams(max_new_tokens=int(self.config["max_new_tokens"][question_type])),
        )

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        if scoring == "paper":
            return None
        return JudgeProtocol(
            name="alm_bench_gpt_scoring",
            parser="score_out_of_10",
            templates=self.config["judge_prompts"],
            max_new_tokens=int(self.config["judge_max_new_tokens"]),
        )

    def _judged(self, sample: Sample, scoring: str) -> bool:
        return scoring == "official" or (
            scoring == "robust" and sample.question_type not in ("mcq", "true_false")
        )

    def judge_prompt(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt | None:
        if not self._judged(sample, scoring):
            return None
        templates = self.config["judge_prompts"]
        template = templates.get(sample.question_type or "short", templates["short"])
        return JudgePrompt(
            user=template.format(question=sample.text, ground_truth=sample.reference, prediction=prediction)
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring not in self.scoring_modes:
            raise TaskConfigError(f"alm_bench has no scoring mode {scoring!r}")
        if not self.needs_model(sample, scoring):
            return Score(status=SampleStatus.EXCLUDED)
        if self._judged(sample, scoring):
            return Score(status=SampleStatus.NEEDS_JUDGE)
        if sample.question_type == "mcq":
            return self._score_mcq(sample, prediction, scoring)
        if sample.question_type == "true_false":
            return self._score_true_false(sample, prediction)
        return Score(status=SampleStatus.NEEDS_JUDGE)

    @staticmethod
    def _closed(correct: bool, extracted: str | None) -> Score:
        """A closed answer's verdict: accuracy, and the same value as its share of the ALM-Bench score."""
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(correct), "score": float(correct)},
            extracted=extracted,
        )

    def _score_mcq(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring == "paper":
            return self._closed(prediction.strip() == sample.reference, prediction.strip())
        index = extract_choice(prediction, sample.choices)
        extracted = sample.choices[index] if index is not None else None
        correct = extracted is not None and normalize_answer(extracted) == normalize_answer(sample.reference)
        return self._closed(correct, extracted)

    def _score_true_false(self, sample: Sample, prediction: str) -> Score:
        reference_word = TruthWords(true=(), false=())
        expected = extract_truth(str(sample.metadata.get("english_answer", "")), "en")
        if expected is None:
            expected = extract_truth(sample.reference, sample.language)
        if expected is None:
            return Score(
                status=SampleStatus.FAILED, error="cannot tell whether the reference answer is true or false"
            )
        first_word = normalize_answer(sample.reference.split(",")[0])
        if first_word:
            reference_word = (
                TruthWords(true=(first_word,), false=()) if expected else TruthWords((), (first_word,))
            )
        predicted = extract_truth(prediction, sample.language, extra=reference_word)
        extracted = None if predicted is None else ("true" if predicted else "false")
        return self._closed(predicted == expected, extracted)
