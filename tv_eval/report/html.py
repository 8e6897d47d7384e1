"""The leaderboard as one self-contained static HTML page: sortable tables and inline plots.

Everything (styles, the sorting script, PNG plots as base64 data URLs) lives in the one file, so
it opens offline, from an artifact store or an e-mail attachment, with no network access.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from tv_eval.analysis.leaderboard import Leaderboard
from tv_eval.analysis.suite_board import SUITE_PREFIX
from tv_eval.report.console import TIER_CITATION
from tv_eval.report.plots import plot_file_name
from tv_eval.report.tables import ReportTable, format_cell, format_number

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1b1b1b; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #555; margin-top: 0; }
.notes { background: #fff6d6; border-left: 4px solid #e0b000; padding: 0.5rem 1rem; }
nav ul { columns: 3; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.2rem; }
p.caption { color: #555; font-size: 0.8rem; margin: 0 0 0.3rem; max-width: 60rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
th[scope=row] { text-align: left; }
thead th { background: #f0f3f7; cursor: pointer; user-select: none; }
thead th[aria-sort=ascending]::after { content: " \\25B2"; }
thead th[aria-sort=descending]::after { content: " \\25BC"; }
thead th small { display: block; font-weight: 400; color: #666; }
td.best { font-weight: 700; background: #e3f4e1; }
td .ci, td .n { color: #666; font-size: 0.75rem; }
figure { margin: 0.5rem 0 1.5rem; }
figure img { max-width: 100%; border: 1px solid #ddd; }
.scroll { overflow-x: auto; }
"""

SCRIPT = """
(function () {
  function key(cell) {
    var raw = cell.getAttribute('data-value');
    if (raw !== null && raw !== '' && !isNaN(parseFloat(raw))) { return [0, parseFloat(raw)]; }
    return [1, cell.textContent.trim().toLowerCase()];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    if (a[1] < b[1]) { return -1; }
    return a[1] > b[1] ? 1 : 0;
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var headers = table.querySelectorAll('thead th');
    headers.forEach(function (header, column) {
      header.addEventListener('click', function () {
        var descending = header.getAttribute('aria-sort') !== 'descending';
        headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var k1 = key(r1.cells[column]), k2 = key(r2.cells[column]);
          if (k1[0] !== k2[0]) { return k1[0] - k2[0]; }
          return descending ? compare(k2, k1) : compare(k1, k2);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    table.setAttribute('data-sort-ready', 'true');
  });
  window.addEventListener('load', function () {
    document.querySelectorAll('img.plot').forEach(function (img) {
      img.setAttribute('data-rendered', img.complete && img.naturalWidth > 0 ? 'true' : 'false');
      img.setAttribute('data-natural-width', String(img.naturalWidth));
    });
  });
})();
"""

PLOT_KINDS = (
    ("languages", "Per-language scores with 95% intervals"),
    ("tiers", "Scores by resource tier"),
    ("transfer_heatmap", "Cross-lingual transfer: gap to the pivot language"),
)


def _value_attribute(value: float | None) -> str:
    return "" if value is None or value != value else repr(float(value))


def table_html(table: ReportTable) -> str:
    notes = table.column_notes or [""] * len(table.columns)
    header = [f'<th scope="col">{html.escape(table.row_header)}</th>']
    header += [
        f'<th scope="col">{html.escape(column)}'
        + (f"<small>{html.escape(note)}</small>" if note else "")
        + "</th>"
        for column, note in zip(table.columns, notes, strict=True)
    ]
    body = []
    for label, cells in table.rows:
        rendered = [f'<th scope="row">{html.escape(label)}</th>']
        for cell in cells:
            if cell.text is not None or cell.value is None or table.kind == "text":
                content = html.escape(format_cell(cell, table.kind))
            else:
                content = html.escape(format_number(cell.value, table.kind))
                if cell.ci95:
                    low, high = (format_number(bound, table.kind) for bound in cell.ci95)
                    content += f' <span class="ci">[{html.escape(low)}, {html.escape(high)}]</span>'
                if cell.n is not None:
                    content += f' <span class="n">n={cell.n}</span>'
            css = ' class="best"' if cell.best else ""
            rendered.append(f'<td data-value="{_value_attribute(cell.value)}"{css}>{content}</td>')
        body.append("<tr>" + "".join(rendered) + "</tr>")
    anchor = html.escape(_anchor(table.key))
    caption = f'<p class="caption">{html.escape(table.caption)}</p>' if table.caption else ""
    return (
        f'<h3 id="h-{anchor}">{html.escape(table.title)}</h3>{caption}'
        f'<div class="scroll"><table class="sortable" id="{anchor}" data-key="{html.escape(table.key)}">'
        f"<thead><tr>{''.join(header)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _anchor(text: str) -> str:
    return "t-" + "".join(ch if ch.isalnum() else "-" for ch in text)


def _figure(name: str, data: bytes, alt: str, kind: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img class="plot" data-plot="{html.escape(kind)}" alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{encoded}"><figcaption>{html.escape(alt)} '
        f"(also <code>plots/{html.escape(name)}</code>)</figcaption></figure>"
    )


def render_html(
    board: Leaderboard, plots: Mapping[str, bytes] | None, plots_message: str | None = None
) -> str:
    """The page; `plots` maps PNG file names to bytes, or is None with `plots_message` saying why."""
    tables_by_task: dict[str, list[ReportTable]] = {task: [] for task in board.tasks}
    suite_tables = [table for table in board.tables if table.key.startswith(SUITE_PREFIX)]
    for table in board.tables:
        if table.key != "overall" and not table.key.startswith(SUITE_PREFIX):
            tables_by_task[table.key.split(":")[1]].append(table)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>tv-eval leaderboard</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>tv-eval leaderboard</h1>",
        f'<p class="meta">{len(board.models)} model(s): {html.escape(", ".join(board.models))}; '
        f"tasks: {html.escape(', '.join(board.tasks))}; pivot language {html.escape(board.pivot)}; "
        f"tier map {html.escape(board.tier_map)}. Click a column header to sort.</p>",
    ]
    notes = list(board.notes)
    if plots is None and plots_message:
        notes.append(plots_message)
    if notes:
        parts.append(
            '<div class="notes"><ul>' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul></div>"
        )
    parts.append("<nav><ul>")
    parts.append('<li><a href="#overall">Overall</a></li>')
    for task in board.tasks:
        parts.append(f'<li><a href="#{_anchor("task-" + task)}">{html.escape(task)}</a></li>')
    parts.append("</ul></nav>")
    parts.append('<section id="overall"><h2>Overall</h2>')
    parts.append(table_html(board.table("overall")))
    for table in suite_tables:
        parts.append(table_html(table))
        name = plot_file_name(table.key.removeprefix(SUITE_PREFIX), "suite")
        if plots is not None and name in plots:
            parts.append(_figure(name, plots[name], table.title, "suite"))
    parts.append("</section>")
    for task in board.tasks:
        parts.append(f'<section id="{_anchor("task-" + task)}"><h2>{html.escape(task)}</h2>')
        if plots is not None:
            for kind, alt in PLOT_KINDS:
                name = plot_file_name(task, kind)
                if name in plots:
                    parts.append(_figure(name, plots[name], f"{task}: {alt}", kind))
        parts += [table_html(table) for table in tables_by_task[task]]
        parts.append("</section>")
    parts += [
        f"<footer><p>{html.escape(TIER_CITATION)}</p></footer>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
