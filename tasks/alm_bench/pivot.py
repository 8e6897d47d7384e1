"""`alm_bench.pivot_pairs=true`: every item asked a second time in English, on the same image.

ALM-Bench gives each item in its language and in English (`English_Question`, `English_Answer`), so
the English version of an item is a paired pivot answer: the same question, image and (for multiple
choice) options, differing only in language. The pivot sample is a sample of its own (id
`<item id>/pivot-en`, its own request and cache entry, scored like any other English item) and
carries the pair key and target language of `tv_eval.api.pivot_metadata`, so results keep it out of
the English row (see tv_eval/core/pairs.py) and `tv-eval transfer` pairs it with its item.

Items already in English get no pivot (they would pair with themselves), nor do items without an
English question. Only `data=alm-bench` has the English columns; the fork's copies do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from tasks.alm_bench.answers import RAW_ANSWER, RAW_QUESTION, answer_fields
from tv_eval.api import PAIR_KEY, Sample, TaskConfigError, TierMap, language_info, pivot_metadata

PIVOT_OPTION = "pivot_pairs"
PIVOT_LANGUAGE = "en"
PIVOT_LANGUAGE_NAME = "English"
# Target-sample metadata the pivot is built from: the English columns as stored (unstripped).
ENGLISH_QUESTION, ENGLISH_RAW_ANSWER = "english_question", "english_raw_answer"
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def pivot_pairs_requested(options: Mapping[str, Any], data_name: str) -> bool:
    """The option's value; pivots need the English columns, which only `alm-bench` data has."""
    value = str(options.get(PIVOT_OPTION, "false")).strip().lower()
    if value not in _TRUE + _FALSE:
        raise TaskConfigError(f"alm_bench: {PIVOT_OPTION} takes true or false, got {value!r}")
    requested = value in _TRUE
    if requested and data_name != "alm-bench":
        raise TaskConfigError(
            f"alm_bench: {PIVOT_OPTION} needs the English columns of data alm-bench; "
            f"data {data_name} has none"
        )
    return requested


def pivot_id(target_id: str) -> str:
    return f"{target_id}/pivot-{PIVOT_LANGUAGE}"


def pivot_fields(sample_id: str, raw_question: str, raw_answer: str) -> dict[str, str]:
    """What a target sample keeps: its pair key (its own id), and the English question and answer
    as stored, from which its pivot is built after loading."""
    return {PAIR_KEY: sample_id, ENGLISH_QUESTION: raw_question, ENGLISH_RAW_ANSWER: raw_answer}


def with_pivots(samples: Sequence[Sample], tier_map: TierMap) -> list[Sample]:
    """The samples, each followed by its English twin where it has one."""
    kept: list[Sample] = []
    for sample in samples:
        pivot = pivot_sample(sample, tier_map)
        kept += [sample] if pivot is None else [sample, pivot]
    return kept


def pivot_sample(target: Sample, tier_map: TierMap) -> Sample | None:
    """The English twin of `target`, or None where it has none: the English question and answer
    read as the task reads its own, and the prompt's language name `English`."""
    raw_question = str(target.metadata.get(ENGLISH_QUESTION, ""))
    raw_answer = str(target.metadata.get(ENGLISH_RAW_ANSWER, ""))
    if target.language == PIVOT_LANGUAGE or not raw_question.strip():
        return None
    reference, choices = answer_fields(target.question_type, raw_answer)
    return replace(
        target,
        sample_id=pivot_id(target.sample_id),
        language=PIVOT_LANGUAGE,
        tier=tier_map.tier_of(PIVOT_LANGUAGE),
        script=language_info(PIVOT_LANGUAGE).script,
        country=None,
        choices=choices,
        text=raw_question.strip(),
        reference=reference,
        metadata={
            "language_name": PIVOT_LANGUAGE_NAME,
            "english_answer": raw_answer.strip(),
            RAW_QUESTION: raw_question,
            RAW_ANSWER: raw_answer,
            **pivot_metadata(target.sample_id, target.language),
        },
        load_error=target.load_error if target.image is None else None,
    )
