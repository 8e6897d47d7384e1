"""A finished run opened for `tv-eval score`: locked, its files read strictly, damage refused.

A samples.jsonl cut mid-line, emptied, holding a line that is no record, or holding fewer or more
records than run.json counts, is damage: `score` refuses it (exit 2, naming the line) and changes
nothing, since re-aggregating what is left would silently drop samples. With `--repair` it scores
the readable records and keeps the damaged file, byte for byte, beside the repaired one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from tv_eval.core.staged_files import StagedFiles
from tv_eval.core.types import ScoredSample
from tv_eval.pipeline.run_directory import locked_run_dir, now
from tv_eval.pipeline.run_types import RunConfigError
from tv_eval.results.run_document import RUN_FILE, RunRecord, read_run_record, validation_summary
from tv_eval.results.samples_file import SAMPLES_FILE, read_samples_checked


class SavedRunError(RunConfigError):
    """A run directory whose files cannot be scored as they are; exit code 2."""


@dataclass
class SavedRun:
    """`records`: one per sample (a later record of a sample replaces an earlier one). `damage`: what
    is wrong with samples.jsonl (empty unless `--repair` let it through)."""

    run_dir: Path
    record: RunRecord
    records: list[ScoredSample]
    damage: list[str]
    original: bytes

    def stage_repair(self, staged: StagedFiles) -> None:
        """Keep the damaged samples.jsonl beside the repaired one, and say so in run.json."""
        if not self.damage:
            return
        kept = f"samples.damaged-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.jsonl"
        staged.write_bytes(kept, self.original)
        self.record.repaired = [*self.record.repaired, {"at": now(), "damage": self.damage, "kept_as": kept}]


def _count_damage(record: RunRecord, records: list[ScoredSample]) -> list[str]:
    """Samples present twice, and tasks holding another number of samples than run.json counts."""
    seen = Counter((r.task, r.sample_id) for r in records)
    damage = [f"sample {task}/{sample} has {n} records" for (task, sample), n in seen.items() if n > 1]
    per_task = Counter(task for task, _ in seen)
    for name, task_run in record.tasks.items():
        if task_run.num_samples is not None and per_task[name] != task_run.num_samples:
            damage.append(
                f"holds {per_task[name]} of the {task_run.num_samples} samples run.json counts for {name}"
            )
    return damage


def read_saved_run(run_dir: Path, repair: bool) -> SavedRun:
    path = run_dir / SAMPLES_FILE
    try:
        record = read_run_record(run_dir)
    except ValidationError as error:
        raise SavedRunError(
            f"{run_dir / RUN_FILE} is not a run record: {validation_summary(error)}"
        ) from error
    except (OSError, ValueError) as error:
        raise SavedRunError(f"{run_dir / RUN_FILE} is not a run record: {error}") from error
    try:
        reading = read_samples_checked(path)
    except OSError as error:
        raise SavedRunError(f"cannot read {path}: {error.strerror or error}") from error
    damage = reading.damage + _count_damage(record, reading.records)
    if damage and not repair:
        more = f"; and {len(damage) - 3} more" if len(damage) > 3 else ""
        raise SavedRunError(
            f"{path}: {'; '.join(damage[:3])}{more}; nothing was changed. `tv-eval run --resume {run_dir}` "
            "regenerates what is missing; `score --repair` scores the readable records and keeps the "
            "damaged file beside them"
        )
    if not reading.records:
        raise SavedRunError(f"{path} holds no readable record; nothing to score")
    unique = {(r.task, r.sample_id): r for r in reading.records}
    return SavedRun(run_dir, record, list(unique.values()), damage, path.read_bytes() if damage else b"")


@contextmanager
def open_saved_run(run_dir: Path, repair: bool = False) -> Iterator[SavedRun]:
    """The run, locked against other writers for the block."""
    if not (run_dir / RUN_FILE).is_file() or not (run_dir / SAMPLES_FILE).is_file():
        raise SavedRunError(f"{run_dir} is not a run directory: it has no run.json and samples.jsonl")
    with locked_run_dir(run_dir):
        yield read_saved_run(run_dir, repair)
