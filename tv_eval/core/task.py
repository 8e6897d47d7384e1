"""The contract every benchmark fulfils: load samples, build requests, score one prediction.

A task is the only place that knows a dataset's columns and a benchmark's protocol; the
runner, aggregation and reports only ever see Samples, Requests and ScoredSamples.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tv_eval.core.metrics import MetricSpec, answer_language_specs, check_specs
from tv_eval.core.types import Request, Sample, SampleStatus, ScoredSample

if TYPE_CHECKING:
    from tv_eval.data.tiers import TierMap
    from tv_eval.judge.protocols import JudgePrompt, JudgeProtocol
    from tv_eval.scoring.batch_scoring import BatchScorer
    from tv_eval.scoring.corpus_metrics import CorpusMetric


# Where `Task.submission` is written in a run directory: `json` for a mapping, else the file's own extension.
SUBMISSION_FILE = "{task}.submission.{extension}"


class RequestType(str, Enum):
    """`generate`: one generated answer per sample, scored by `score`. `loglikelihood`: several scored
    continuations per sample (`loglikelihood_requests`), judged by `score_loglikelihoods`."""

    GENERATE = "generate"
    LOGLIKELIHOOD = "loglikelihood"

    def __str__(self) -> str:
        return self.value


class ScoringMode(str, Enum):
    """A benchmark's scoring protocol. A str, so the CLI's `--scoring paper` and the `scoring` saved in
    run.json compare equal to the member; `str()` and f-strings give the plain value."""

    ROBUST = "robust"
    OFFICIAL = "official"
    PAPER = "paper"
    LAVE = "lave"

    def __str__(self) -> str:
        return self.value


class TaskConfigError(ValueError):
    """A task's data source or options that cannot work; reported before any model loads."""


def read_task_config(path: Path) -> dict[str, Any]:
    """A task's YAML configuration; a broken file is a one-line configuration error."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise TaskConfigError(f"task configuration {path} is malformed: {first_line}") from error
    if not isinstance(data, dict):
        raise TaskConfigError(f"task configuration {path} must be a mapping")
    return data


@dataclass(frozen=True)
class DataSource:
    """Where a task reads its data: the Hub (default), a local folder, or its bundled sample."""

    use_sample: bool = False
    data_dir: Path | None = None
    revision: str | None = None

    @classmethod
    def recorded(cls, dataset: Mapping[str, Any]) -> DataSource:
        """The source a run's recorded dataset identity (`source`: sample, local:PATH or hub) names."""
        source = str(dataset.get("source", "hub"))
        if source == "sample":
            return cls(use_sample=True)
        if source.startswith("local:"):
            return cls(data_dir=Path(source.removeprefix("local:")))
        return cls(revision=dataset.get("revision"))


@dataclass(frozen=True)
class DatasetIdentity:
    """Recorded in run.json so a result can be traced to the exact data it came from."""

    dataset_id: str
    split: str
    revision: str | None
    fingerprint: str
    source: str
    num_rows: int


@dataclass(frozen=True)
class LoadedTask:
    samples: list[Sample]
    dataset: DatasetIdentity


@dataclass(frozen=True)
class SubmissionFile:
    """A submission in the organisers' own text format (CVQA's `ID,choice` lines) rather than JSON."""

    text: str
    extension: str


@dataclass(frozen=True)
class Score:
    """One prediction's verdict. `scores` holds metric name -> value for scored samples."""

    status: SampleStatus
    scores: Mapping[str, float] = field(default_factory=dict)
    extracted: str | None = None
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Task(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    scoring_modes: ClassVar[tuple[ScoringMode, ...]] = (ScoringMode.ROBUST,)
    default_scoring: ClassVar[ScoringMode] = ScoringMode.ROBUST
    # What the task's scores mean (see tv_eval.core.metrics); exactly one primary. Tasks whose metric
    # set follows their options override `metric_specs` instead.
    metrics: ClassVar[tuple[MetricSpec, ...]] = ()
    breakdowns: ClassVar[tuple[str, ...]] = ()
    protocol_notes: ClassVar[Mapping[str, str]] = {}
    request_type: ClassVar[RequestType] = RequestType.GENERATE
    # --task-option NAME.KEY=VALUE: key -> what it does and its default; empty means no options.
    option_help: ClassVar[Mapping[str, str]] = {}
    # Scoring modes whose generated answers are free text in a known language (by default the
    # sample's; see `expected_answer_language`): they also report `answer_language`.
    answer_language_modes: ClassVar[tuple[ScoringMode, ...]] = ()
    # The language every answer is expected in, whatever the question's (xGQA asks for English answers);
    # None: the sample's own language.
    fixed_answer_language: ClassVar[str | None] = None

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        """Apply --task-option values before loading; the default accepts none. `source` is where the
        data will come from, for tasks whose defaults depend on it."""
        check_option_names(self.name, options, self.option_help)

    def scoring_mode(self, value: str | None) -> ScoringMode:
        """The mode a CLI string or a saved run names (None: the default); an unknown one is an error."""
        if value is None:
            return self.default_scoring
        for mode in self.scoring_modes:
            if mode == value:
                return mode
        raise TaskConfigError(
            f"task {self.name} has no scoring mode {value!r}; it has {', '.join(self.scoring_modes)}"
        )

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        """The metrics this task reports under `scoring`, from its configuration alone (never from
        whether data was loaded), so a re-scored or re-read run means what the original meant."""
        return check_specs(self.metrics, self.name)

    def reported_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        """`metric_specs` and, in `answer_language_modes`, the answer-language metrics: what results.json
        declares for a run under `scoring`."""
        specs = self.metric_specs(scoring)
        if scoring not in self.answer_language_modes:
            return specs
        return check_specs((*specs, *answer_language_specs()), self.name)

    def expected_answer_language(self, sample: Sample, scoring: str) -> str | None:
        """The language a free-text answer to `sample` should be in under `scoring`: in
        `answer_language_modes`, `fixed_answer_language` or else the sample's own; None (no expectation,
        no check) elsewhere and for a question with options, whose answer is a choice, not free text."""
        if scoring not in self.answer_language_modes or sample.choices or sample.question_type == "mcq":
            return None
        return self.fixed_answer_language or sample.language

    @abstractmethod
    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        """All samples of the benchmark, each with language, script and tier set."""

    @abstractmethod
    def build_request(self, sample: Sample, scoring: str) -> Request:
        """The chat messages and media the model sees for this sample."""

    @abstractmethod
    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """Score one prediction under the given scoring mode."""

    def needs_model(self, sample: Sample, scoring: str) -> bool:
        """False for samples the chosen protocol leaves out (they are counted, not generated)."""
        return True

    def sample_error(self, sample: Sample, scoring: str) -> str | None:
        """Why `sample` cannot be scored under `scoring` (it fails with this reason and is never
        generated), or None. The default: what was wrong with it when it was loaded."""
        return sample.load_error

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        """How this task's open answers are judged under `scoring`; None: the task needs no judge."""
        return None

    def judge_prompt(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt | None:
        """The judge's input for one sample, or None where the sample is not judged (e.g. multiple choice)."""
        return None

    @abstractmethod
    def prompt_templates(self) -> Mapping[str, str]:
        """Every template the task can render; their hash goes into the results."""

    def mode_templates(self, scoring: str) -> Mapping[str, str]:
        """Templates only the `scoring` mode renders (a protocol's own prompts); none by default."""
        return {}

    def prompts_hash(self, scoring: str | None = None) -> str:
        """The hash of every shared template, plus those of `scoring` when given: a mode's own prompts
        move the hash of that mode's runs only."""
        templates = {**self.prompt_templates(), **(self.mode_templates(scoring) if scoring else {})}
        canonical = json.dumps(templates, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def loglikelihood_requests(self, sample: Sample, scoring: str) -> list[Request]:
        """For `loglikelihood` tasks: the continuations to score for this sample, in a fixed order."""
        raise NotImplementedError(f"task {self.name} does not score log-likelihoods")

    def score_loglikelihoods(self, sample: Sample, values: Sequence[float], scoring: str) -> Score:
        """For `loglikelihood` tasks: the verdict from the values of `loglikelihood_requests`, in order."""
        raise NotImplementedError(f"task {self.name} does not score log-likelihoods")

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        """Metrics computed over each group's segments (BLEU, chrF), beside the per-sample ones."""
        return ()

    def batch_scorers(self, scoring: str) -> Sequence[BatchScorer]:
        """Scorers that run once over all of a task's records after generation (COMET)."""
        return ()

    def submission(
        self, records: Sequence[ScoredSample], scoring: str
    ) -> Mapping[str, Any] | SubmissionFile | None:
        """What a benchmark whose references are withheld takes from participants (e.g. id -> answer),
        written beside results.json as `<task>.submission.json` (a mapping) or `<task>.submission.<ext>`
        (a SubmissionFile); None: the task has no such file."""
        return None


def check_option_names(task: str, options: Mapping[str, str], known: Mapping[str, str]) -> None:
    """Reject option keys a task does not have, naming the close matches or the known ones."""
    for key in options:
        if key in known:
            continue
        if not known:
            raise TaskConfigError(f"task {task} takes no options (got {key!r})")
        close = difflib.get_close_matches(key, list(known), n=2)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(sorted(known))}"
        raise TaskConfigError(f"task {task} has no option {key!r}; {hint}")
