"""How a judge's reply is read: one parser per protocol and reading, each returning scores or None.

None means the reply cannot be read unambiguously: the judge stage marks the sample `judge_failed`
and never guesses a score. Two readings exist where the benchmark's own code reads replies in a way
a careful reader would not:
- the default (robust) readings accept a reply only when one verdict can be read from it, wherever
  the format around it drifts (prose, code fences, markdown);
- the `*_official` readings do what the benchmark's released code does with the same reply, so a
  faithful run reproduces its numbers. Where that code would crash or loop (it re-asks until a reply
  parses), they return None. tests/judge_vectors/ states the official result of every case tested.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

Parser = Callable[[str], dict[str, float] | None]

# a number standing alone: not inside a word or another number; the sign is kept to refuse negatives
_NUMBER = re.compile(r"(?<![\w.])([-\u2212]?)(\d+(?:\.\d+)?)(?!\w)(?!\.\d)")
_OUT_OF_10 = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*10(?!\.?\d)", re.IGNORECASE)


def _numbers(text: str) -> list[tuple[str, str]]:
    """(sign, digits) of every standalone number."""
    return _NUMBER.findall(text)


def parse_score_out_of_10(text: str) -> dict[str, float] | None:
    """ALM-Bench GPTScoring.py asks for 'only the numeric score' (0-10) and stores the reply string.

    The score is read only when the reply holds exactly one number, unsigned, in 0-10 ("N/10" and
    "N out of 10" count as that one number). So `-3` or `On a scale of 0 to 10, I give 9` is
    unreadable, never 0.3 or 0.0.
    """
    numbers = _numbers(_OUT_OF_10.sub(r"\1", text))
    if len(numbers) != 1:
        return None
    sign, digits = numbers[0]
    value = float(digits)
    if sign or not 0.0 <= value <= 10.0:
        return None
    return {"score": value / 10.0}


# LAVE (mair-lab/lave): ratings 1-3 mapped to (r - 1) / 2

_LAVE_MARKER = re.compile(r"rating\s*(?:=|:|is)?\s*[*_`'\"]*\s*([-\u2212]?\d+(?:\.\d+)?)", re.IGNORECASE)
_LAVE_RATINGS = ("1", "2", "3")
LAVE_OFFICIAL_FALLBACK = "2"


def _lave_scores(rating: str) -> dict[str, float]:
    return {"lave": (int(rating) - 1) / 2}


def parse_lave(text: str) -> dict[str, float] | None:
    """The last 'rating=N' (the form LAVE's demonstrations teach), else a reply whose only number is
    its last word. A marked rating outside 1-3, or a bare number among others (`2 out of 3`), is
    unreadable."""
    marked = _LAVE_MARKER.findall(text)
    if marked:
        rating = marked[-1]
        return _lave_scores(rating) if rating in _LAVE_RATINGS else None
    numbers = _numbers(text)
    tail = re.search(r"(\d+)\W*$", text)
    if len(numbers) != 1 or numbers[0][0] or tail is None or tail.group(1) != numbers[0][1]:
        return None
    return _lave_scores(numbers[0][1]) if numbers[0][1] in _LAVE_RATINGS else None


_LAST_TOKEN = re.compile(r"(\d+|[^\W\d_]+|\S)\s*$")


def parse_lave_official(text: str) -> dict[str, float]:
    """lave_ft5.py `postprocess`: the last generated token is the rating; anything but 1, 2 or 3 is
    read as 2. A reply's last token is its trailing run of digits, of letters, or its last other
    character (a text approximation of Flan-T5's tokens, exact for a rating at the end, a trailing
    word or a trailing punctuation mark). Never None: the official reading always yields a rating."""
    match = _LAST_TOKEN.search(text)
    token = match.group(1) if match else ""
    return _lave_scores(token if token in _LAVE_RATINGS else LAVE_OFFICIAL_FALLBACK)


# Video-ChatGPT (mbzuai-oryx/Video-ChatGPT, quantitative_evaluation/evaluate_activitynet_qa.py)

_PRED = re.compile(r"""['"]pred['"]\s*:\s*['"]\s*(yes|no)\b""", re.IGNORECASE)
_SCORE = re.compile(r"""['"]score['"]\s*:\s*['"]?\s*([-\u2212]?\d+(?:\.\d+)?)""", re.IGNORECASE)


def _literal_dict(text: str) -> dict[object, object] | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _dict_pred_score(value: dict[object, object]) -> tuple[str | None, float | None]:
    """pred must say exactly yes or no, score be a number (a bool or a numeric string is not)."""
    pred = str(value.get("pred", "")).strip().lower().rstrip(".")
    raw = value.get("score")
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    written = isinstance(raw, str) and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", raw) is not None
    score = float(raw) if numeric or written else None
    return (pred if pred in ("yes", "no") else None), score


def _robust_pred_score(text: str) -> tuple[str | None, float | None]:
    """pred and score from the reply's dict literal when it has one, else by pattern when the reply
    names one pred and one score."""
    literal = re.search(r"\{.*\}", text, re.DOTALL)
    value = _literal_dict(literal.group(0)) if literal else None
    if value is not None:
        return _dict_pred_score(value)
    preds = {match.lower() for match in _PRED.findall(text)}
    scores = {float(match.replace("\u2212", "-")) for match in _SCORE.findall(text)}
    pred = preds.pop() if len(preds) == 1 else None
    score = scores.pop() if len(scores) == 1 else None
    return pred, score


def parse_video_chatgpt(text: str) -> dict[str, float] | None:
    """A dict {'pred': 'yes'|'no', 'score': 0-5}; yes is correct (accuracy 1), score / 5 is kept.

    The dict is read with ast.literal_eval as the original does; a reply wrapped in prose or code
    fences is read by pattern when it names one pred and one score. Neither yes nor no, two
    different verdicts, or a score outside 0-5 is unreadable.
    """
    pred, score = _robust_pred_score(text)
    if pred is None or score is None or not 0.0 <= score <= 5.0:
        return None
    return {"accuracy": 1.0 if pred == "yes" else 0.0, "judge_score": score / 5.0}


def parse_video_chatgpt_official(text: str) -> dict[str, float] | None:
    """evaluate_activitynet_qa.py: the whole reply through ast.literal_eval (a reply it cannot read is
    asked again, forever: None here), the score through int() (4.8 counts 4; the range is not
    checked), and a pred holding "yes" anywhere is correct, else one holding "no" is wrong.

    None where that code would crash (no dict, no 'score' or 'pred', int() refusing the score) or
    where a pred holds neither word: the official script then counts the score but leaves the
    sample out of accuracy, which one record with both metrics cannot express.
    """
    value = _literal_dict(text)
    if value is None or "score" not in value or not isinstance(value.get("pred"), str):
        return None
    try:
        score = int(value["score"])
    except (TypeError, ValueError, OverflowError):
        return None
    pred = str(value["pred"]).lower()
    if "yes" in pred:
        accuracy = 1.0
    elif "no" in pred:
        accuracy = 0.0
    else:
        return None
    return {"accuracy": accuracy, "judge_score": score / 5.0}


PARSERS: dict[str, Parser] = {
    "score_out_of_10": parse_score_out_of_10,
    "lave_rating_1_3": parse_lave,
    "lave_official": parse_lave_official,
    "video_chatgpt_pred_score": parse_video_chatgpt,
    "video_chatgpt_official": parse_video_chatgpt_official,
}
