"""BLEU, chrF and chrF++ through sacrebleu, at corpus level, with the tokenizer each target language needs.

Each segment's sufficient statistics come from sacrebleu itself (`_extract_corpus_statistics`) and any
group's score from sacrebleu's `_compute_score_from_stats`: the two methods its own paired bootstrap
and approximate randomization are built on, so a group's score is exactly what `sacrebleu REF -i HYP`
prints for that group's lines. BLEU's tokenizer follows the target language (sacrebleu's documented
choices): `zh` for Chinese, `ja-mecab` for Japanese, `ko-mecab` for Korean, `13a` for everything
else; `flores200` (spBLEU) is used only when asked for and its model is already on disk, since it
would otherwise be downloaded. chrF works on characters and needs no tokenizer.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from tv_eval.core.metrics import MetricKind, MetricScale, MetricSpec
from tv_eval.core.task import TaskConfigError
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.corpus_metrics import CorpusMetric

if TYPE_CHECKING:
    import numpy as np

METRIC_NAMES = ("bleu", "chrf", "chrf++")
DEFAULT_BLEU_TOKENIZER = "13a"
LANGUAGE_BLEU_TOKENIZERS = {"zh": "zh", "ja": "ja-mecab", "ko": "ko-mecab"}
OPTIONAL_TOKENIZERS = {
    "ja-mecab": ("MeCab", 'pip install "sacrebleu[ja]"'),
    "ko-mecab": ("mecab_ko", 'pip install "sacrebleu[ko]"'),
}
SPM_TOKENIZERS = {"flores101": "sacrebleu_tokenizer_spm.model", "flores200": "flores200sacrebleuspm"}


def _base_language(tag: str) -> str:
    return tag.split("-")[0].lower()


def bleu_tokenizer(language: str, override: str | None = None) -> str:
    """The BLEU tokenizer for a target language, or the user's override for every language."""
    if override:
        return override
    return LANGUAGE_BLEU_TOKENIZERS.get(_base_language(language), DEFAULT_BLEU_TOKENIZER)


def check_tokenizers(languages: Sequence[str], override: str | None = None) -> None:
    """Fail before any model loads when a needed tokenizer cannot run here."""
    from sacrebleu.utils import SACREBLEU_DIR

    for tokenizer in sorted({bleu_tokenizer(language, override) for language in languages}):
        if tokenizer in SPM_TOKENIZERS:
            path = os.path.join(SACREBLEU_DIR, "models", SPM_TOKENIZERS[tokenizer])
            if not os.path.exists(path):
                raise TaskConfigError(
                    f"BLEU tokenizer {tokenizer} needs its SentencePiece model at {path}, which is not there "
                    "(sacrebleu would download it); put it there or choose another tokenizer"
                )
        elif tokenizer in OPTIONAL_TOKENIZERS:
            module, hint = OPTIONAL_TOKENIZERS[tokenizer]
            try:
                __import__(module)
            except ImportError as error:
                raise TaskConfigError(f"BLEU tokenizer {tokenizer} is not installed: {hint}") from error


DESCRIPTIONS = {
    "bleu": "corpus BLEU (sacrebleu), tokenizer by target language",
    "chrf": "corpus chrF (sacrebleu): character 6-grams, beta 2",
    "chrf++": "corpus chrF++ (sacrebleu): chrF plus word bigrams",
}


def corpus_spec(
    name: str, bleu_tokenizer_override: str | None = None, *, primary: bool = False
) -> MetricSpec:
    """The spec of a sacrebleu metric; its params let a reader of saved segments recompute it."""
    if name not in METRIC_NAMES:
        raise TaskConfigError(f"unknown sacrebleu metric {name!r}; known: {', '.join(METRIC_NAMES)}")
    params = {"bleu_tokenizer": bleu_tokenizer_override} if name == "bleu" and bleu_tokenizer_override else {}
    return MetricSpec(
        name,
        MetricKind.CORPUS,
        MetricScale.PERCENT,
        primary=primary,
        description=DESCRIPTIONS[name],
        params=params,
    )


def corpus_metric_of(spec: MetricSpec) -> SacrebleuMetric:
    """The metric a corpus spec declares, as `corpus_spec` wrote it."""
    return SacrebleuMetric(spec.name, spec.params.get("bleu_tokenizer"))


def _hypothesis(record: ScoredSample) -> str:
    return record.extracted or ""


class SacrebleuMetric(CorpusMetric):
    """One of BLEU, chrF (character 6-grams, beta 2) or chrF++ (plus word bigrams), sacrebleu defaults."""

    def __init__(self, name: str, bleu_tokenizer_override: str | None = None) -> None:
        if name not in METRIC_NAMES:
            raise TaskConfigError(f"unknown sacrebleu metric {name!r}; known: {', '.join(METRIC_NAMES)}")
        self.name = name
        self.override = bleu_tokenizer_override
        self._scorer = self._metric(DEFAULT_BLEU_TOKENIZER)

    def _metric(self, tokenizer: str) -> Any:
        from sacrebleu.metrics import BLEU, CHRF

        if self.name == "bleu":
            return BLEU(tokenize=tokenizer)
        return CHRF(word_order=2 if self.name == "chrf++" else 0)

    def _tokenizer_of(self, record: ScoredSample) -> str:
        return bleu_tokenizer(record.language, self.override) if self.name == "bleu" else "char"

    def statistics(self, records: Sequence[ScoredSample]) -> np.ndarray:
        import numpy as np

        by_tokenizer: dict[str, list[int]] = defaultdict(list)
        for position, record in enumerate(records):
            by_tokenizer[self._tokenizer_of(record)].append(position)
        rows: list[Any] = [None] * len(records)
        for tokenizer, positions in by_tokenizer.items():
            metric = self._metric(tokenizer)
            stats = metric._extract_corpus_statistics(
                [_hypothesis(records[p]) for p in positions], [[records[p].reference for p in positions]]
            )
            for position, row in zip(positions, stats, strict=True):
                rows[position] = row
        return np.asarray(rows, dtype=float)

    def score(self, totals: np.ndarray) -> float:
        return float(self._scorer._compute_score_from_stats([float(value) for value in totals]).score)

    def describe(self, records: Sequence[ScoredSample]) -> dict[str, Any]:
        """The sacrebleu signature of each language's computation (kind and scale are in the spec)."""
        signatures: dict[str, str] = {}
        for record in records:
            if record.language in signatures or not self.applies(record):
                continue
            metric = self._metric(self._tokenizer_of(record))
            metric.corpus_score([_hypothesis(record)], [[record.reference]])
            signatures[record.language] = metric.get_signature().format()
        distinct = sorted(set(signatures.values()))
        return {
            "implementation": f"sacrebleu {version('sacrebleu')}",
            "signature": distinct[0] if len(distinct) == 1 else "; ".join(distinct),
            "signatures": dict(sorted(signatures.items())),
        }
