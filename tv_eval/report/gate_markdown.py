"""The regression gate's verdict as Markdown, for a CI job summary (`tv-eval compare --markdown FILE`)."""

from __future__ import annotations

from tv_eval.analysis.gate import GateReport
from tv_eval.analysis.gate_config import EXIT_PASS
from tv_eval.analysis.sample_changes import changes_table
from tv_eval.report.tables import table_markdown


def gate_markdown(report: GateReport) -> str:
    status = "PASSED" if report.exit_code == EXIT_PASS else "FAILED"
    parts = [
        f"## tv-eval regression gate: {status}",
        "",
        report.summary(),
        "",
        f"Baseline `{report.baseline.path}` (run `{report.baseline.run_id}`), "
        f"candidate `{report.candidate.path}` (run `{report.candidate.run_id}`).",
        "",
        table_markdown(report.table()),
        *[f"- {line}" for line in report.coverage_lines()],
        "",
    ]
    if report.changes:
        parts += [table_markdown(changes_table(report.changes)), ""]
    return "\n".join(parts)
