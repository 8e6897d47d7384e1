"""ViMUL-Bench: multilingual cultural video QA in 14 languages (MBZUAI/ViMUL-Bench, split `test`).

Each video reaches the model as `video_frames` frames sampled uniformly (tv_eval.data.video; the count
comes from --video-frames, else the model alias, else this task's default), or natively where an
adapter takes video. Multiple-choice answers are scored by option extraction; open-ended answers
(short and long) by the judge with the Video-ChatGPT protocol (yes/no plus a 0-5 score). Both give
`accuracy`, whose mean over all questions is the benchmark's number ("average accuracy across all
question types"); `by_question_type` keeps mcq, short and long apart, and the judge's 0-5 rating is
kept as `judge_score`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import yaml

from tv_eval.api import (
    DatasetIdentity,
    DataSource,
    GenerationParams,
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
    VideoInput,
    VideoPart,
    check_option_names,
    dataset_file,
    extract_choice,
    language_info,
    load_split,
    normalize_answer,
    segment_metric,
    video_input,
    video_qa_prompt,
    video_qa_protocol,
)

HERE = Path(__file__).parent
LETTERS = "ABCDEFGHIJ"


class VimulBenchTask(Task):
    name = "vimul_bench"
    description = (
        "ViMUL-Bench: cultural video QA in 14 languages (MCQ by extraction, open-ended by the judge)"
    )
    scoring_modes = ("robust",)
    default_scoring = "robust"
    metrics = (
        segment_metric("accuracy", primary=True, description="MCQ choice or judge verdict yes"),
        segment_metric("judge_score", description="the judge's 0-5 score / 5 on open questions"),
    )
    breakdowns = ("category", "question_type")
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "MCQ by option extraction; open-ended by the judge (Video-ChatGPT yes/no protocol)"
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "video_frames": "frames sampled per video (default: --video-frames, else the model's, else 16)"
    }

    def __init__(self) -> None:
        self.video_frames: int | None = None

    @cached_property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((HERE / "config.yaml").read_text(encoding="utf-8"))

    @property
    def num_frames(self) -> int:
        return int(self.video_frames or self.config["default_frames"])

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        check_option_names(self.name, options, self.option_help)
        frames = options.get("video_frames")
        self.video_frames = int(frames) if frames else None

    def prompt_templates(self) -> Mapping[str, str]:
        return self.config["prompts"]

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        samples: list[Sample] = []
        identities: list[DatasetIdentity] = []
        hashes: dict[Path, str] = {}
        for language_name, language in self.config["languages"].items():
            for kind, pattern in self.config["config_names"].items():
                config_name = pattern.format(language=language_name)
                columns = self._columns(kind)
                dataset, identity = load_split(
                    self.config["dataset_id"],
                    self.config["split"],
                    source,
                    sample_dir=HERE / "sample",
                    required_columns=list(columns.values()),
                    config_name=config_name,
                )
                identities.append(identity)
                for position, row in enumerate(dataset):
                    samples.append(
                        self._sample(row, kind, config_name, position, language, source, tier_map, hashes)
                    )
        return LoadedTask(samples=samples, dataset=_combined(identities))

    def _columns(self, kind: str) -> dict[str, str]:
        columns = dict(self.config["columns"])
        columns.pop("options" if kind == "open" else "question_type")
        return columns

    def _sample(
        self,
        row: Mapping[str, Any],
        kind: str,
        config_name: str,
        position: int,
        language: str,
        source: DataSource,
        tier_map: TierMap,
        hashes: dict[Path, str],
    ) -> Sample:
        columns = self.config["columns"]
        errors: list[str] = []
        video_name = str(row[columns["video"]] or "")
        video: VideoInput | None = None
        try:
            path = dataset_file(
                self.config["dataset_id"],
                f"{self.config['video_dir']}/{video_name}",
                source,
                sample_dir=HERE / "sample",
            )
            video = video_input(path, hashes)
        except (ValueError, OSError) as error:
            errors.append(f"video: {error}")
        question = str(row[columns["question"]] or "").strip()
        if not question:
            errors.append("empty question")
        answer = str(row[columns["answer"]] or "").strip()
        choices: tuple[str, ...] = ()
        if kind == "mcq":
            choices = tuple(str(option).strip() for option in (row[columns["options"]] or []))
            if _answer_index(answer, choices) is None:
                errors.append(f"multiple-choice answer {answer!r} is neither an option nor an option letter")
            question_type = "mcq"
        else:
            question_type = str(row[columns["question_type"]] or "open").strip().lower() or "open"
        info = language_info(language)
        return Sample(
            sample_id=f"{config_name}/{row[columns['id']]}#{position}",
            task=self.name,
            language=language,
            tier=tier_map.tier_of(language),
            script=info.script,
            cluster_id=video.sha256 if video else video_name,
            category=str(row[columns["category"]] or "") or None,
            question_type=question_type,
            choices=choices,
            text=question,
            reference=answer,
            video=video,
            metadata={"video_name": video_name},
            load_error="; ".join(errors) or None,
        )

    def build_request(self, sample: Sample, scoring: str) -> Request:
        if sample.question_type == "mcq":
            options = "\n".join(f"{LETTERS[i]}. {option}" for i, option in enumerate(sample.choices))
            prompt = self.config["prompts"]["mcq"].format(question=sample.text, options=options)
        else:
            prompt = self.config["prompts"]["open"].format(question=sample.text)
        limits = self.config["max_new_tokens"]
        content: tuple[TextPart | VideoPart, ...] = (TextPart(prompt),)
        if sample.video is not None:
            content = (VideoPart(video=sample.video, num_frames=self.num_frames), *content)
        return Request(
            request_id=sample.sample_id,
            messages=(Message(role="user", content=content),),
            generation=GenerationParams(
                max_new_tokens=int(limits.get(sample.question_type or "open", limits["open"]))
            ),
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring not in self.scoring_modes:
            raise TaskConfigError(f"vimul_bench has no scoring mode {scoring!r}")
        if sample.question_type != "mcq":
            return Score(status=SampleStatus.NEEDS_JUDGE)
        expected = _answer_index(sample.reference, sample.choices)
        index = extract_choice(prediction, sample.choices)
        extracted = sample.choices[index] if index is not None else None
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(index is not None and index == expected)},
            extracted=extracted,
        )

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return video_qa_protocol()

    def judge_prompt(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt | None:
        if sample.question_type == "mcq":
            return None
        return video_qa_prompt(sample.text, sample.reference, prediction.strip())


def _answer_index(answer: str, choices: Sequence[str]) -> int | None:
    """The correct option: the answer's text among the options, else an option letter (A, B, ...)."""
    normalized = [normalize_answer(choice) for choice in choices]
    target = normalize_answer(answer)
    if target in normalized:
        return normalized.index(target)
    letter = answer.strip().rstrip(".)").lstrip("(").upper()
    if len(letter) == 1 and letter in LETTERS[: len(choices)]:
        return LETTERS.index(letter)
    return None


def _combined(identities: Sequence[DatasetIdentity]) -> DatasetIdentity:
    """One identity for the 28 configs: their fingerprints hashed together, their rows summed."""
    first = identities[0]
    fingerprint = hashlib.sha256(
        "".join(identity.fingerprint for identity in identities).encode()
    ).hexdigest()[:16]
    return DatasetIdentity(
        dataset_id=first.dataset_id,
        split=first.split,
        revision=first.revision,
        fingerprint=fingerprint,
        source=first.source,
        num_rows=sum(identity.num_rows for identity in identities),
    )
