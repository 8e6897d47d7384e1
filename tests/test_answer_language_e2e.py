"""`answer_language` end to end: a served model answers ALM-Bench's sample in known languages.

An OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py) answers each open question
(true/false, short, long) of the English, German, Swahili and Amharic samples with a scripted reply:
in the question's language, in English, mixed line by line, or too short to identify; multiple-choice
questions get a letter (no expectation). The expected shares are written out from that script, and
every group of results.json is recomputed by hand from samples.jsonl. `tv-eval score` then rebuilds
the metric from the stored answers alone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.alm_bench.task import AlmBenchTask
from tests.conftest import records_of, run_cli
from tests.openai_server import RunningServer, message_text, serve
from tv_eval.core.task import DataSource
from tv_eval.core.types import TextPart
from tv_eval.data.tiers import joshi_tier_map

pytestmark = pytest.mark.slow

LANGUAGES = ("en", "de", "sw", "am")
ENGLISH = "The picture shows a blue triangle."
SWAHILI = "Hii ni picha ya pembetatu ya bluu."
AMHARIC = "ሰማያዊ ትሪያንግል ነው።"
# Per language, the replies to its four open questions in sample-id order.
SCRIPT = {
    "en": ["It is true.", "42", ENGLISH, f"{ENGLISH}\nIt is on a white background."],
    "de": [ENGLISH, ENGLISH, ENGLISH, ENGLISH],
    "sw": [SWAHILI, ENGLISH, SWAHILI, f"{SWAHILI}\n{ENGLISH}"],
    "am": [AMHARIC, "B", AMHARIC, ENGLISH],
}
# In the expected language / identified, and the unidentified count, from the script.
EXPECTED = {"en": (3, 3, 1), "de": (0, 4, 0), "sw": (2, 4, 0), "am": (2, 3, 1)}
METRIC, UNIDENTIFIED = "answer_language", "answer_language_unidentified"


def _scripted() -> dict[str, str]:
    """Prompt text -> reply for every sample of the chosen languages."""
    task = AlmBenchTask()
    samples = [s for s in task.load(DataSource(use_sample=True), joshi_tier_map()).samples]
    replies: dict[str, str] = {}
    open_questions: dict[str, list] = defaultdict(list)
    for sample in sorted(samples, key=lambda s: s.sample_id):
        if sample.language in LANGUAGES and sample.question_type != "mcq":
            open_questions[sample.language].append(sample)
    for language, members in open_questions.items():
        assert len(members) == len(SCRIPT[language]), language
        for sample, reply in zip(members, SCRIPT[language], strict=True):
            content = task.build_request(sample, "robust").messages[0].content
            (text,) = [part.text for part in content if isinstance(part, TextPart)]
            replies[text] = reply
    return replies


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    replies = _scripted()
    output = tmp_path_factory.mktemp("answer-language")
    with serve(lambda messages, body: replies.get(message_text(messages), "B"), api_key="sk-al") as server:
        result = _run(server, output)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (output / "runs").iterdir()
    yield run


def _run(server: RunningServer, output: Path):  # type: ignore[no-untyped-def]
    return run_cli(
        [
            *("run", "--model", "openai:scripted", "--base-url", server.base_url),
            *("--tasks", "alm_bench", "--sample", "--languages", ",".join(LANGUAGES)),
            *("--output-dir", str(output / "runs")),
        ],
        output / "cache",
        extra_env={"OPENAI_API_KEY": "sk-al"},
    )


def _task(run: Path) -> dict:
    return json.loads((run / "results.json").read_text(encoding="utf-8"))["tasks"]["alm_bench"]


def test_shares_per_language_follow_the_script(run_dir: Path) -> None:
    task = _task(run_dir)
    for language, (passed, identified, unidentified) in EXPECTED.items():
        metrics = task["by_language"][language]["metrics"]
        assert metrics[METRIC]["value"] == pytest.approx(passed / identified), language
        assert metrics[METRIC]["n"] == identified, language
        assert metrics[UNIDENTIFIED]["n"] == identified + unidentified
        assert metrics[UNIDENTIFIED]["value"] * metrics[UNIDENTIFIED]["n"] == pytest.approx(unidentified)
    overall = task["overall"][METRIC]
    assert (overall["value"], overall["n"]) == (pytest.approx(7 / 14), 14)
    assert overall["ci95"] is not None and overall["ci95"][0] <= 0.5 <= overall["ci95"][1]
    assert task["overall"][METRIC + "_macro"]["value"] == pytest.approx((1 + 0 + 0.5 + 2 / 3) / 4)
    assert task["primary_metric"] == "score"
    assert {spec["name"]: spec["primary"] for spec in task["metrics"]}[METRIC] is False


def test_every_group_is_recomputed_by_hand_from_samples_jsonl(run_dir: Path) -> None:
    records = records_of(run_dir)
    task = _task(run_dir)
    by_language: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if METRIC in record["scores"]:
            by_language[record["language"]].append(record["scores"][METRIC])
            by_tier[record["tier"]][record["language"]].append(record["scores"][METRIC])
    for language, values in by_language.items():
        assert task["by_language"][language]["metrics"][METRIC]["value"] == pytest.approx(
            sum(values) / len(values)
        )
    assert set(by_tier) == {"5", "2"}
    for tier, languages in by_tier.items():
        values = [value for members in languages.values() for value in members]
        block = task["by_tier"][tier]
        assert (block[METRIC]["value"], block[METRIC]["n"]) == (
            pytest.approx(sum(values) / len(values)),
            len(values),
        )
        macro = sum(sum(v) / len(v) for v in languages.values()) / len(languages)
        assert block[METRIC + "_macro"]["value"] == pytest.approx(macro)


def test_detected_language_is_stored_per_sample_and_mcq_is_not_checked(run_dir: Path) -> None:
    records = records_of(run_dir)
    for record in records:
        if record["question_type"] == "mcq":
            assert METRIC not in record["scores"] and UNIDENTIFIED not in record["scores"]
            assert "answer_language" not in record["details"]
            continue
        check = record["details"]["answer_language"]
        assert check["expected"] == record["language"]
        if record["language"] == "de":
            assert check["detected"] == ["en"]
        if record["prediction"] in ("42", "B"):
            assert check["detected"] == [] and check["unidentified"] == "fewer than 3 letters"
            assert record["scores"] == {UNIDENTIFIED: 1.0} or METRIC not in record["scores"]
    mixed = next(r for r in records if r["prediction"] == f"{SWAHILI}\n{ENGLISH}")
    assert mixed["details"]["answer_language"]["detected"] == ["sw", "en"]
    assert mixed["scores"][METRIC] == 0.0


def test_rescoring_rebuilds_the_metric_from_the_stored_answers(run_dir: Path, tmp_path: Path) -> None:
    before = _task(run_dir)
    path = run_dir / "samples.jsonl"
    stripped = []
    for record in records_of(run_dir):
        record["scores"] = {k: v for k, v in record["scores"].items() if k not in (METRIC, UNIDENTIFIED)}
        record["details"] = {k: v for k, v in record["details"].items() if k != "answer_language"}
        stripped.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(stripped) + "\n", encoding="utf-8")
    result = run_cli(["score", str(run_dir)], tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    after = _task(run_dir)
    for language in LANGUAGES:
        for metric in (METRIC, UNIDENTIFIED):
            assert (
                after["by_language"][language]["metrics"][metric]
                == before["by_language"][language]["metrics"][metric]
            )
    assert any("answer_language" in record["details"] for record in records_of(run_dir))
