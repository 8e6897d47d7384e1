"""CulturalVQA: open-ended cultural questions about images from 11 countries (mair-lab/CulturalVQA, `test`).

Questions are in English; the country the image comes from is a breakdown alongside language. Every
answer is scored by LAVE through the judge (`--judge`): the judge rates the answer 1-3 against the
annotators' reference answers, mapped to 0, 0.5 and 1 (`lave`). Without a judge, answers are generated
and counted as `needs_judge`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import yaml

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
    image_bytes,
    language_info,
    lave_prompt,
    lave_protocol,
    load_split,
    segment_metric,
)

HERE = Path(__file__).parent


class CulturalVqaTask(Task):
    name = "cultural_vqa"
    description = "CulturalVQA: open-ended cultural VQA on images from 11 countries (LAVE via the judge)"
    scoring_modes = ("lave",)
    default_scoring = "lave"
    metrics = (segment_metric("lave", primary=True, description="LAVE rating mapped to 0, 0.5, 1"),)
    breakdowns = ("country",)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "lave": "LAVE (Mañas et al. 2024) through the judge: 1-3 rating against the reference answers"
    }

    @cached_property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((HERE / "config.yaml").read_text(encoding="utf-8"))

    def prompt_templates(self) -> Mapping[str, str]:
        return self.config["prompts"]

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        columns = self.config["columns"]
        dataset, identity = load_split(
            self.config["dataset_id"],
            self.config["split"],
            source,
            sample_dir=HERE / "sample",
            required_columns=list(columns.values()),
            image_columns=[columns["image"]],
        )
        root = (
            source.data_dir
            if source.data_dir is not None
            else (HERE / "sample" if source.use_sample else None)
        )
        language = self.config["language"]
        info = language_info(language)
        samples = []
        seen: dict[str, int] = {}
        for row in dataset:
            sample_id = str(row[columns["id"]])
            seen[sample_id] = seen.get(sample_id, 0) + 1
            if seen[sample_id] > 1:
                sample_id = f"{sample_id}#{seen[sample_id]}"
            errors: list[str] = []
            image: ImageInput | None = None
            try:
                image = ImageInput.from_bytes(image_bytes(row[columns["image"]], root))
            except (ValueError, OSError) as error:
                errors.append(str(error))
            answers = _answers(row[columns["answers"]])
            if not answers:
                errors.append("no reference answers")
            question = str(row[columns["question"]] or "").strip()
            if not question:
                errors.append("empty question")
            samples.append(
                Sample(
                    sample_id=sample_id,
                    task=self.name,
                    language=language,
                    tier=tier_map.tier_of(language),
                    script=info.script,
                    country=str(row[columns["country"]] or "").strip() or None,
                    cluster_id=image.sha256 if image else sample_id,
                    question_type="open",
                    image=image,
                    text=question,
                    reference=" | ".join(answers),
                    metadata={"answers": answers},
                    load_error="; ".join(errors) or None,
                )
            )
        return LoadedTask(samples=samples, dataset=identity)

    def build_request(self, sample: Sample, scoring: str) -> Request:
        prompt = self.config["prompts"]["open"].format(question=sample.text)
        content: tuple[TextPart | ImagePart, ...] = (TextPart(prompt),)
        if sample.image is not None:
            content = (ImagePart(sample.image), *content)
        return Request(
            request_id=sample.sample_id,
            messages=(Message(role="user", content=content),),
            generation=GenerationParams(max_new_tokens=int(self.config["max_new_tokens"])),
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        if scoring not in self.scoring_modes:
            raise TaskConfigError(f"cultural_vqa has no scoring mode {scoring!r}")
        return Score(status=SampleStatus.NEEDS_JUDGE)

    def judge_protocol(self, scoring: str) -> JudgeProtocol | None:
        return lave_protocol()

    def judge_prompt(self, sample: Sample, prediction: str, scoring: str) -> JudgePrompt | None:
        return JudgePrompt(user=lave_prompt(sample.text, sample.metadata["answers"], prediction.strip()))


def _answers(cell: object) -> tuple[str, ...]:
    """The reference answers: a list (the dataset's form) or a single string."""
    values: Sequence[object] = (
        [cell] if isinstance(cell, str) else (cell if isinstance(cell, list | tuple) else [])
    )
    return tuple(str(value).strip() for value in values if value is not None and str(value).strip())
