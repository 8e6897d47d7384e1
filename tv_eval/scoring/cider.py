"""CIDEr (Vedantam et al. 2015) for captioning, from pycocoevalcap's `Cider` scorer, per language.

CIDEr weighs each n-gram by its inverse document frequency over the references of the evaluated set,
so a score depends on the whole set, not on one caption. pycocoevalcap computes those frequencies
over every image it is given and returns each image's score; the set's CIDEr is their mean (the
number the TowerVision fork reports, deep-spin/lmms-eval `lmms_eval/tasks/xm100/utils.py`, which
calls the same scorer on one language's split at a time). Here the scorer is called once per
language on all of that language's captioned images, and each image keeps its score as its segment
statistic: a language's CIDEr is exactly pycocoevalcap's for that language, a group's (a tier, a
subset of images) is the mean of its images' scores under their language's frequencies, and
bootstrap intervals redraw images with the frequencies held fixed.

Tokenisation replaces pycocoevalcap's PTB tokenizer, which needs Java: captions are NFC-normalised and
lower-cased, and punctuation is dropped, as the PTB step does. Spaced scripts are split into words (runs
of letters, marks and digits); scripts written without spaces (Chinese, Japanese, Thai, ...) into
grapheme clusters, so that n-grams of up to four characters stand in for words, which whitespace
would never separate (the fork passes such captions to the PTB tokenizer whole, one token a sentence).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import regex

from tv_eval.core.metrics import MetricKind, MetricScale, MetricSpec
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.corpus_metrics import CorpusMetric

if TYPE_CHECKING:
    import numpy as np

CIDER = "cider"
# Languages whose script puts no spaces between words: tokens are grapheme clusters.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "yue"})
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_GRAPHEME = regex.compile(r"\X")
_KEPT = regex.compile(r"[\p{L}\p{M}\p{N}]")


def base_language(tag: str) -> str:
    return tag.split("-")[0].lower()


def tokenisation(language: str) -> str:
    """How captions in `language` are split: `grapheme` for unspaced scripts, else `word`."""
    return "grapheme" if base_language(language) in UNSPACED_LANGUAGES else "word"


def caption_tokens(text: str, language: str) -> list[str]:
    """The caption as CIDEr's tokens: NFC, lower case, no punctuation; words or grapheme clusters."""
    normalised = unicodedata.normalize("NFC", text).lower()
    if tokenisation(language) == "word":
        return _WORD.findall(normalised)
    return [cluster for cluster in _GRAPHEME.findall(normalised) if _KEPT.search(cluster)]


def references_of(record: ScoredSample) -> list[str]:
    """A record's reference captions: `metadata["references"]` where the task stored several, else
    its one `reference`."""
    references = record.metadata.get("references")
    if references:
        return [str(reference) for reference in references]
    return [record.reference]


def cider_spec(*, primary: bool = False) -> MetricSpec:
    return MetricSpec(
        CIDER,
        MetricKind.CORPUS,
        MetricScale.UNIT,
        primary=primary,
        description="CIDEr (pycocoevalcap), document frequencies per language; shown x100, may exceed 1",
    )


def image_scores(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]], language: str
) -> list[float]:
    """pycocoevalcap's CIDEr of each image, with document frequencies over these images' references."""
    from pycocoevalcap.cider.cider import Cider

    def joined(text: str) -> str:
        return " ".join(caption_tokens(text, language))

    candidates = {index: [joined(text)] for index, text in enumerate(hypotheses)}
    refs = {index: [joined(text) for text in group] for index, group in enumerate(references)}
    _, scores = Cider().compute_score(refs, candidates)
    return [float(score) for score in scores]


class CiderMetric(CorpusMetric):
    """CIDEr with per-language document frequencies; each record's statistics are (its score, 1)."""

    name = CIDER

    def applies(self, record: ScoredSample) -> bool:
        return super().applies(record) and any(text.strip() for text in references_of(record))

    def statistics(self, records: Sequence[ScoredSample]) -> np.ndarray:
        import numpy as np

        by_language: dict[str, list[int]] = defaultdict(list)
        for position, record in enumerate(records):
            by_language[record.language].append(position)
        rows = np.zeros((len(records), 2))
        rows[:, 1] = 1.0
        for language, positions in by_language.items():
            scores = image_scores(
                [records[p].extracted or "" for p in positions],
                [references_of(records[p]) for p in positions],
                language,
            )
            rows[positions, 0] = scores
        return rows

    def score(self, totals: np.ndarray) -> float:
        return float(totals[0] / totals[1]) if totals[1] else 0.0

    def describe(self, records: Sequence[ScoredSample]) -> dict[str, Any]:
        languages = sorted({record.language for record in records if self.applies(record)})
        return {
            "implementation": f"pycocoevalcap {version('pycocoevalcap')} Cider (n=4, sigma=6)",
            "signature": "document frequencies per language over the evaluated references; "
            "NFC, lower case, punctuation dropped; words, or grapheme clusters for unspaced scripts",
            "tokenisation": {language: tokenisation(language) for language in languages},
        }
