"""MaRVL: true/false statements about an image pair in 5 languages, and NLVR2 in English
(neulab/PangeaBench-marvl, splits id, sw, ta, tr, zh, en).

Scored as the fork scores it (lmms_eval/tasks/marvl/utils.py): the reference is `true` or `false`
from the second turn; the reply, stripped and lower-cased, counts only when it is one of the fork's
accepted replies (config.yaml), any other reply is wrong. The fork reads `image` as one picture (the
pair side by side, presumably); a cell holding a list of pictures is shown as several images, in
order, before the text. How PangeaBench stores the pair is UNVERIFIED (see README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tv_eval.api import (
    IMAGE_SLOT,
    GenerativeTask,
    ImageInput,
    RowReader,
    Sample,
    SampleStatus,
    Score,
    ScoringMode,
    read_image,
    segment_metric,
)

IMAGE_TOKEN = "<image>\n"


class MarvlTask(GenerativeTask):
    name = "marvl"
    description = "MaRVL (+ NLVR2): true/false reasoning on image pairs in 6 languages"
    config_path = Path(__file__).parent / "config.yaml"
    metrics = (segment_metric("accuracy", primary=True, description="accepted reply equals the label"),)
    scoring_modes = (ScoringMode.OFFICIAL,)
    default_scoring = ScoringMode.OFFICIAL

    def sample_from_row(self, row: RowReader) -> Sample:
        turns = row.cell("conversations") or []
        question = _turn(turns, 0).replace(IMAGE_TOKEN, "").strip()
        answer = _turn(turns, 1)
        # The fork looks for the words in the turn as written ('true' first); case is not checked here.
        reference = next((word for word in ("true", "false") if word in answer.lower()), "")
        if not question or not reference:
            row.error(f"conversations hold no question or no true/false answer: {turns!r:.120}")
        cell = row.cell("image")
        image, images = (None, _pictures(row, cell)) if isinstance(cell, list) else (row.image(), ())
        return row.sample(
            row.part.split,
            question_type="true_false",
            image=image,
            images=images,
            text=question,
            reference=reference,
        )

    def prompt(self, sample: Sample, scoring: str) -> str:
        return IMAGE_SLOT * len(sample.images) + self.template("statement").format(question=sample.text)

    def score_answer(self, sample: Sample, prediction: str, scoring: str) -> Score:
        verdict = self.config["accepted_replies"].get(prediction.strip().lower())
        return Score(
            status=SampleStatus.SCORED,
            scores={"accuracy": float(verdict == sample.reference)},
            extracted=verdict,
        )


def _turn(turns: Any, index: int) -> str:
    """A turn's `value` (LLaVA-style {from, value}), or a plain string turn; '' where there is none."""
    if not isinstance(turns, list) or len(turns) <= index:
        return ""
    turn = turns[index]
    return str(turn.get("value") or "") if isinstance(turn, dict) else str(turn)


def _pictures(row: RowReader, cells: list[Any]) -> tuple[ImageInput, ...]:
    """Every picture of a list cell, or none (with the reason) when one cannot be read."""
    read = [read_image(cell, row.context.root) for cell in cells]
    for _, error in read:
        if error is not None:
            row.error(error)
    images = tuple(image for image, _ in read if image is not None)
    return images if len(images) == len(cells) and images else ()
