"""Judge protocols: how a judge is asked about one answer, and how its reply is read.

A protocol is data (prompt templates, whose hash goes into results.json) plus a named parser. A
parser returns the sample's scores, or None when the reply cannot be read: the judge stage then
marks the sample `judge_failed` and never falls back to another metric.

The wording of the protocols below is the benchmarks' own, as their protocols require:
- `score_out_of_10`: ALM-Bench's Evaluation/GPTScoring.py (mbzuai-oryx/ALM-Bench); the task supplies
  the per-question-type templates, this module the parser (a bare number, 0-10).
- `lave`: LAVE (Mañas, Krojer and Agrawal, "Improving Automatic VQA Evaluation Using Large Language
  Models", AAAI 2024; mair-lab/lave lave.py), as CulturalVQA (Nayak et al., EMNLP 2024) uses it.
- `video_chatgpt_qa`: the open-ended video-QA judge of Video-ChatGPT (mbzuai-oryx/Video-ChatGPT,
  quantitative_evaluation/evaluate_activitynet_qa.py), the MBZUAI video-QA protocol ViMUL-Bench reports
  accuracy with.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

Parser = Callable[[str], dict[str, float] | None]


@dataclass(frozen=True)
class JudgeProtocol:
    """Everything that identifies how answers are judged; `templates` are hashed into the results."""

    name: str
    parser: str
    templates: Mapping[str, str]
    max_new_tokens: int = 64
    system: str | None = None

    def templates_hash(self) -> str:
        canonical = json.dumps(
            {"system": self.system, "templates": dict(self.templates), "parser": self.parser},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def parse(self, text: str) -> dict[str, float] | None:
        return PARSERS[self.parser](text)


@dataclass(frozen=True)
class JudgePrompt:
    """The judge's input for one sample."""

    user: str
    system: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


# Parsers

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)")


def parse_score_out_of_10(text: str) -> dict[str, float] | None:
    """ALM-Bench: 'Strictly return only the numeric score'; the first number, which must lie in 0-10."""
    match = _NUMBER.search(text.strip())
    if not match:
        return None
    value = float(match.group(1))
    if not 0.0 <= value <= 10.0:
        return None
    return {"score": value / 10.0}


_LAVE_RATING = re.compile(r"rating\s*[=:]\s*([123])\b", re.IGNORECASE)


def parse_lave(text: str) -> dict[str, float] | None:
    """LAVE: the rating after 'rating=' (the format its demonstrations teach), else a final bare 1-3.

    The rating r maps to (r - 1) / 2, so incorrect, ambiguous and correct score 0, 0.5 and 1.
    """
    found = _LAVE_RATING.findall(text)
    if found:
        rating = int(found[-1])
    else:
        stripped = text.strip().rstrip(".")
        if not stripped or stripped[-1] not in "123" or (len(stripped) > 1 and stripped[-2].isdigit()):
            return None
        rating = int(stripped[-1])
    return {"lave": (rating - 1) / 2}


_PRED = re.compile(r"""['"]pred['"]\s*:\s*['"]\s*(yes|no)\b""", re.IGNORECASE)
_SCORE = re.compile(r"""['"]score['"]\s*:\s*['"]?\s*(\d+(?:\.\d+)?)""", re.IGNORECASE)


def parse_video_chatgpt(text: str) -> dict[str, float] | None:
    """Video-ChatGPT: a dict {'pred': 'yes'|'no', 'score': 0-5}; yes is correct (accuracy 1).

    The original reads the reply with ast.literal_eval; replies wrapped in prose or code fences are
    read by pattern instead. A reply with neither yes nor no, or a score outside 0-5, is unreadable.
    """
    pred: str | None = None
    score: float | None = None
    literal = re.search(r"\{.*\}", text, re.DOTALL)
    if literal:
        try:
            value = ast.literal_eval(literal.group(0))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, dict):
            raw_pred, raw_score = str(value.get("pred", "")).strip().lower(), value.get("score")
            pred = raw_pred if raw_pred in ("yes", "no") else None
            try:
                score = float(raw_score) if raw_score is not None else None
            except (TypeError, ValueError):
                score = None
    if pred is None:
        match = _PRED.search(text)
        pred = match.group(1).lower() if match else None
    if score is None:
        match = _SCORE.search(text)
        score = float(match.group(1)) if match else None
    if pred is None or score is None or not 0.0 <= score <= 5.0:
        return None
    return {"accuracy": 1.0 if pred == "yes" else 0.0, "judge_score": score / 5.0}


PARSERS: dict[str, Parser] = {
    "score_out_of_10": parse_score_out_of_10,
    "lave_rating_1_3": parse_lave,
    "video_chatgpt_pred_score": parse_video_chatgpt,
}


# LAVE


@lru_cache(maxsize=1)
def _lave_demos() -> dict[str, list[dict[str, Any]]]:
    return json.loads((resources.files("tv_eval") / "data" / "lave_demos.json").read_text(encoding="utf-8"))


LAVE_TASK_DEFINITION = (
    "You are given a question, a set of gold-standard reference answers written by experts, and a candidate "
    "answer. Please rate the accuracy of the candidate answer for the question considering the reference "
    "answers. Use a scale of 1-3, with 1 indicating an incorrect or irrelevant answer, 2 indicating an "
    "ambiguous or incomplete answer, and 3 indicating a correct answer. Give the rationale before rating."
    "\n\nTHIS IS VERY IMPORTANT: A binary question should only be answered with 'yes' or 'no', otherwise "
    "the candidate answer is incorrect (rating=1)."
)
LAVE_EXAMPLE = (
    "Question: '{question}'\nReference answers: {references}\n"
    "Candidate answer: '{prediction}'\nOutput: {output}"
)


def _lave_filter(references: Sequence[str], share: float = 0.25) -> list[str]:
    """LAVE drops answers given at most a quarter as often as the most frequent one."""
    counts = Counter(references)
    most = max(counts.values())
    outliers = {answer for answer, count in counts.items() if count / most <= share}
    return [answer for answer in references if answer not in outliers]


def _lave_references(references: Sequence[str], filter_outliers: bool) -> str:
    kept = _lave_filter(references) if filter_outliers else list(references)
    return ", ".join(f"'{answer}'" for answer in sorted(kept))


def lave_is_binary(references: Sequence[str]) -> bool:
    return Counter(references).most_common(1)[0][0].lower().rstrip(".") in ("yes", "no")


def lave_prompt(question: str, references: Sequence[str], prediction: str) -> str:
    """LAVE's 8-shot prompt with rationales (its defaults), binary demonstrations for yes/no questions."""
    if not references:
        raise ValueError("LAVE needs at least one reference answer")
    demos = _lave_demos()["binary" if lave_is_binary(references) else "general"]
    parts = [LAVE_TASK_DEFINITION]
    for demo in demos:
        parts.append(
            LAVE_EXAMPLE.format(
                question=demo["question"],
                references=_lave_references(demo["references"], filter_outliers=False),
                prediction=demo["prediction"],
                output=f"{demo['explanation']} So rating={demo['output']}",
            )
        )
    parts.append(
        LAVE_EXAMPLE.format(
            question=question,
            references=_lave_references(references, filter_outliers=True),
            prediction=prediction,
            output="",
        )
    )
    return "\n\n".join(parts).strip()


def lave_protocol() -> JudgeProtocol:
    demos = _lave_demos()
    return JudgeProtocol(
        name="lave",
        parser="lave_rating_1_3",
        templates={
            "task_definition": LAVE_TASK_DEFINITION,
            "example": LAVE_EXAMPLE,
            "demos": json.dumps(demos, sort_keys=True, ensure_ascii=False),
        },
        max_new_tokens=128,
    )


# Video-ChatGPT open-ended video QA

VIDEO_QA_SYSTEM = (
    "You are an intelligent chatbot designed for evaluating the correctness of generative outputs for "
    "question-answer pairs. Your task is to compare the predicted answer with the correct answer and "
    "determine if they match meaningfully. Here's how you can accomplish the task:------##INSTRUCTIONS: "
    "- Focus on the meaningful match between the predicted answer and the correct answer.\n"
    "- Consider synonyms or paraphrases as valid matches.\n"
    "- Evaluate the correctness of the prediction compared to the answer."
)
VIDEO_QA_USER = (
    "Please evaluate the following video-based question-answer pair:\n\n"
    "Question: {question}\n"
    "Correct Answer: {answer}\n"
    "Predicted Answer: {prediction}\n\n"
    "Provide your evaluation only as a yes/no and score where the score is an integer value between 0 and 5, "
    "with 5 indicating the highest meaningful match. Please generate the response in the form of a Python "
    "dictionary string with keys 'pred' and 'score', where value of 'pred' is  a string of 'yes' or 'no' and "
    "value of 'score' is in INTEGER, not STRING.DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. Only "
    "provide the Python dictionary string. For example, your response should look like this: "
    "{{'pred': 'yes', 'score': 4.8}}."
)


def video_qa_protocol() -> JudgeProtocol:
    return JudgeProtocol(
        name="video_chatgpt_qa",
        parser="video_chatgpt_pred_score",
        templates={"user": VIDEO_QA_USER},
        system=VIDEO_QA_SYSTEM,
        max_new_tokens=48,
    )


def video_qa_prompt(question: str, answer: str, prediction: str) -> JudgePrompt:
    return JudgePrompt(
        system=VIDEO_QA_SYSTEM,
        user=VIDEO_QA_USER.format(question=question, answer=answer, prediction=prediction),
    )
