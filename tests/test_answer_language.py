"""Answer-language identification, its too-short rule, the line-level check and the task hook."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tasks.alm_bench.task import AlmBenchPaperTask, AlmBenchTask
from tasks.commute.task import CommuteTask
from tasks.cultural_vqa.task import CulturalVqaTask
from tasks.multi30k.task import Multi30kTask
from tasks.vimul_bench.task import VimulBenchTask
from tv_eval.core.metrics import ANSWER_LANGUAGE, ANSWER_LANGUAGE_UNIDENTIFIED, primary_spec
from tv_eval.core.types import Sample, SampleStatus, ScoredSample
from tv_eval.data.language_match import same_language
from tv_eval.scoring.answer_language import check_answer_language, checked_record
from tv_eval.scoring.language_id import LOW_CONFIDENCE, TOO_SHORT, identify_answer

LABELLED = Path(__file__).parent.parent / "bench" / "data" / "short_answers.tsv"
NO_LANGUAGE = "und"
SWAHILI = "Hii ni picha ya pembetatu ya bluu."


def read_items() -> list[tuple[str, str]]:
    """(language, answer) of the labelled set: tab-separated after its comment lines and header."""
    lines = [line for line in LABELLED.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [tuple(line.split("\t")) for line in lines[1:] if line.strip()]  # type: ignore[misc]


# One short answer per language of the labelled set, each identified with confidence (from
# bench/data/short_answers.tsv); the code is the sample's, the identifier may spell it otherwise.
KNOWN = {
    "en": "Yes, it is a church.",
    "de": "Ja, das ist eine Kirche.",
    "fr": "Oui, c'est une église.",
    "es": "Está lloviendo en la ciudad.",
    "it": "Sì, è una chiesa.",
    "pt": "pão de queijo",
    "nl": "Ja, het is een kerk.",
    "sv": "Ja, det är en kyrka.",
    "no": "en bolle ris med grønnsaker",
    "pl": "czerwony autobus",
    "cs": "Ve městě prší.",
    "ru": "красный автобус",
    "uk": "борщ і пампушки",
    "tr": "kırmızı bir otobüs",
    "el": "σουβλάκι με πίτα",
    "hu": "egy piros busz",
    "ro": "Plouă în oraș.",
    "fi": "punainen bussi",
    "ar": "حافلة حمراء",
    "fa": "در شهر باران می\u200cبارد.",
    "he": "אוטובוס אדום",
    "hi": "हाँ, यह एक मंदिर है।",
    "mr": "शहरात पाऊस पडत आहे.",
    "ne": "हो, यो एउटा मन्दिर हो।",
    "bn": "মাছ আর ভাত",
    "ur": "بریانی اور چائے",
    "ta": "ஒரு சிவப்பு பேருந்து",
    "te": "దోస మరియు చట్నీ",
    "si": "රතු බස් රථයක්",
    "zh-Hans": "一辆红色的公交车",
    "zh-Hant": "臺灣的夜市",
    "ja": "赤いバス",
    "ko": "김치찌개",
    "th": "ต้มยำกุ้ง",
    "vi": "phở bò",
    "id": "Sedang hujan di kota.",
    "fil": "isang pulang bus",
    "sw": "Mvua inanyesha mjini.",
    "am": "ቀይ አውቶቡስ",
    "yo": "ọkọ̀ akérò pupa",
    "ha": "tuwon masara",
    "ig": "Ee, ọ bụ ụka.",
    "zu": "ibhasi elibomvu",
}


@pytest.mark.parametrize(("language", "answer"), sorted(KNOWN.items()))
def test_known_short_answers_are_identified_in_their_language(language: str, answer: str) -> None:
    found = identify_answer(answer)
    assert found.language is not None, found
    assert same_language(language, found.language), (answer, found)
    assert found.unidentified is None


def test_known_answers_span_thirty_languages_and_the_low_resource_ones() -> None:
    assert len(KNOWN) >= 30
    assert {"sw", "am", "yo", "ha", "te", "si", "ig", "zu"} <= set(KNOWN)


@pytest.mark.parametrize("answer", ["42", "1998", "12:30", "B", "(C)", "OK", "3,5 km", "", "  \n "])
def test_answers_with_fewer_than_three_letters_are_too_short(answer: str) -> None:
    assert identify_answer(answer).language is None
    assert identify_answer(answer).unidentified == TOO_SHORT


@pytest.mark.parametrize("answer", ["Lionel Messi", "Coca-Cola", "Toyota Corolla"])
def test_names_are_declined_for_low_confidence_not_guessed(answer: str) -> None:
    found = identify_answer(answer)
    assert (found.language, found.unidentified) == (None, LOW_CONFIDENCE)


def test_the_labelled_set_is_declined_where_it_has_no_language_and_precise_elsewhere() -> None:
    items = read_items()
    assert len({language for language, _ in items} - {NO_LANGUAGE}) >= 30
    found = [(language, identify_answer(answer)) for language, answer in items]
    assert all(result.language is None for language, result in found if language == NO_LANGUAGE)
    identified = [(language, r) for language, r in found if language != NO_LANGUAGE and r.language]
    right = sum(same_language(language, r.language or "") for language, r in identified)
    assert right / len(identified) >= 0.97
    assert len(identified) >= 0.8 * sum(language != NO_LANGUAGE for language, _ in items)


@pytest.mark.parametrize(
    ("expected", "detected", "same"),
    [
        ("zh-Hans", "zh", True),
        ("zh", "zh-Hant", True),
        ("zh-Hans", "zh-Hant", False),
        ("zh-Hant", "yue", True),
        ("no", "nb", True),
        ("nb", "nn", True),
        ("arz", "ar", True),
        ("ar-AE", "ar", True),
        ("fil", "tl", True),
        ("he", "iw", True),
        ("id", "ms", False),
        ("en", "de", False),
        ("sr", "sr-Latn", True),
    ],
)
def test_language_codes_compare_across_macrolanguages_and_scripts(
    expected: str, detected: str, same: bool
) -> None:
    assert same_language(expected, detected) is same


def test_every_line_must_be_in_the_expected_language() -> None:
    mixed = check_answer_language(
        "Hii ni picha ya pembetatu ya bluu.\nThe picture shows a blue triangle.", "sw"
    )
    assert mixed.detected == ("sw", "en")
    assert mixed.passed is False
    assert mixed.scores() == {ANSWER_LANGUAGE: 0.0, ANSWER_LANGUAGE_UNIDENTIFIED: 0.0}
    clean = check_answer_language(f"{SWAHILI}\n\n42", "sw")
    assert (clean.detected, clean.passed) == (("sw",), True)


def test_an_answer_with_no_identifiable_line_is_set_apart() -> None:
    checked = check_answer_language("42\nB", "sw")
    assert checked.passed is None
    assert checked.scores() == {ANSWER_LANGUAGE_UNIDENTIFIED: 1.0}
    assert checked.details() == {
        ANSWER_LANGUAGE: {"expected": "sw", "detected": [], "unidentified": TOO_SHORT}
    }


def _record(
    prediction: str | None, status: SampleStatus = SampleStatus.SCORED, **fields: object
) -> ScoredSample:
    return ScoredSample(
        sample_id="s",
        task="t",
        language="de",
        tier="5",
        status=status,
        prompt="p",
        prediction=prediction,
        reference="r",
        **fields,  # type: ignore[arg-type]
    )


def test_checked_record_adds_scores_and_details_and_replaces_an_earlier_check() -> None:
    record = _record("The picture shows a blue triangle.", scores={"accuracy": 1.0})
    checked = checked_record(record, "de")
    assert checked.scores == {"accuracy": 1.0, ANSWER_LANGUAGE: 0.0, ANSWER_LANGUAGE_UNIDENTIFIED: 0.0}
    assert checked.details[ANSWER_LANGUAGE] == {"expected": "de", "detected": ["en"]}
    again = checked_record(replace(checked, prediction="Ja, das stimmt."), "de")
    assert again.scores[ANSWER_LANGUAGE] == 1.0
    assert again.details[ANSWER_LANGUAGE]["detected"] == ["de"]


@pytest.mark.parametrize(
    ("prediction", "status", "expected"),
    [
        ("The picture shows a blue triangle.", SampleStatus.SCORED, None),
        ("The picture shows a blue triangle.", SampleStatus.SCORED, "und"),
        ("The picture shows a blue triangle.", SampleStatus.FAILED, "de"),
        ("The picture shows a blue triangle.", SampleStatus.EXCLUDED, "de"),
        (None, SampleStatus.FAILED, "de"),
        ("   ", SampleStatus.FAILED, "de"),
    ],
)
def test_unchecked_records_are_left_as_they_are(
    prediction: str | None, status: SampleStatus, expected: str | None
) -> None:
    record = _record(prediction, status)
    assert checked_record(record, expected) == record


def test_a_record_no_longer_checked_loses_the_earlier_check() -> None:
    checked = checked_record(_record("The picture shows a blue triangle.", scores={"accuracy": 1.0}), "de")
    assert checked_record(checked, None).scores == {"accuracy": 1.0}
    assert ANSWER_LANGUAGE not in checked_record(checked, None).details


@pytest.mark.parametrize("status", [SampleStatus.NEEDS_JUDGE, SampleStatus.NEEDS_REFERENCE])
def test_answers_awaiting_a_judge_or_references_are_checked(status: SampleStatus) -> None:
    checked = checked_record(_record("The picture shows a blue triangle.", status), "de")
    assert checked.scores[ANSWER_LANGUAGE] == 0.0
    assert checked.status is status


def _sample(task: object, question_type: str, language: str = "sw", choices: tuple[str, ...] = ()) -> Sample:
    return Sample(
        sample_id="s",
        task=getattr(task, "name", "t"),
        language=language,
        tier="2",
        text="q",
        reference="r",
        question_type=question_type,
        choices=choices,
    )


@pytest.mark.parametrize("scoring", ["robust", "official", "paper"])
def test_alm_bench_expects_open_answers_in_the_question_language(scoring: str) -> None:
    task = AlmBenchTask()
    for question_type in ("short", "long", "true_false"):
        assert task.expected_answer_language(_sample(task, question_type), scoring) == "sw"
    assert task.expected_answer_language(_sample(task, "mcq", choices=("a", "b")), scoring) is None
    names = [spec.name for spec in task.reported_specs(scoring)]
    assert names[-2:] == [ANSWER_LANGUAGE, ANSWER_LANGUAGE_UNIDENTIFIED]
    assert primary_spec(task.reported_specs(scoring)).name == "score"


def test_the_other_tasks_set_their_expectation() -> None:
    vimul = VimulBenchTask()
    assert vimul.expected_answer_language(_sample(vimul, "short", "ar"), "robust") == "ar"
    assert vimul.expected_answer_language(_sample(vimul, "mcq", "ar", ("a", "b")), "official") is None
    cultural = CulturalVqaTask()
    assert cultural.expected_answer_language(_sample(cultural, "open", "en"), "lave") == "en"
    multi30k = Multi30kTask()
    assert multi30k.expected_answer_language(_sample(multi30k, "translation", "cs"), "robust") == "cs"
    assert AlmBenchPaperTask().reported_specs("paper")[-1].name == ANSWER_LANGUAGE_UNIDENTIFIED


def test_a_task_may_expect_one_language_whatever_the_question() -> None:
    class EnglishAnswers(AlmBenchTask):
        fixed_answer_language = "en"

    task = EnglishAnswers()
    assert task.expected_answer_language(_sample(task, "short", "sw"), "robust") == "en"
    assert task.expected_answer_language(_sample(task, "mcq", "sw", ("a", "b")), "robust") is None


def test_loglikelihood_tasks_expect_no_answer_language() -> None:
    commute = CommuteTask()
    assert commute.expected_answer_language(_sample(commute, "translation", "de"), "official") is None
    assert commute.reported_specs("official") == commute.metric_specs("official")


def test_labelled_set_states_its_provenance() -> None:
    assert "written by hand for tv-eval" in LABELLED.read_text(encoding="utf-8")


def test_a_judge_verdict_keeps_the_answer_language_check() -> None:
    from tv_eval.judge.judging import _Answer, _verdict
    from tv_eval.judge.protocols import JudgeProtocol

    protocol = JudgeProtocol(name="j", parser="score_out_of_10", templates={"user": "{prediction}"})
    waiting = checked_record(_record("The picture shows a blue triangle.", SampleStatus.NEEDS_JUDGE), "de")
    judged = _verdict(waiting, protocol, _Answer(text="7", error=None, cached=False))
    assert judged.status is SampleStatus.SCORED
    assert judged.scores[ANSWER_LANGUAGE] == 0.0
    assert len(judged.scores) > 2
    failed = _verdict(waiting, protocol, _Answer(text=None, error="timeout", cached=False))
    assert failed.status is SampleStatus.JUDGE_FAILED
    assert failed.scores == {ANSWER_LANGUAGE: 0.0, ANSWER_LANGUAGE_UNIDENTIFIED: 0.0}
