"""Multi30K: English -> German, French and Czech translation with the image as context.

Data: the Hub copy `romrawinjp/multi30k` (split `test` = test_2016_flickr, columns en, cs, de, fr,
image), as the TowerVision paper used, or a local folder in the official release layout
(official.py), which also holds test_2017_flickr and test_2018_flickr. Each (line, target language)
is one sample in the target language; the lines' source sentence and image are shared, so bootstrap
intervals resample lines (clusters), not samples. The test set is the sample's `category`.

Scoring: the model's output, with whitespace runs collapsed, is the hypothesis. BLEU, chrF and chrF++
are corpus-level (sacrebleu) per group; xCOMET, COMET-22 and CometKiwi are segment scores from the
managed COMET environment, averaged per group. See README.md beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from tasks.multi30k.official import OfficialTestSet, is_official_layout, parse_test_sets, read_test_set
from tv_eval.api import (
    METRIC_OPTIONS,
    PROMPT_OPTION,
    DataPart,
    DatasetIdentity,
    DataSource,
    GenerativeTask,
    ImageInput,
    LoadContext,
    LoadedTask,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    TaskConfigError,
    TierMap,
    TranslationMetrics,
    TranslationPrompt,
    build_sample,
    clean_hypothesis,
    read_image,
)

SAMPLE_DIR = Path(__file__).parent / "sample"


@dataclass(frozen=True)
class _Line:
    """One line of a test set: its sentence in each language and its image (or why there is none)."""

    sentences: Mapping[str, str]
    image: ImageInput | None
    error: str | None
    image_name: str | None = None


class Multi30kTask(TranslationPrompt, TranslationMetrics, GenerativeTask):
    name = "multi30k"
    description = "Multi30K: English -> German/French/Czech translation with the image as context"
    config_path = SAMPLE_DIR.parent / "config.yaml"
    breakdowns = ("category",)
    answer_language_modes = (ScoringMode.ROBUST,)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "greedy, 128 new tokens, the paper's prompt; BLEU/chrF/chrF++ corpus-level (sacrebleu), "
        "COMET family as mean segment score; by_category is the test set"
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "test_sets": "comma-separated: 2016, 2017, 2018 (test_YYYY_flickr) or all; default 2016",
        **PROMPT_OPTION,
        "image_dir": "folder of the images for the official-release layout (default: looked up)",
        **METRIC_OPTIONS,
    }

    def __init__(self) -> None:
        super().__init__()
        self.test_sets: list[str] = list(self.config["default_test_sets"])

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        """The metric set follows the options and, by default, the source: the offline sample leaves
        out the COMET models (config.yaml `sample_metrics`)."""
        super().configure(options, source)
        self.configure_prompt(options)
        if "test_sets" in options:
            self.test_sets = parse_test_sets(options["test_sets"], list(self.config["test_sets"]))
        self.configure_metrics(options, source)

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        """Every (line, target language) of the chosen test sets, by test set, then language, then line."""
        from tv_eval.api import check_tokenizers

        context = self.load_context(source, tier_map)
        official = context.root is not None and is_official_layout(context.root)
        test_sets, identity = (
            self._read_official(context.root, context) if official else self._read_hub(context)
        )
        samples = [
            self._sample(context, name, number, language, line)
            for name, lines in test_sets.items()
            for language in self.config["test_sets"][name]
            for number, line in enumerate(lines)
        ]
        check_tokenizers(sorted({sample.language for sample in samples}), self.selection.bleu_tokenizer)
        return LoadedTask(samples=samples, dataset=identity)

    def _sample(self, context: LoadContext, test_set: str, number: int, language: str, line: _Line) -> Sample:
        source_text, reference = line.sentences[self.config["source_language"]], line.sentences[language]
        errors = [line.error] if line.error else []
        if not source_text:
            errors.append("empty source sentence")
        if not reference:
            errors.append("empty reference")
        return build_sample(
            context,
            f"{test_set}:{number:05d}:{language}",
            language,
            errors,
            cluster_id=f"{test_set}:{number:05d}",
            category=test_set,
            image=line.image,
            text=source_text,
            reference=reference,
            metadata={"test_set": test_set, "line": number, "image_name": line.image_name},
        )

    def _read_official(
        self, root: Path, context: LoadContext
    ) -> tuple[dict[str, list[_Line]], DatasetIdentity]:
        image_dir = Path(self.options["image_dir"]) if "image_dir" in self.options else None
        languages = [self.config["source_language"]]
        test_sets: dict[str, OfficialTestSet] = {
            name: read_test_set(root, name, [*languages, *self.config["test_sets"][name]], image_dir)
            for name in self.test_sets
        }
        identity = DatasetIdentity(
            dataset_id="multi30k (official release layout)",
            split=",".join(self.test_sets),
            revision=None,
            fingerprint="-".join(test_set.fingerprint for test_set in test_sets.values()),
            source="sample" if context.source.use_sample else f"local:{root}",
            num_rows=sum(len(s.image_names) * len(self.config["test_sets"][n]) for n, s in test_sets.items()),
        )
        return {name: _official_lines(test_set) for name, test_set in test_sets.items()}, identity

    def _read_hub(self, context: LoadContext) -> tuple[dict[str, list[_Line]], DatasetIdentity]:
        hub_set = self.config["hub_test_set"]
        others = [name for name in self.test_sets if name != hub_set]
        if others:
            raise TaskConfigError(
                f"{self.config['dataset_id']} holds only {hub_set}; for {', '.join(others)} use --data-dir "
                "with the official Multi30K release layout"
            )
        dataset, identity = self.read_part(DataPart(split=self.config["split"]), context.source)
        languages = [self.config["source_language"], *self.config["test_sets"][hub_set]]
        lines = []
        for row in dataset:
            image, error = read_image(row["image"], context.source.data_dir)
            lines.append(_Line({key: str(row[key] or "").strip() for key in languages}, image, error))
        return {hub_set: lines}, identity

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """The hypothesis only: every metric is computed later, over groups or in one COMET batch."""
        return Score(status=SampleStatus.SCORED, extracted=clean_hypothesis(prediction))


def _official_lines(test_set: OfficialTestSet) -> list[_Line]:
    lines = []
    for number, name in enumerate(test_set.image_names):
        path = test_set.image_path(number)
        folders = ", ".join(map(str, test_set.image_dirs)) or "no image folder"
        image = ImageInput.from_bytes(path.read_bytes()) if path is not None else None
        error = None if path is not None else f"image {name!r} not found (looked in {folders})"
        sentences = {language: lines_[number] for language, lines_ in test_set.sentences.items()}
        lines.append(_Line(sentences, image, error, name))
    return lines
