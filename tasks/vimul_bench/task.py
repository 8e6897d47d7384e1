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
from typing import Any, ClassVar

from tv_eval.api import (
    DataPart,
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
        columns = self.config.columns()
        columns.pop("options" if part.attributes["kind"] == "open" else "question_type")
        return list(columns.values())

    def row_id(self, row: Mapping[str, Any], part: DataPart, position: int) -> str:
        return f"{part.config_name}/{row[self.config.columns()['id']]}#{position}"

    def sample_from_row(self, row: RowReader) -> Sample:
        video_name = str(row.cell("video") or "")
        video = row.video(f"{self.config['video_dir']}/{video_name}")
        question = row.text("question")
        if not question:
            row.error("empty question")
        answer = row.text("answer")
        choices: tuple[str, ...] = ()
        if row.part.attributes["kind"] == "mcq":
            choices = tuple(str(option).strip() for option in (row.cell("options") or []))
            if answer_index(answer, choices) is None:
                row.error(f"multiple-choice answer {answer!r} is neither an option nor an option letter")
            question_type = "mcq"
        else:
            question_type = row.text("question_type").lower() or "open"
        return row.sample(
            row.part.attributes["language"],
            cluster_id=video.sha256 if video else video_name,
            category=str(row.cell("category") or "") or None,
            question_type=question_type,
            choices=choices,
            text=question,
            reference=answer,
            video=video,
            metadata={"video_name": video_name},
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
