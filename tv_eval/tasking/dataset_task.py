"""`DatasetTask` and its two kinds: what every benchmark repeated, owned once.

A benchmark declares `config_path` (its config.yaml: `dataset_id`, `split` or `splits`, a `columns`
mapping role -> column, `prompts`, `max_new_tokens`) and writes `sample_from_row` (a row, read by role,
to a sample) and `prompt`. Generative benchmarks add `score_answer` (and `judged`/`judge_input` where a
judge scores some answers); log-likelihood benchmarks add `continuations` and `score_loglikelihoods`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tv_eval.core.interleave import interleaved_content
from tv_eval.core.task import (
    DatasetIdentity,
    DataSource,
    LoadedTask,
    RequestType,
    Score,
    Task,
    TaskConfigError,
    check_option_names,
)
from tv_eval.core.types import (
    ContentPart,
    GenerationParams,
    ImagePart,
    Message,
    Request,
    Sample,
    SampleStatus,
    TextPart,
    VideoPart,
)
from tv_eval.data.hub import load_split
from tv_eval.judge.protocols import JudgeProtocol
from tv_eval.tasking.config import TaskConfig
from tv_eval.tasking.rows import DataPart, LoadContext, RowReader, UniqueIds, combined_identity

if TYPE_CHECKING:
    from datasets import Dataset

    from tv_eval.data.tiers import TierMap
    from tv_eval.judge.protocols import JudgePrompt

IMAGE_ROLE = "image"
DEFAULT_LIMIT = "default"
SYSTEM_PROMPT = "system"
# Task options the base reads where a task offers them (in its `option_help`).
FRAMES_OPTION, LIMIT_OPTION = "video_frames", "max_new_tokens"


class DatasetTask(Task):
    config_path: ClassVar[Path]
    # Roles of `columns` the data may lack (read with `RowReader.optional_cell`); the others must exist.
    optional_roles: ClassVar[tuple[str, ...]] = ()
    # Roles whose columns hold encoded images (kept encoded on loading); several for multi-image data.
    image_roles: ClassVar[tuple[str, ...]] = (IMAGE_ROLE,)

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        # Whether the last `load` read the bundled sample (`sample_splits`, `sample_max_new_tokens`).
        self.use_sample = False

    @cached_property
    def config(self) -> TaskConfig:
        return TaskConfig.read(self.config_path)

    @property
    def sample_dir(self) -> Path:
        """The bundled sample (`--sample`), beside the config."""
        return self.config_path.parent / "sample"

    def configure(self, options: Mapping[str, Any], source: DataSource | None = None) -> None:
        check_option_names(self.name, options, self.option_help)
        for key in (FRAMES_OPTION, LIMIT_OPTION):
            value = options.get(key)
            if value is not None and (not str(value).isdigit() or int(value) < 1):
                raise TaskConfigError(f"task {self.name}: {key} must be a positive integer, got {value!r}")
        self.options = dict(options)

    @property
    def dataset_id(self) -> str:
        """The Hub dataset the task reads: the config's `dataset_id` (a task with several data
        sources picks one from its options)."""
        return str(self.config["dataset_id"])

    def prompt_templates(self) -> Mapping[str, str]:
        return self.config["prompts"]

    def template(self, name: str) -> str:
        return str(self.config.value("prompts", name))

    # Loading

    def parts(self) -> Sequence[DataPart]:
        """What to read: each of the config's `splits`, else its one `split`; on the bundled sample its
        `sample_splits` where the config names them (the sample holds only those)."""
        if self.use_sample and "sample_splits" in self.config:
            return [DataPart(split=str(split)) for split in self.config["sample_splits"]]
        splits = self.config["splits"] if "splits" in self.config else [self.config["split"]]
        return [DataPart(split=str(split)) for split in splits]

    def required_columns(self, part: DataPart) -> list[str]:
        columns = self.config.columns()
        return [column for role, column in columns.items() if role not in self.optional_roles]

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        """The sample id the data gives a row (repeats get `#2`, ... appended)."""
        return str(row[self.config.columns()["id"]])

    def row_items(self, row: Mapping[str, Any], part: DataPart) -> Sequence[Mapping[str, Any]]:
        """The items one row holds, each becoming a sample: the row itself, unless a benchmark keeps
        several questions in one row (MTVQA's `qa_pairs`) and yields one item per question."""
        return (row,)

    def sample_from_row(self, row: RowReader) -> Sample:
        """The benchmark's own part of loading: its columns, checks and sample fields."""
        raise NotImplementedError(f"task {self.name} reads no rows this way (it overrides load)")

    def load_context(self, source: DataSource, tier_map: TierMap) -> LoadContext:
        if source.data_dir is not None and not source.use_sample and not source.data_dir.exists():
            raise TaskConfigError(f"data directory {source.data_dir} does not exist")
        return LoadContext(self.name, self.dataset_id, source, tier_map, self.sample_dir)

    def read_part(self, part: DataPart, source: DataSource) -> tuple[Dataset, DatasetIdentity]:
        """The part's rows through `datasets` (Hub, local folder or bundled sample), images kept encoded."""
        columns = self.config.columns()
        return load_split(
            self.dataset_id,
            part.split,
            source,
            sample_dir=self.sample_dir,
            required_columns=self.required_columns(part),
            image_columns=[columns[role] for role in self.image_roles if role in columns],
            config_name=part.config_name,
        )

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        self.use_sample = source.use_sample
        context = self.load_context(source, tier_map)
        columns = self.config.columns()
        ids = UniqueIds()
        samples: list[Sample] = []
        identities: list[DatasetIdentity] = []
        for part in self.parts():
            dataset, identity = self.read_part(part, source)
            identities.append(identity)
            for position, row in enumerate(dataset):
                for item in self.row_items(row, part):
                    sample_id = ids.unique(self.row_id(item, part, position))
                    samples.append(self.sample_from_row(RowReader(context, item, columns, part, sample_id)))
        return LoadedTask(samples=samples, dataset=combined_identity(identities))

    # Requests

    @abstractmethod
    def prompt(self, sample: Sample, scoring: str) -> str:
        """The text of the one user turn (media go before it, or into its image slots)."""

    def max_new_tokens(self, sample: Sample) -> int:
        """The `max_new_tokens` option where a task offers it, else the config's `max_new_tokens`: one
        number, or per question type with a `default` entry for the rest; on the bundled sample (a smoke
        test) `sample_max_new_tokens` where the config has it."""
        if self.options.get(LIMIT_OPTION):
            return int(self.options[LIMIT_OPTION])
        if self.use_sample and "sample_max_new_tokens" in self.config:
            return int(self.config["sample_max_new_tokens"])
        limits = self.config["max_new_tokens"]
        if not isinstance(limits, Mapping):
            return int(limits)
        key = sample.question_type if sample.question_type in limits else DEFAULT_LIMIT
        return int(self.config.value("max_new_tokens", key))

    @property
    def num_frames(self) -> int:
        """Frames per video: the `video_frames` option, else the config's `default_frames`."""
        return int(self.options.get(FRAMES_OPTION) or self.config["default_frames"])

    def request(
        self, request_id: str, sample: Sample, prompt: str, continuation: str | None = None
    ) -> Request:
        """A single user turn: the sample's image or video, then the prompt; greedy decoding. A sample
        with several images has them in the prompt's image slots instead (`interleaved_content`). A
        `system` entry among the config's prompts goes first, as a system turn."""
        content: tuple[ContentPart, ...] = (TextPart(prompt),)
        if sample.images:
            content = interleaved_content(prompt, sample.images)
        elif sample.video is not None:
            content = (VideoPart(video=sample.video, num_frames=self.num_frames), *content)
        elif sample.image is not None:
            content = (ImagePart(sample.image), *content)
        messages = (Message(role="user", content=content),)
        if "prompts" in self.config and SYSTEM_PROMPT in self.config["prompts"]:
            messages = (Message(role="system", content=(TextPart(self.template(SYSTEM_PROMPT)),)), *messages)
        return Request(
            request_id=request_id,
            messages=messages,
            generation=GenerationParams(max_new_tokens=self.max_new_tokens(sample)),
            continuation=continuation,
        )


class GenerativeTask(DatasetTask):
    """One generated answer per sample, scored by a rule or left for the judge."""

    request_type = RequestType.GENERATE

    def build_request(self, sample: Sample, scoring: str) -> Request:
        return self.request(sample.sample_id, sample, self.prompt(sample, scoring))

    def judged(self, sample: Sample, scoring: str) -> bool:
        """Whether the judge, not a rule, scores this sample's answer under `scoring`."""
        return False

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        """The config's `judge` entry (name, parser, prompts, max_new_tokens), if it has one."""
        if "judge" not in self.config:
            return None
        return JudgeProtocol(
            name=str(self.config.value("judge", "name")),
            parser=str(self.config.value("judge", "parser")),
            templates=self.config.value("judge", "prompts"),
            max_new_tokens=int(self.config.value("judge", "max_new_tokens")),
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        mode = self.scoring_mode(scoring)
        if not self.needs_model(sample, mode):
            return Score(status=SampleStatus.EXCLUDED)
        if self.judged(sample, mode):
            return Score(status=SampleStatus.NEEDS_JUDGE)
        return self.score_answer(sample, prediction, mode)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """The rule's verdict; an answer no rule scores waits for the judge."""
        return Score(status=SampleStatus.NEEDS_JUDGE)

    def judge_prompt(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt | None:
        return self.judge_input(sample, prediction, scoring) if self.judged(sample, scoring) else None

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        """The judge's input for a judged sample; tasks with a judge define it."""
        raise NotImplementedError(f"task {self.name} has no judge prompt")


class LoglikelihoodTask(DatasetTask):
    """Several continuations per sample after the same prompt; the task judges their log-likelihoods."""

    request_type = RequestType.LOGLIKELIHOOD

    @abstractmethod
    def continuations(self, sample: Sample) -> Sequence[tuple[str, str]]:
        """(label, text) of each continuation, in the order `score_loglikelihoods` receives them."""

    @abstractmethod
    def score_loglikelihoods(self, sample: Sample, values: Sequence[float], scoring: str) -> Score:
        """The verdict from the continuations' values (in their requests' measure), in order."""

    def loglikelihood_requests(self, sample: Sample, scoring: str) -> list[Request]:
        prompt = self.prompt(sample, scoring)
        return [
            self.request(f"{sample.sample_id}#{label}", sample, prompt, continuation=text)
            for label, text in self.continuations(sample)
        ]

    def build_request(self, sample: Sample, scoring: str) -> Request:
        """The prompt and media as the model sees them, with the first continuation."""
        return self.loglikelihood_requests(sample, scoring)[0]

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        raise NotImplementedError(f"{self.name} compares log-likelihoods; it does not score generated text")
