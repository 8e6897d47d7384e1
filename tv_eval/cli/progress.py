"""The run's progress bar on stderr (samples/s and ETA), behind the runner's ProgressHandle."""

from __future__ import annotations

import time

from tv_eval.cli.common import stderr


class RichProgress:
    """Adapts rich's progress bar to the runner's ProgressHandle."""

    def __init__(self, description: str, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=stderr,
        )
        self._started = time.perf_counter()
        self._task = self._progress.add_task(description, total=total, rate="")
        self._progress.start()

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)
        done = self._progress.tasks[0].completed
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        self._progress.update(self._task, rate=f"{rate:.1f} samples/s")

    def close(self) -> None:
        self._progress.stop()
