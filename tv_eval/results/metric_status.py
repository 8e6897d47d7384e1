"""Whether each task's headline number exists: a run whose primary metric could not be computed has
not measured what it was asked to, so `run` and `score` exit non-zero after writing their results."""

from __future__ import annotations

from tv_eval.results.document import ResultsDocument


def headline_failures(results: ResultsDocument) -> list[str]:
    """One line per task whose primary metric failed (a scorer's error) or has no value although
    samples were scored; empty when every headline number exists."""
    lines = []
    for name, task in results.tasks.items():
        primary = task.primary_metric
        failed = task.failed_metrics or {}
        headline = task.overall.get(primary)
        if primary in failed:
            lines.append(f"{name}: primary metric {primary} could not be computed: {failed[primary]}")
        elif (headline is None or headline.value is None) and task.counts.scored:
            lines.append(
                f"{name}: primary metric {primary} has no value although "
                f"{task.counts.scored} samples were scored"
            )
    return lines
