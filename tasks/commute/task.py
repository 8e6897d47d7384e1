"""CoMMuTE: does the image help the model choose the right translation of an ambiguous sentence?

Each item is an ambiguous English sentence, an image that resolves the ambiguity, and a correct and
an incorrect translation (`Unbabel/commute_multimodal_mt`, one split per target language: ar, cs, de,
es, fr, ru, zh). The model scores both translations as continuations of the translation prompt with
the image; the item is correct when the correct translation's summed log-likelihood is strictly
higher. Every English sentence appears with two images (one per reading), so the two items share a
bootstrap cluster, across languages too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import yaml

from tv_eval.api import (
    DEFAULT_PROMPT,
    LOGLIKELIHOOD,
    DatasetIdentity,
    DataSource,
    ImageInput,
    LoadedTask,
    Request,
    Sample,
    SampleStatus,
    Score,
    Task,
    TierMap,
    check_option_names,
    check_prompt_template,
    image_bytes,
    language_info,
    load_split,
    normalize_language,
    segment_metric,
    translation_request,
)

HERE = Path(__file__).parent
SAMPLE_DIR = HERE / "sample"
CONTINUATIONS = ("correct", "incorrect")


class CommuteTask(Task):
    name = "commute"
    description = "CoMMuTE: contrastive multimodal translation of ambiguous English (7 target languages)"
    metrics = (segment_metric("accuracy", primary=True, description="correct translation scored higher"),)
    request_type = LOGLIKELIHOOD
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "correct when the correct translation's summed log-likelihood is strictly higher"
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "prompt": "prompt template with {source} and optionally {target_language}, {source_language}",
    }

    def __init__(self) -> None:
        self.template = DEFAULT_PROMPT

    @cached_property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((HERE / "config.yaml").read_text(encoding="utf-8"))

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        check_option_names(self.name, options, self.option_help)
        self.template = check_prompt_template(options.get("prompt", DEFAULT_PROMPT))

    def prompt_templates(self) -> Mapping[str, str]:
        return {"translate": self.template}

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        root = SAMPLE_DIR if source.use_sample else source.data_dir
        samples: list[Sample] = []
        identities: list[DatasetIdentity] = []
        for split in self.config["splits"]:
            dataset, identity = load_split(
                self.config["dataset_id"],
                split,
                source,
                sample_dir=SAMPLE_DIR,
                required_columns=self.config["columns"],
                image_columns=["image"],
            )
            identities.append(identity)
            language = normalize_language(split)
            for index, row in enumerate(dataset):
                samples.append(self._sample(split, index, language, row, tier_map, root))
        first = identities[0]
        identity = DatasetIdentity(
            dataset_id=first.dataset_id,
            split=",".join(self.config["splits"]),
            revision=first.revision,
            fingerprint="-".join(item.fingerprint for item in identities),
            source=first.source,
            num_rows=sum(item.num_rows for item in identities),
        )
        return LoadedTask(samples=samples, dataset=identity)

    def _sample(
        self,
        split: str,
        index: int,
        language: str,
        row: Mapping[str, Any],
        tier_map: TierMap,
        root: Path | None,
    ) -> Sample:
        errors = []
        image: ImageInput | None = None
        try:
            image = ImageInput.from_bytes(image_bytes(row["image"], root))
        except (ValueError, OSError) as error:
            errors.append(str(error))
        source_text = str(row["source"] or "").strip()
        correct = str(row["correct_translation"] or "").strip()
        incorrect = str(row["incorrect_translation"] or "").strip()
        if not (source_text and correct and incorrect):
            errors.append("empty source or translation")
        elif correct == incorrect:
            errors.append("correct and incorrect translations are identical")
        return Sample(
            sample_id=f"{split}:{index:05d}",
            task=self.name,
            language=language,
            tier=tier_map.tier_of(language),
            script=language_info(language).script,
            cluster_id="source:" + hashlib.sha256(source_text.encode("utf-8")).hexdigest()[:16],
            choices=(correct, incorrect),
            image=image,
            text=source_text,
            reference=correct,
            metadata={"image_name": str(row["image_name"] or "")},
            load_error="; ".join(errors) or None,
        )

    def build_request(self, sample: Sample, scoring: str) -> Request:
        """The prompt and image as the model sees them, with the correct translation as continuation."""
        return self.loglikelihood_requests(sample, scoring)[0]

    def loglikelihood_requests(self, sample: Sample, scoring: str) -> list[Request]:
        """The correct translation first, then the incorrect one, each after the same prompt and image."""
        return [
            translation_request(
                f"{sample.sample_id}#{label}",
                self.template,
                sample.text,
                sample.language,
                sample.image,
                max_new_tokens=1,
                continuation=continuation,
            )
            for label, continuation in zip(CONTINUATIONS, sample.choices, strict=True)
        ]

    def score_loglikelihoods(self, sample: Sample, values: Sequence[float], scoring: str) -> Score:
        correct_value, incorrect_value = values
        chose_correct = correct_value > incorrect_value
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(chose_correct)},
            extracted=sample.choices[0 if chose_correct else 1],
            details={"loglikelihood_correct": correct_value, "loglikelihood_incorrect": incorrect_value},
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        raise NotImplementedError("commute compares log-likelihoods; it does not score generated text")
