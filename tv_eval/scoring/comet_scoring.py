"""COMET-family metrics (xCOMET, COMET-22, CometKiwi) as a batch scorer over a task's translations.

The scores come from unbabel-comet's own `download_model` and `load_from_checkpoint` in the managed
COMET environment (tv_eval/scoring/comet_env.py); this side only prepares the segments and reads the scores
back. Models come from the Hub by id, from a local folder or .ckpt, or `tiny-random` (a locally built
random-weight xCOMET for smoke runs). The run's results state each metric's model, checkpoint, scale
(0-1: COMET models are trained on normalized scores), the COMET environment and the throughput.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tv_eval.core.task import TaskConfigError
from tv_eval.core.types import ScoredSample
from tv_eval.scoring.batch_scoring import BatchScorer, BatchScoringError, SegmentScore
from tv_eval.scoring.comet_env import (
    CometEnvError,
    CometEnvironment,
    cache_root,
    ensure_comet_env,
    run_worker_command,
)

# The paper's metric first; ids as published by Unbabel on the Hugging Face Hub.
DEFAULT_MODELS = {
    "xcomet": "Unbabel/XCOMET-XL",
    "comet": "Unbabel/wmt22-comet-da",
    "cometkiwi": "Unbabel/wmt22-cometkiwi-da",
}
REFERENCE_FREE = frozenset({"cometkiwi"})
TINY_DIR_NAME = "tiny-xcomet-v1"
DEFAULT_BATCH_SIZE = 16


def _notify(message: str) -> None:
    sys.stderr.write(f"tv-eval: {message}\n")
    sys.stderr.flush()


class CometScorer(BatchScorer):
    """One COMET model; `name` is the metric key written into each record's scores."""

    def __init__(
        self, name: str, model: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE, task: str = "TASK"
    ) -> None:
        if name not in DEFAULT_MODELS:
            raise TaskConfigError(f"unknown COMET metric {name!r}; known: {', '.join(DEFAULT_MODELS)}")
        self.name = name
        self.model = model or DEFAULT_MODELS[name]
        self.batch_size = batch_size
        self.task = task
        self.environment: CometEnvironment | None = None
        self.checkpoint: str | None = None
        self.run_facts: dict[str, Any] = {}

    def prepare(self) -> None:
        """Create the COMET environment if needed and resolve (download) the checkpoint, before the VLM."""
        try:
            self.environment = ensure_comet_env(notify=_notify)
            answer = run_worker_command(
                self.environment.python,
                ["resolve", self.model, str(cache_root() / "models" / TINY_DIR_NAME)],
            )
        except CometEnvError as error:
            raise TaskConfigError(
                f"{self.name} ({self.model}) cannot be used: {error}; give a local checkpoint with "
                f"--task-option {self.task}.{self.name}_model=PATH or leave {self.name} out of "
                f"{self.task}.metrics"
            ) from error
        self.checkpoint = json.loads(answer)["checkpoint"]

    def _segment(self, record: ScoredSample) -> dict[str, str]:
        segment = {"src": record.source or "", "mt": record.extracted or ""}
        if self.name not in REFERENCE_FREE:
            segment["ref"] = record.reference
        return segment

    def score(self, records: Sequence[ScoredSample]) -> list[SegmentScore]:
        if self.environment is None or self.checkpoint is None:
            raise BatchScoringError(f"{self.name} was not prepared")
        with tempfile.TemporaryDirectory(prefix="tv-eval-comet-") as folder:
            request, output = Path(folder) / "request.json", Path(folder) / "scores.json"
            request.write_text(
                json.dumps(
                    {
                        "checkpoint": self.checkpoint,
                        "batch_size": self.batch_size,
                        "segments": [self._segment(record) for record in records],
                    },
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            started = time.perf_counter()
            try:
                run_worker_command(self.environment.python, ["score", str(request), str(output)])
                result = json.loads(output.read_text(encoding="utf-8"))
            except (CometEnvError, OSError, ValueError) as error:
                raise BatchScoringError(str(error)) from error
        scores = result["scores"]
        if len(scores) != len(records):
            raise BatchScoringError(f"the worker returned {len(scores)} scores for {len(records)} segments")
        self.run_facts = {
            "device": result["device"],
            "model_class": result["model_class"],
            "system_score": result["system_score"],
            "segments": len(records),
            "load_s": result["load_s"],
            "predict_s": result["predict_s"],
            "wall_s": round(time.perf_counter() - started, 3),
            "segments_per_s": round(len(records) / result["predict_s"], 2) if result["predict_s"] else None,
            "versions": result["versions"],
        }
        spans = result.get("error_spans") or [None] * len(scores)
        return [
            SegmentScore(
                value=float(value), details={f"{self.name}_error_spans": span} if span is not None else {}
            )
            for value, span in zip(scores, spans, strict=True)
        ]

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "checkpoint": self.checkpoint,
            "reference_free": self.name in REFERENCE_FREE,
            "implementation": "unbabel-comet (managed environment)",
            "batch_size": self.batch_size,
            "environment": self.environment.describe() if self.environment else None,
            **self.run_facts,
        }
