"""ALM-Bench's multiple-choice answers (`answer (Options: a, b, c)`), read three ways.

- `fork_reference`: the TowerVision paper's lmms-eval task (deep-spin/lmms-eval, branch
  `multiling_multimodal_tasks_add`, `lmms_eval/tasks/alm_bench/utils.py`, `split_answer_options`),
  reproduced in behaviour: ASCII brackets and colon only, ten option words, nothing after the closing
  bracket, the answer kept as written (a trailing period too), options split on commas only.
- `authors_options_line` / `authors_ground_truth`: the ALM-Bench authors' string splits
  (mbzuai-oryx/ALM-Bench, `Evaluation/scripts/qwen2hf.py` for the MCQ prompt's options line,
  `Evaluation/GPTScoring.py` for the judge's ground truth): the text between the first brackets,
  label word included, and the text before the first bracket, never stripped.
- `robust_mcq`: what a careful reader takes from the data: the last bracketed `label: options`
  group, full-width brackets and colons, any label word, options split on every list separator;
  an item it cannot read unambiguously (no group, two groups, an answer that is not an option)
  comes back as the reason it cannot be scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tv_eval.api import ParsedOptions, normalize_answer

# Sample metadata holding the question and answer as the data stores them (the protocols read them).
RAW_QUESTION, RAW_ANSWER = "translated_question", "translated_answer"

# The option words the fork's regex lists, matched case-insensitively; the French one is written
# with a space before the colon, as the fork has it.
FORK_OPTION_WORDS = (
    "Options",
    "Opties",
    "옵션",
    "选项",
    "Opciones",
    "opzioni",
    "Варианты",
    "choix ",
    "Opções",
    "Optionen",
)
_FORK_WORDS = "|".join(re.escape(word) for word in FORK_OPTION_WORDS)
# Lazy answer, the first bracket whose label is a known word, lazy options up to a final ")": `.`
# does not cross a newline, as in the fork (no DOTALL).
_FORK_PATTERN = re.compile(rf"^(.*?)\s*\((?:{_FORK_WORDS}):\s*(.*?)\)$", re.IGNORECASE)
_FORK_SEPARATOR = re.compile(r"\s*,\s*")

NO_OPTIONS = "multiple-choice answer has no '(Options: ...)' list"
TWO_GROUPS = "multiple-choice answer has two '(Options: ...)' groups"
TOO_FEW = "multiple-choice answer lists fewer than two options"

_OPEN, _CLOSE = "(（", ")）"
_LABEL = re.compile(r"^\s*(?P<label>[^:：()（）]{1,40}?)\s*[:：]\s*(?P<options>.*)$", re.DOTALL)
_SEPARATOR_CHARS = ",，、،;；"
_SEPARATOR = re.compile(rf"\s*[{_SEPARATOR_CHARS}]\s*")
_TRAILING_REMARK = re.compile(r"\s*[(（][^()（）]*[)）]$")


@dataclass(frozen=True)
class ForkReference:
    """The fork's reading: the exact-match target and the choices block of its prompt; both None
    when its regex does not match (the prompt then shows `None` and the item scores 0)."""

    target: str | None
    choices: str | None


def fork_reference(text: str) -> ForkReference:
    match = _FORK_PATTERN.match(text.strip())
    if match is None:
        return ForkReference(None, None)
    return ForkReference(match.group(1).strip(), _FORK_SEPARATOR.sub("\n", match.group(2)))


def fork_prompt(pre_prompt: str, question: str, answer: str) -> str:
    """The fork's `alm_bench_doc_to_text`: one space after the pre-prompt, the question as stored."""
    return f"{pre_prompt} {question}\n{fork_reference(answer).choices}"


def fork_exact_match(prediction: str, answer: str) -> bool:
    """lmms-eval strips the generated text; the target is compared as the fork parsed it."""
    target = fork_reference(answer).target
    return target is not None and prediction.strip() == target


def authors_options_line(text: str) -> str | None:
    """qwen2hf.py's options line: inside the first full-width brackets if the text has one, else
    inside the first ASCII ones; None where the script's split raises (it then skips the item)."""
    opening, closing = ("（", "）") if "（" in text else ("(", ")")
    pieces = text.split(opening)
    return pieces[1].split(closing)[0] if len(pieces) > 1 else None


def authors_ground_truth(text: str) -> str:
    """GPTScoring.py's MCQ ground truth: the text before the first bracket (full-width first), unstripped."""
    return text.split("（" if "（" in text else "(")[0]


@lru_cache(maxsize=1 << 16)
def robust_mcq(text: str) -> ParsedOptions | str:
    """The answer and options of an item, or the reason the item cannot be scored. Remembered (the
    result is immutable; 65,536 texts hold all of ALM-Bench's 22,763 rows): a run asks it of each
    item when loading, when counting what the model must answer, when setting aside what it need
    not and when scoring."""
    stripped = text.strip().rstrip(".。").rstrip()
    opening = _final_group_start(stripped)
    if opening is None:
        return NO_OPTIONS
    group = _LABEL.match(stripped[opening + 1 : -1])
    answer = stripped[:opening].strip()
    if group is None or not answer:
        return NO_OPTIONS
    label = group.group("label")
    if re.search(rf"[(（]\s*{re.escape(label)}\s*[:：]", answer, re.IGNORECASE):
        return TWO_GROUPS
    options = _options_holding(group.group("options"), answer)
    if len(options) < 2:
        return TOO_FEW
    chosen = _as_option(answer, options)
    if chosen is None:
        return f"multiple-choice answer {answer!r} is not among its options"
    return ParsedOptions(answer=chosen, options=options, label=label)


def answer_fields(question_type: str | None, raw_answer: str) -> tuple[str, tuple[str, ...]]:
    """A sample's reference and options: a multiple-choice answer as the robust reader reads it
    where it can, else the answer as stored (stripped) without options."""
    if question_type == "mcq":
        parsed = robust_mcq(raw_answer)
        if not isinstance(parsed, str):
            return parsed.answer, parsed.options
    return raw_answer.strip(), ()


def _final_group_start(text: str) -> int | None:
    """Where the bracketed group that ends `text` opens, brackets inside it balanced."""
    if not text or text[-1] not in _CLOSE:
        return None
    depth = 0
    for position in range(len(text) - 1, -1, -1):
        if text[position] in _CLOSE:
            depth += 1
        elif text[position] in _OPEN:
            depth -= 1
            if depth == 0:
                return position
    return None


def _options_holding(raw: str, answer: str) -> tuple[str, ...]:
    """The options split on list separators, except that the answer's own text stays one option
    when it holds a separator itself (`Washington, D.C.`)."""
    position = raw.find(answer)
    before, after = raw[:position].rstrip(), raw[position + len(answer) :].lstrip()
    bounded = (
        position >= 0
        and _SEPARATOR.search(answer) is not None
        and (not before or before[-1] in _SEPARATOR_CHARS)
        and (not after or after[0] in _SEPARATOR_CHARS)
    )
    if not bounded:
        return _split_options(raw)
    return (*_split_options(before), answer, *_split_options(after))


def _split_options(raw: str) -> tuple[str, ...]:
    return tuple(piece for piece in _SEPARATOR.split(raw.strip()) if piece)


def _as_option(answer: str, options: tuple[str, ...]) -> str | None:
    """The option the answer names: itself, or itself without a trailing remark in brackets."""
    normalized = {normalize_answer(option): option for option in options}
    for candidate in (answer, _TRAILING_REMARK.sub("", answer)):
        if normalize_answer(candidate) in normalized:
            return candidate
    return None
