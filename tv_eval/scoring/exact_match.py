"""Normalised exact match, the family open VQA benchmarks score with: an answer form (how a string is
normalised before comparing) and a rule (equal to a reference, containing one, starting or ending with one).

The forms are the VQA evaluation's (`vqa_normalize`), a multilingual one built on it (`robust_answer`), and
the bare ones that benchmarks' reference scorers use (`lowered`, `mtvqa_form`); each task says which form
and rule each of its scoring modes uses, and cites the scorer it follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib import resources

from tv_eval.scoring.normalization import normalize_answer

AnswerForm = Callable[[str], str]

# The VQA evaluation (Antol et al. 2015; GT-Vision-Lab/VQA, PythonEvaluationTools/vqaEval.py): these
# characters are deleted, or replaced by a space where none of them touches a space and no digit-comma-digit
# occurs; number words up to ten become digits; English articles are dropped; contractions regain their
# apostrophe (tv_eval/data/vqa_contractions.yaml).
VQA_PUNCTUATION = ';/[]"{}()=+\\_-><@`,?!'
NUMBER_WORDS = {
    "none": "0",
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}
ARTICLES = frozenset({"a", "an", "the"})
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
# vqaEval.py writes `(?!<=\d)(\.)(?!\d)`: the first look-ahead never fails at a '.', so a period is removed
# unless a digit follows. It passes `re.UNICODE` (32) where `sub` takes its count: at most 32 go.
_PERIOD = re.compile(r"\.(?!\d)")
_VQA_PERIOD_LIMIT = 32
# The TowerVision fork maps these reference answers before its relaxed match (maxm/utils.py,
# map_bool_to_yes_no, compared case-insensitively).
_BOOLEAN_ANSWERS = {"true": "yes", "false": "no"}


@lru_cache(maxsize=1)
def vqa_contractions() -> Mapping[str, str]:
    import yaml

    text = (resources.files("tv_eval") / "data" / "vqa_contractions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def vqa_punctuation(text: str) -> str:
    """VQA's punctuation step: whether a mark is deleted or spaced is decided on the text as given."""
    keep_together = _DIGIT_COMMA_DIGIT.search(text) is not None
    out = text
    for mark in VQA_PUNCTUATION:
        touching = f"{mark} " in text or f" {mark}" in text
        out = out.replace(mark, "" if touching or keep_together else " ")
    return _PERIOD.sub("", out, count=_VQA_PERIOD_LIMIT)


def vqa_words(text: str) -> str:
    """VQA's word step: lower-cased words, number words as digits, no articles, contractions restored."""
    contractions = vqa_contractions()
    words = [NUMBER_WORDS.get(word, word) for word in text.lower().split()]
    return " ".join(contractions.get(word, word) for word in words if word not in ARTICLES)


def vqa_normalize(text: str) -> str:
    """An answer as the VQA evaluation compares it (newlines and tabs read as spaces, as vqaEval.py does)."""
    return vqa_words(vqa_punctuation(text.replace("\n", " ").replace("\t", " ").strip()))


def robust_answer(text: str) -> str:
    """The VQA form after Unicode folding (NFKC, case-folded, digits of every script as ASCII, wrapping
    quotes and final punctuation of any script dropped), so `"Rouge."`, `rouge` and `ＲＯＵＧＥ` agree."""
    return vqa_normalize(normalize_answer(text))


def lowered(text: str) -> str:
    """Stripped and lower-cased, nothing else (the xGQA scorer of the TowerVision fork)."""
    return text.strip().lower()


def mtvqa_form(text: str) -> str:
    """Stripped, lower-cased, every '.' removed (lmms-eval's MTVQA scorer, tasks/mtvqa/utils.py)."""
    return text.strip().lower().replace(".", "")


def reference_forms(references: Iterable[str], form: AnswerForm) -> list[str]:
    """The references' forms, those that normalise to nothing left out: an empty reference would match an
    empty answer (exact) or every answer (containment), which no benchmark means."""
    return [shaped for shaped in (form(reference) for reference in references) if shaped]


def exact_match(prediction: str, references: Iterable[str], form: AnswerForm) -> float:
    """1.0 when the prediction's form equals that of any (non-empty) reference."""
    answer = form(prediction)
    return float(answer in reference_forms(references, form))


def contains_match(prediction: str, references: Iterable[str], form: AnswerForm) -> float:
    """1.0 when the prediction's form contains that of any (non-empty) reference."""
    answer = form(prediction)
    return float(any(shaped in answer for shaped in reference_forms(references, form)))


def fork_relaxed_match(prediction: str, references: Iterable[str]) -> float:
    """MaXM's `relaxed_accuracy` as the TowerVision fork computes it (deep-spin/lmms-eval, branch
    multiling_multimodal_tasks_add, lmms_eval/tasks/maxm/utils.py: generated_label_classification_evaluation
    on lists of answers). Its quirks are kept, since they decide its numbers: the prediction is wrapped in a
    one-element list whose Python text (brackets, quotes) is what gets normalised; newlines are deleted, not
    spaced; the VQA form applies to the prediction only, the references are just stripped (case kept), with
    true/false read as yes/no; a match is the normalised prediction starting or ending with a reference."""
    rendered = str([prediction.rstrip(".")]).strip()
    answer = vqa_words(vqa_punctuation(rendered.replace("\n", "").replace("\t", "").strip())).strip("'")
    for reference in references:
        gold = reference.strip()
        gold = _BOOLEAN_ANSWERS.get(gold.lower(), gold)
        if answer.startswith(gold) or answer.endswith(gold):
            return 1.0
    return 0.0
