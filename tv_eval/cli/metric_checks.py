"""The exit status of commands that write results: non-zero when a headline metric is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tv_eval.cli.common import fail

if TYPE_CHECKING:
    from tv_eval.results.document import ResultsDocument


def exit_if_headline_failed(results: ResultsDocument) -> None:
    """Exit 1 (the results are already written) naming every primary metric that could not be computed."""
    from tv_eval.results.metric_status import headline_failures

    lines = headline_failures(results)
    if lines:
        fail("; ".join(lines) + " (results were written; the failure is stated in results.json)", code=1)
