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

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from tasks.multi30k.official import OfficialTestSet, is_official_layout, read_test_set
from tv_eval.api import (
    DEFAULT_PROMPT,
    METRIC_OPTIONS,
    DatasetIdentity,
    DataSource,
    ImageInput,
    LoadedTask,
    MetricSelection,
    MetricSpec,
    Request,
    Sample,
    SampleStatus,
    Score,
    Task,
    TaskConfigError,
    TierMap,
    check_option_names,
    check_prompt_template,
    check_specs,
    clean_hypothesis,
    corpus_spec,
    image_bytes,
    language_info,
    load_split,
    parse_list,
    segment_metric,
    translation_request,
)

if TYPE_CHECKING:
    from tv_eval.api import BatchScorer, CorpusMetric

HERE = Path(__file__).parent
SAMPLE_DIR = HERE / "sample"


class Multi30kTask(Task):
    name = "multi30k"
    description = "Multi30K: English -> German/French/Czech translation with the image as context"
    breakdowns = ("category",)
    protocol_notes: ClassVar[Mapping[str, str]] = {
        "robust": "greedy, 128 new tokens, the paper's prompt; BLEU/chrF/chrF++ corpus-level (sacrebleu), "
        "COMET family as mean segment score; by_category is the test set"
    }
    option_help: ClassVar[Mapping[str, str]] = {
        "test_sets": "comma-separated: 2016, 2017, 2018 (test_YYYY_flickr) or all; default 2016",
        "prompt": "prompt template with {source} and optionally {target_language}, {source_language}",
        "image_dir": "folder of the images for the official-release layout (default: looked up)",
        **METRIC_OPTIONS,
    }

    def __init__(self) -> None:
        self.options: dict[str, str] = {}
        self.template = DEFAULT_PROMPT
        self.test_sets: list[str] = list(self.config["default_test_sets"])
        self.selection = self._selection(sample=False)
        self._scorers: list[BatchScorer] | None = None

    @cached_property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load((HERE / "config.yaml").read_text(encoding="utf-8"))

    def configure(self, options: Mapping[str, str], source: DataSource | None = None) -> None:
        """The metric set follows the options and, by default, the source: the offline sample leaves
        out the COMET models (config.yaml `sample_metrics`)."""
        check_option_names(self.name, options, self.option_help)
        self.options = dict(options)
        self.template = check_prompt_template(options.get("prompt", DEFAULT_PROMPT))
        if "test_sets" in options:
            self.test_sets = self._parse_test_sets(options["test_sets"])
        self.selection = self._selection(sample=source is not None and source.use_sample)
        self._scorers = None

    def _parse_test_sets(self, value: str) -> list[str]:
        known = list(self.config["test_sets"])
        if value.strip() == "all":
            return known
        chosen = []
        for part in parse_list(value):
            name = part if part in known else f"test_{part}_flickr"
            if name not in known:
                raise TaskConfigError(f"unknown Multi30K test set {part!r}; known: 2016, 2017, 2018, all")
            chosen.append(name)
        if not chosen:
            raise TaskConfigError("test_sets names no test set")
        return chosen

    def _selection(self, sample: bool) -> MetricSelection:
        default = self.config["sample_metrics" if sample else "default_metrics"]
        return MetricSelection.from_options(self.options, default)

    def metric_specs(self, scoring: str) -> tuple[MetricSpec, ...]:
        primary = self.selection.primary()
        specs = [
            corpus_spec(name, self.selection.bleu_tokenizer, primary=name == primary)
            if name in self.selection.lexical
            else segment_metric(name, primary=name == primary, description=f"{name} segment score (COMET)")
            for name in self.selection.metrics
        ]
        return check_specs(specs, self.name)

    def prompt_templates(self) -> Mapping[str, str]:
        return {"translate": self.template}

    def load(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        from tv_eval.api import check_tokenizers

        root = SAMPLE_DIR if source.use_sample else source.data_dir
        if root is not None and not root.exists():
            raise TaskConfigError(f"data directory {root} does not exist")
        if root is not None and is_official_layout(root):
            loaded = self._load_official(root, source, tier_map)
        else:
            loaded = self._load_hub(source, tier_map)
        check_tokenizers(
            sorted({sample.language for sample in loaded.samples}), self.selection.bleu_tokenizer
        )
        return loaded

    def _sample(
        self,
        test_set: str,
        line: int,
        language: str,
        source_text: str,
        reference: str,
        image: ImageInput | None,
        image_error: str | None,
        tier_map: TierMap,
        image_name: str | None,
    ) -> Sample:
        errors = [error for error in (image_error,) if error]
        if not source_text:
            errors.append("empty source sentence")
        if not reference:
            errors.append("empty reference")
        return Sample(
            sample_id=f"{test_set}:{line:05d}:{language}",
            task=self.name,
            language=language,
            tier=tier_map.tier_of(language),
            script=language_info(language).script,
            cluster_id=f"{test_set}:{line:05d}",
            category=test_set,
            image=image,
            text=source_text,
            reference=reference,
            metadata={"test_set": test_set, "line": line, "image_name": image_name},
            load_error="; ".join(errors) or None,
        )

    def _load_official(self, root: Path, source: DataSource, tier_map: TierMap) -> LoadedTask:
        image_dir = Path(self.options["image_dir"]) if "image_dir" in self.options else None
        source_language = self.config["source_language"]
        samples: list[Sample] = []
        fingerprints = []
        for name in self.test_sets:
            targets = self.config["test_sets"][name]
            test_set = read_test_set(root, name, [source_language, *targets], image_dir)
            fingerprints.append(test_set.fingerprint)
            for language in targets:
                for line in range(len(test_set.image_names)):
                    image, error = _official_image(test_set, line)
                    samples.append(
                        self._sample(
                            name,
                            line,
                            language,
                            test_set.sentences[source_language][line],
                            test_set.sentences[language][line],
                            image,
                            error,
                            tier_map,
                            test_set.image_names[line],
                        )
                    )
        identity = DatasetIdentity(
            dataset_id="multi30k (official release layout)",
            split=",".join(self.test_sets),
            revision=None,
            fingerprint="-".join(fingerprints),
            source="sample" if source.use_sample else f"local:{root}",
            num_rows=len(samples),
        )
        return LoadedTask(samples=samples, dataset=identity)

    def _load_hub(self, source: DataSource, tier_map: TierMap) -> LoadedTask:
        hub_set = self.config["hub_test_set"]
        others = [name for name in self.test_sets if name != hub_set]
        if others:
            raise TaskConfigError(
                f"{self.config['dataset_id']} holds only {hub_set}; for {', '.join(others)} use --data-dir "
                "with the official Multi30K release layout"
            )
        dataset, identity = load_split(
            self.config["dataset_id"],
            self.config["split"],
            source,
            sample_dir=SAMPLE_DIR,
            required_columns=self.config["columns"],
            image_columns=["image"],
        )
        source_language = self.config["source_language"]
        samples = []
        targets = self.config["test_sets"][hub_set]
        rows = list(dataset)
        for language in targets:
            for line, row in enumerate(rows):
                image, error = _hub_image(row["image"], source.data_dir)
                samples.append(
                    self._sample(
                        hub_set,
                        line,
                        language,
                        str(row[source_language] or "").strip(),
                        str(row[language] or "").strip(),
                        image,
                        error,
                        tier_map,
                        None,
                    )
                )
        return LoadedTask(samples=samples, dataset=identity)

    def build_request(self, sample: Sample, scoring: str) -> Request:
        return translation_request(
            sample.sample_id,
            self.template,
            sample.text,
            sample.language,
            sample.image,
            max_new_tokens=int(self.config["max_new_tokens"]),
        )

    def score(self, sample: Sample, prediction: str, scoring: str) -> Score:
        """The hypothesis only: every metric is computed later, over groups or in one COMET batch."""
        return Score(status=SampleStatus.SCORED, extracted=clean_hypothesis(prediction))

    def corpus_metrics(self, scoring: str) -> Sequence[CorpusMetric]:
        from tv_eval.api import SacrebleuMetric

        return [SacrebleuMetric(name, self.selection.bleu_tokenizer) for name in self.selection.lexical]

    def batch_scorers(self, scoring: str) -> Sequence[BatchScorer]:
        from tv_eval.api import CometScorer

        if self._scorers is None:
            selection = self.selection
            self._scorers = [
                CometScorer(name, selection.models[name], selection.comet_batch_size, task=self.name)
                for name in selection.neural
            ]
        return self._scorers


def _official_image(test_set: OfficialTestSet, line: int) -> tuple[ImageInput | None, str | None]:
    path = test_set.image_path(line)
    if path is None:
        folders = ", ".join(map(str, test_set.image_dirs)) or "no image folder"
        return None, f"image {test_set.image_names[line]!r} not found (looked in {folders})"
    return ImageInput.from_bytes(path.read_bytes()), None


def _hub_image(cell: object, root: Path | None) -> tuple[ImageInput | None, str | None]:
    try:
        return ImageInput.from_bytes(image_bytes(cell, root)), None
    except (ValueError, OSError) as error:
        return None, str(error)
