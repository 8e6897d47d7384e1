"""The HTML leaderboard rendered by headless Chromium: tables, plots and sorting as a reader gets them.

Chromium (Debian packages `chromium` and `chromium-driver`, installed by `make test` through
.ci/browser) loads the page from disk with networking disabled; assertions read the DOM after
scripts ran (`--dump-dom`), and a screenshot is kept in test-artifacts/leaderboard.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO_ROOT, run_cli
from tests.run_factory import LANGUAGES, synthetic_records, write_run

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
SCREENSHOT = REPO_ROOT / "test-artifacts" / "leaderboard.png"
MODELS = {
    "model-a": [0.9, 0.85, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3],
    "model-b": [0.92, 0.8, 0.75, 0.7, 0.6, 0.5, 0.3, 0.35],
    "model-c": [0.7, 0.7, 0.6, 0.55, 0.5, 0.5, 0.45, 0.45],
}


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed: apt-get install chromium chromium-driver (see .ci/browser)")


def _chromium_run(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


class _Dom(HTMLParser):
    """Tables (with row counts and attributes) and images of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.images: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self._table: str | None = None
        self._in_body_rows = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "table":
            self._table = attributes.get("id", "")
            self.tables[self._table] = {"attrs": attributes, "rows": 0, "labels": []}
        elif tag == "tbody":
            self._in_body_rows = True
        elif tag == "tr" and self._table and self._in_body_rows:
            self.tables[self._table]["rows"] += 1
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "body":
            self.body = attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_body_rows = False


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    root = tmp_path_factory.mktemp("html")
    run_dirs = []
    for seed, (model, skill) in enumerate(MODELS.items()):
        records = synthetic_records(dict(zip(LANGUAGES, skill, strict=True)), per_language=20, seed=seed)
        run_dirs.append(str(write_run(root / "runs" / model, model, {"alm_bench": records})))
    result = run_cli(["leaderboard", *run_dirs, "--output", str(root / "out")], tv_eval_cache)
    assert result.returncode == 0, result.stderr
    return root / "out" / "leaderboard.html"


def _dom(page: Path, profile: Path) -> _Dom:
    result = _chromium_run(page.as_uri(), profile, "--virtual-time-budget=10000", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    return dom


def test_rendered_page_has_tables_and_plots(page: Path, tmp_path: Path) -> None:
    dom = _dom(page, tmp_path / "profile")
    expected = {
        "t-overall": 3,
        "t-tiers-alm-bench": 3,
        "t-tier-groups-alm-bench": 3,
        "t-languages-alm-bench": 3,
        "t-transfer-gap-alm-bench": 3,
        "t-transfer-tier-gap-alm-bench": 3,
        "t-wins-alm-bench-model-a-model-b": len(LANGUAGES),
        "t-wins-alm-bench-model-a-model-c": len(LANGUAGES),
    }
    for table_id, rows in expected.items():
        assert table_id in dom.tables, sorted(dom.tables)
        assert dom.tables[table_id]["rows"] == rows, table_id
        assert dom.tables[table_id]["attrs"].get("data-sort-ready") == "true", table_id
    plots = {image["data-plot"]: image for image in dom.images}
    assert set(plots) == {"languages", "tiers", "transfer_heatmap"}
    for image in plots.values():
        assert image["src"].startswith("data:image/png;base64,")
        assert image.get("data-rendered") == "true", image.get("alt")
        assert int(image["data-natural-width"]) >= 400


def test_clicking_a_header_sorts_the_table(page: Path, tmp_path: Path) -> None:
    """The page's own script sorts on a real click event; a probe script records the row order."""
    probe = (
        "<script>"
        "var table = document.getElementById('t-overall');"
        "var header = table.querySelectorAll('thead th')[1];"
        "function order() { return Array.prototype.map.call(table.tBodies[0].rows,"
        " function (r) { return r.cells[0].textContent; }).join(','); }"
        "header.click(); document.body.setAttribute('data-first', order());"
        "header.click(); document.body.setAttribute('data-second', order());"
        "</script></body>"
    )
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    dom = _dom(probed, tmp_path / "profile")
    text = page.read_text(encoding="utf-8")
    overall = text[text.index('id="t-overall"') :]
    overall = overall[: overall.index("</table>")]
    values = {
        match.group(1): float(match.group(2))
        for match in re.finditer(r'<th scope="row">([^<]+)</th><td data-value="([^"]*)"', overall)
    }
    assert set(values) == set(MODELS)
    descending = sorted(MODELS, key=lambda model: -values[model])
    assert dom.body["data-first"].split(",") == descending
    assert dom.body["data-second"].split(",") == descending[::-1]


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    external = re.findall(r'(?:src|href)="(?!data:|#)([^"]*)"', text)
    assert external == []
    assert "http://" not in text and "https://" not in text
    plots = sorted(path.name for path in (page.parent / "plots").iterdir())
    assert plots == ["alm_bench_languages.png", "alm_bench_tiers.png", "alm_bench_transfer_heatmap.png"]


def test_screenshot_is_saved_as_an_artifact(page: Path, tmp_path: Path) -> None:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    result = _chromium_run(
        page.as_uri(), tmp_path / "profile", "--window-size=1400,3200", f"--screenshot={SCREENSHOT}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(SCREENSHOT) as image:
        assert image.size == (1400, 3200)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200, "the screenshot looks blank"


def test_without_matplotlib_tables_still_come_out(tmp_path: Path) -> None:
    records = synthetic_records(dict(zip(LANGUAGES, MODELS["model-a"], strict=True)), per_language=6, seed=0)
    run_dir = write_run(tmp_path / "run", "model-a", {"alm_bench": records})
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        f"sys.argv = ['tv-eval', 'leaderboard', {str(run_dir)!r}, '--output', {str(tmp_path / 'out')!r}]\n"
        "from tv_eval.cli.main import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "plots need matplotlib: pip install 'tv-eval[report]'" in " ".join(result.stderr.split())
    html = (tmp_path / "out" / "leaderboard.html").read_text(encoding="utf-8")
    assert "plots need matplotlib" in html and "<img" not in html
    assert 'id="t-languages-alm-bench"' in html
    assert not (tmp_path / "out" / "plots").exists()
