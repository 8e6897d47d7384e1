"""The HTML leaderboard rendered by headless Chromium: tables, plots and sorting as a reader gets them.

Chromium (Debian packages `chromium` and `chromium-driver`, installed by `make test` through
.ci/browser) loads the page from disk with networking disabled; assertions read the DOM after
scripts ran (`--dump-dom`) or, through chromedriver, the text as laid out on screen, and the
screenshot taken then is kept in test-artifacts/leaderboard.png.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import REPO_ROOT, run_cli
from tests.run_factory import LANGUAGES, synthetic_records, write_run
from tv_eval.core.types import ScoredSample

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


def _records(model: str) -> list[ScoredSample]:
    """20 questions per language, 6 in Sinhala and Kurdish: a mean over languages is not one over samples."""
    seed = list(MODELS).index(model)
    records = synthetic_records(dict(zip(LANGUAGES, MODELS[model], strict=True)), per_language=20, seed=seed)
    return [r for r in records if r.language not in ("si", "ku") or int(r.sample_id[-4:]) < 6]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, tv_eval_cache: Path) -> Path:
    root = tmp_path_factory.mktemp("html")
    run_dirs = [
        str(write_run(root / "runs" / model, model, {"alm_bench": _records(model)})) for model in MODELS
    ]
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


class _Browser:
    """Headless Chromium driven by chromedriver over the W3C WebDriver protocol (plain HTTP, no client
    library): what a reader sees, as the browser lays it out, rather than the page's source."""

    def __init__(self, profile: Path, width: int, height: int) -> None:
        driver = shutil.which("chromedriver")
        if driver is None:
            pytest.fail("chromedriver is needed: apt-get install chromium-driver (see .ci/browser)")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._driver = subprocess.Popen(
            [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except OSError:
                time.sleep(0.1)
        arguments = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        options = {"binary": _chromium(), "args": arguments}
        capabilities = {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}
        self._session = (
            "/session/" + self._call("POST", "/session", {"capabilities": capabilities})["sessionId"]
        )

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())["value"]

    def open(self, url: str) -> None:
        self._call("POST", self._session + "/url", {"url": url})

    def script(self, code: str) -> Any:
        return self._call("POST", self._session + "/execute/sync", {"script": code, "args": []})

    def element(self, css: str) -> str:
        found = self._call("POST", self._session + "/element", {"using": "css selector", "value": css})
        return self._session + "/element/" + next(iter(found.values()))

    def text(self, element: str) -> str:
        return self._call("GET", element + "/text")

    def rect(self, element: str) -> dict[str, float]:
        return self._call("GET", element + "/rect")

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("GET", self._session + "/screenshot"))

    def close(self) -> None:
        try:
            self._call("DELETE", self._session)
        finally:
            self._driver.terminate()
            self._driver.wait(timeout=30)


def _mean_over_languages(records: list[ScoredSample]) -> float:
    by_language: dict[str, list[float]] = {}
    for record in records:
        by_language.setdefault(record.language, []).append(record.scores["accuracy"])
    return sum(sum(values) / len(values) for values in by_language.values()) / len(by_language)


def test_screenshot_shows_models_and_their_values_with_intervals(page: Path, tmp_path: Path) -> None:
    """The overall table as laid out on screen: each model's name and its value, computed here from the
    records the runs were written from, with the interval the leaderboard reports, in percent."""
    board = json.loads((page.parent / "leaderboard.json").read_text(encoding="utf-8"))
    (overall,) = [table for table in board["tables"] if table["key"] == "overall"]
    browser = _Browser(tmp_path / "profile", 1400, 3200)
    try:
        browser.open(page.as_uri())
        ready = "return document.getElementById('t-overall').getAttribute('data-sort-ready')"
        assert browser.script(ready) == "true"
        table = browser.element("#t-overall")
        shown = " ".join(browser.text(table).split())
        box = browser.rect(table)
        viewport = browser.script("return [window.innerWidth, window.innerHeight]")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(browser.screenshot())
    finally:
        browser.close()
    assert box["width"] > 0 and box["height"] > 0
    assert box["y"] + box["height"] <= viewport[1]  # the table is inside the screenshot
    with Image.open(SCREENSHOT) as image:
        assert image.size == tuple(viewport)
    for model in MODELS:
        (row,) = [row for row in overall["rows"] if row["label"] == model]
        (cell,) = row["cells"]
        expected = _mean_over_languages(_records(model))
        assert cell["value"] == pytest.approx(expected)
        low, high = cell["ci95"]
        assert low < expected < high
        assert (
            f"{model} {expected * 100:.1f} [{low * 100:.1f}, {high * 100:.1f}] n={len(_records(model))}"
            in shown
        ), shown


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
