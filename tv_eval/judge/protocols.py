"""Judge protocols: how a judge is asked about one answer, and how its reply is read.

A protocol is data (prompt templates, whose hash goes into results.json) plus a named parser
(tv_eval/judge/parsers.py). A parser returns the sample's scores, or None when the reply cannot be
read: the judge stage then marks the sample `judge_failed` and never falls back to another metric.

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

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from tv_eval.judge.parsers import PARSERS


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


# The judge writes a rationale before its rating (LAVE's default, rationalize=True); lave_ft5.py
# allows Flan-T5 100 new tokens. A chat judge's rationale runs longer, and a reply cut off before
# its rating is unreadable (robust) or read as 2 (official), so the budget leaves ample room.
LAVE_MAX_NEW_TOKENS = 512


def lave_protocol(official: bool = False) -> JudgeProtocol:
    """`official`: read replies as lave_ft5.py does (last token, else rating 2), for a faithful run."""
    demos = _lave_demos()
    return JudgeProtocol(
        name="lave",
        parser="lave_official" if official else "lave_rating_1_3",
        templates={
            "task_definition": LAVE_TASK_DEFINITION,
            "example": LAVE_EXAMPLE,
            "demos": json.dumps(demos, sort_keys=True, ensure_ascii=False),
        },
        max_new_tokens=LAVE_MAX_NEW_TOKENS,
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


def video_qa_protocol(official: bool = False) -> JudgeProtocol:
    """`official`: read replies as evaluate_activitynet_qa.py does (int(score), any "yes")."""
    return JudgeProtocol(
        name="video_chatgpt_qa",
        parser="video_chatgpt_official" if official else "video_chatgpt_pred_score",
        templates={"user": VIDEO_QA_USER},
        system=VIDEO_QA_SYSTEM,
        max_new_tokens=48,
    )


def video_qa_prompt(question: str, answer: str, prediction: str) -> JudgePrompt:
    return JudgePrompt(
        system=VIDEO_QA_SYSTEM,
        user=VIDEO_QA_USER.format(question=question, answer=answer, prediction=prediction),
    )
