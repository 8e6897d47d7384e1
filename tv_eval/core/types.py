"""The plain data that flows between stages: samples -> requests -> responses -> scored samples.

Every stage boundary is one of these frozen types so a stage can be re-run alone from what the
previous stage persisted. Nothing here imports torch or datasets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ImageInput:
    """Encoded image bytes plus their content hash.

    Kept encoded (not a PIL object) so the cache key is the content, decoding errors surface as
    per-sample failures inside the adapter, and requests stay cheap to hash and pickle.
    """

    data: bytes
    sha256: str

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageInput:
        return cls(data=data, sha256=hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class VideoInput:
    """A video file on local disk plus its content hash.

    Kept as a path (videos are too large to hold in memory for a whole benchmark) and decoded into
    frames only when a request is sent, inside the adapter, so a broken file fails one sample.
    """

    path: str
    sha256: str


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    image: ImageInput


@dataclass(frozen=True)
class VideoPart:
    """A video to be shown as `num_frames` uniformly sampled frames (or natively, where a backend can)."""

    video: VideoInput
    num_frames: int


ContentPart = TextPart | ImagePart | VideoPart


@dataclass(frozen=True)
class Message:
    role: str
    content: tuple[ContentPart, ...]

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def images(self) -> tuple[ImageInput, ...]:
        return tuple(part.image for part in self.content if isinstance(part, ImagePart))

    @property
    def videos(self) -> tuple[VideoPart, ...]:
        return tuple(part for part in self.content if isinstance(part, VideoPart))


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings; part of the cache key, so defaults are explicit (greedy)."""

    max_new_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


class ContinuationMeasure(str, Enum):
    """The number a log-likelihood request asks the adapter for.

    `sum`: the continuation's own tokens, appended after the generation prompt, summed log-probability.
    `mean`: the same tokens' mean log-probability (perplexity is exp(-mean); CoMMuTE's original rule).
    `llava_hf_turn_mean`: lmms-eval's `llava_hf` loglikelihood, as the TowerVision fork runs it: the
    continuation is the assistant turn of the tokenizer's chat template, the user turn is `<image>`
    placeholders, a newline and the text, and the value is the mean log-probability over the tokens
    after the first N, N being the prompt's length tokenized without its images (the negated loss).
    """

    SUM = "sum"
    MEAN = "mean"
    LLAVA_HF_TURN_MEAN = "llava_hf_turn_mean"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Request:
    """What an adapter receives: resolved chat messages and media, never a dataset row."""

    request_id: str
    messages: tuple[Message, ...]
    generation: GenerationParams = field(default_factory=GenerationParams)
    continuation: str | None = None
    measure: ContinuationMeasure = ContinuationMeasure.SUM

    @property
    def images(self) -> tuple[ImageInput, ...]:
        return tuple(image for message in self.messages for image in message.images)

    @property
    def videos(self) -> tuple[VideoPart, ...]:
        return tuple(video for message in self.messages for video in message.videos)

    @property
    def prompt_text(self) -> str:
        """The text of all messages, for records and length-sorting; media are shown as <image>/<video>."""
        rendered = []
        for message in self.messages:
            pieces = [_placeholder(part) for part in message.content]
            rendered.append(f"{message.role}: {''.join(pieces)}")
        return "\n".join(rendered)


def _placeholder(part: ContentPart) -> str:
    if isinstance(part, ImagePart):
        return "<image>"
    if isinstance(part, VideoPart):
        return "<video>"
    return part.text


@dataclass(frozen=True)
class Response:
    """An adapter's answer to one request; `error` set means the model produced nothing usable.

    `replaced_code_points` counts code points of the reply that no UTF-8 file can hold (lone
    surrogates, which a server's JSON can carry as `\\ud800`) and that were replaced by U+FFFD."""

    request_id: str
    text: str
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    replaced_code_points: int = 0

    def with_valid_text(self) -> Response:
        """This response with every lone surrogate in its text replaced by U+FFFD, and counted."""
        text, count = _LONE_SURROGATE.subn("\ufffd", self.text)
        if not count:
            return self
        return replace(self, text=text, replaced_code_points=self.replaced_code_points + count)


class SampleStatus(str, Enum):
    """`excluded`: left out by the chosen protocol (e.g. paper mode scores MCQ only), still counted.

    `needs_reference`: answered, but the data holds no reference to score it against (answers withheld
    by the benchmark's organisers); counted, never scored.

    `judge_failed`: the judge was asked and its answer failed or could not be parsed; the sample stays
    unscored (fail closed) and is counted, never scored by another metric instead.
    """

    SCORED = "scored"
    NEEDS_JUDGE = "needs_judge"
    NEEDS_REFERENCE = "needs_reference"
    FAILED = "failed"
    EXCLUDED = "excluded"
    JUDGE_FAILED = "judge_failed"


@dataclass(frozen=True)
class Sample:
    """One benchmark item. Language and tier are properties of the item, not of the task name.

    `image` is the one image of a single-image item (shown before its prompt); `images` are the images
    of an item that has several, in the order of its prompt's image slots (tv_eval.core.interleave),
    a repeated reference repeating its image. An item has one or the other, never both.
    """

    sample_id: str
    task: str
    language: str
    reference: str
    tier: str = "unknown"
    script: str | None = None
    country: str | None = None
    cluster_id: str | None = None
    category: str | None = None
    question_type: str | None = None
    choices: tuple[str, ...] = ()
    image: ImageInput | None = None
    text: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    load_error: str | None = None
    video: VideoInput | None = None
    images: tuple[ImageInput, ...] = ()


@dataclass(frozen=True)
class ScoredSample:
    """A sample's final record: what was asked, what came back and what it scored.

    `source` is the text the sample asks about (a translation's source sentence), kept so metrics that
    need it (COMET) can be recomputed from samples.jsonl; `details` holds task-specific evidence such as
    the log-likelihoods a contrastive choice was made from.
    """

    sample_id: str
    task: str
    language: str
    tier: str
    status: SampleStatus
    prompt: str
    prediction: str | None
    reference: str
    scores: Mapping[str, float] = field(default_factory=dict)
    extracted: str | None = None
    error: str | None = None
    cluster_id: str | None = None
    category: str | None = None
    question_type: str | None = None
    script: str | None = None
    country: str | None = None
    choices: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    judge_output: str | None = None
    source: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "task": self.task,
            "language": self.language,
            "tier": self.tier,
            "script": self.script,
            "country": self.country,
            "category": self.category,
            "question_type": self.question_type,
            "cluster_id": self.cluster_id,
            "status": self.status.value,
            "prompt": self.prompt,
            "prediction": self.prediction,
            "extracted": self.extracted,
            "reference": self.reference,
            "choices": list(self.choices),
            "scores": dict(self.scores),
            "error": self.error,
            "metadata": dict(self.metadata),
            "judge_output": self.judge_output,
            "source": self.source,
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> ScoredSample:
        return cls(
            sample_id=record["sample_id"],
            task=record["task"],
            language=record["language"],
            tier=record["tier"],
            status=SampleStatus(record["status"]),
            prompt=record["prompt"],
            prediction=record.get("prediction"),
            reference=record["reference"],
            scores=dict(record.get("scores") or {}),
            extracted=record.get("extracted"),
            error=record.get("error"),
            cluster_id=record.get("cluster_id"),
            category=record.get("category"),
            question_type=record.get("question_type"),
            script=record.get("script"),
            country=record.get("country"),
            choices=tuple(record.get("choices") or ()),
            metadata=dict(record.get("metadata") or {}),
            judge_output=record.get("judge_output"),
            source=record.get("source"),
            details=dict(record.get("details") or {}),
        )

    def to_sample(self) -> Sample:
        """The scoring-relevant part of the original sample (its text included, which judge prompts
        quote), so saved predictions can be re-scored and judged without the dataset or the model."""
        return Sample(
            sample_id=self.sample_id,
            task=self.task,
            language=self.language,
            reference=self.reference,
            tier=self.tier,
            script=self.script,
            country=self.country,
            cluster_id=self.cluster_id,
            category=self.category,
            question_type=self.question_type,
            choices=self.choices,
            metadata=self.metadata,
            text=self.source or "",
        )


@dataclass(frozen=True)
class MetricValue:
    """A number is never reported without its sample count and its 95% interval."""

    value: float | None
    n: int
    ci95: tuple[float, float] | None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "n": self.n, "ci95": list(self.ci95) if self.ci95 else None}


@dataclass(frozen=True)
class ModelIdentity:
    """Who answered: recorded in run.json and used (later) as part of the cache key."""

    model_id: str
    revision: str | None
    adapter: str
    adapter_version: str
    dtype: str | None = None
    device: str | None = None
