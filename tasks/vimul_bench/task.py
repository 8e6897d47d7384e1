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

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tasks.vimul_bench.layout import (
    answer_candidates,
    letter_columns,
    options_from_cell,
    resolve_columns,
    video_name,
    video_path,
)
from tv_eval.api import (
    DataPart,
    DatasetIdentity,
    DataSource,
    GenerativeTask,
    JudgePrompt,
    JudgeProtocol,
    RowReader,
    Sample,
    Score,
    ScoringMode,
    answer_index,
    choice_score,
    lettered_options,
    segment_metric,
    video_qa_prompt,
    video_qa_protocol,
)

if TYPE_CHECKING:
    from datasets import Dataset


class VimulBenchTask(GenerativeTask):
    name = "vimul_bench"
    description = (
        "ViMUL-Bench: cultural video QA in 14 languages (MCQ by extraction, open-ended by the judge)"
    )
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (
        segment_metric("accuracy", primary=True, description="MCQ choice or judge verdict yes"),
        segment_metric("judge_score", description="the judge's 0-5 score / 5 on open questions"),
    )
    breakdowns = ("category", "question_type")
    scoring_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL)
    answer_language_modes = (ScoringMode.ROBUST, ScoringMode.OFFICIAL)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "MCQ by option extraction; open-ended by the judge (Video-ChatGPT yes/no protocol)",
        "official": "as robust; the judge's reply read as Video-ChatGPT's script does (int(score), any yes)",
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "video_frames": "frames sampled per video (default: --video-frames, else the model's, else 16)"
    }

    def parts(self) -> Sequence[DataPart]:
        """One Hub config per language and question format (vimulmcq_<language>, vimuloe_<language>)."""
        return [
            DataPart(
                split=self.config["split"],
                config_name=pattern.format(language=language_name),
                attributes={"language": language, "kind": kind},
            )
            for language_name, language in self.config["languages"].items()
            for kind, pattern in self.config["config_names"].items()
        ]

    def required_columns(self, part: DataPart) -> list[str]:
        """None at loading: `read_part` finds each role's column among its plausible names."""
        return []

    def read_part(self, part: DataPart, source: DataSource) -> tuple[Dataset, DatasetIdentity]:
        """The part's rows with each role's column renamed to the name `columns` gives it, and
        per-letter option columns gathered into one list; a role no column fills is an error."""
        dataset, identity = super().read_part(part, source)
        found = list(dataset.column_names)
        letters = letter_columns(found) if part.attributes["kind"] == "mcq" else []
        required = [role for role in self.config.value("required_roles", part.attributes["kind"])]
        if letters:
            required.remove("options")
        where = f"{self.dataset_id} config {part.config_name!r}"
        resolved = resolve_columns(found, self.config["column_aliases"], required, where)
        canonical = self.config.columns()
        renames = {column: canonical[role] for role, column in resolved.items() if column != canonical[role]}
        dataset = dataset.rename_columns(
            {old: new for old, new in renames.items() if new not in found or new in renames}
        )
        if letters and "options" not in resolved:
            dataset = dataset.map(lambda row: {canonical["options"]: [row[column] for column in letters]})
        return dataset, identity

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        given = row.get(self.config.columns()["id"])
        return f"{part.config_name}/{given if given is not None else position}#{position}"

    def sample_from_row(self, row: RowReader) -> Sample:
        clip = video_name(_cell(row, "video"))
        video = row.video(video_path(clip, str(self.config["video_dir"])))
        question = row.text("question")
        if not question:
            row.error("empty question")
        answer = row.text("answer")
        choices: tuple[str, ...] = ()
        if row.part.attributes["kind"] == "mcq":
            choices = options_from_cell(_cell(row, "options"))
            answer = _answer_as_given(answer, choices)
            if answer_index(answer, choices) is None:
                row.error(f"multiple-choice answer {answer!r} is neither an option nor an option letter")
            question_type = "mcq"
        else:
            question_type = str(_cell(row, "question_type") or "").strip().lower() or "open"
        return row.sample(
            row.part.attributes["language"],
            cluster_id=video.sha256 if video else clip,
            category=str(_cell(row, "category") or "") or None,
            question_type=question_type,
            choices=choices,
            text=question,
            reference=answer,
            video=video,
            metadata={"video_name": clip},
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        if sample.question_type == "mcq":
            return self.template("mcq").format(question=sample.text, options=lettered_options(sample.choices))
        return self.template("open").format(question=sample.text)

    def judged(self, sample: Sample, scoring: str) -> bool:
        return sample.question_type != "mcq"

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        return choice_score(sample, prediction)

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return video_qa_protocol(official=scoring == ScoringMode.OFFICIAL)

    def judge_input(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt:
        return video_qa_prompt(sample.text, sample.reference, prediction.strip())


def _cell(row: RowReader, role: str) -> Any:
    """A cell by role, None where this part of the data has no column for it."""
    return row.row.get(row.columns[role])


def _answer_as_given(answer: str, choices: Sequence[str]) -> str:
    """The answer, or for a labelled one (`B. red`) the first of its letter and text that names an option."""
    return next(
        (
            candidate
            for candidate in answer_candidates(answer)
            if answer_index(candidate, choices) is not None
        ),
        answer,
    )
