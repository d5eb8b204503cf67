"""A real headless browser for the report tests: Playwright driving the system's Chromium (Debian's package).

Playwright never downloads a browser here. The tests skip, saying why, only when no chromium binary is
found; with CI=true they fail instead, so CI cannot pass without running them. Each report is opened from
disk with the network off; console errors, network attempts and alert dialogs are recorded, and a
screenshot of the first screen is saved to test-artifacts/ (or $LEFTSHIFT_TEST_ARTIFACTS) for a person to look
at; of the full page too when the test fails, or for every report with LEFTSHIFT_SCREENSHOTS=full.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LEFTSHIFT_TEST_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = ("file:", "data:", "blob:", "about:")
FULL_PAGE = os.environ.get("LEFTSHIFT_SCREENSHOTS", "") == "full"

CHARTS_JS = """async () => {
  await window.leftshiftReady;
  const points = t => {
    if (t.type === "sankey") return t.link && t.link.value ? t.link.value.length : 0;
    return Math.max(...["x", "y", "z", "values"].map(k => (t[k] && t[k].length) || 0));
  };
  const described = gd => {
    const target = document.getElementById(gd.getAttribute("aria-describedby") || "");
    return target ? target.textContent.trim() : "";
  };
  return {
    sections: document.querySelectorAll("section.chart").length,
    page_width: document.documentElement.scrollWidth,
    charts: Array.from(document.querySelectorAll("div.figure")).map(gd => ({
      id: gd.id,
      drawn: gd.classList.contains("js-plotly-plot"),
      points: (gd._fullData || []).filter(t => t.visible === true).map(points),
      role: gd.getAttribute("role"),
      label: gd.getAttribute("aria-label") || "",
      description: described(gd),
      width: gd.getBoundingClientRect().width,
    })),
  };
}"""
PHONE = 390
"""The width of a small phone, in CSS pixels: reports must fit it without sideways scrolling."""
TEXTS_JS = """() => Array.from(document.querySelectorAll("div.figure")).map(gd => {
  const box = gd.getBoundingClientRect();
  const rect = (el, kind) => {
    const r = el.getBoundingClientRect();
    return {kind, text: (el.textContent || "").trim().slice(0, 70), left: r.left, right: r.right, top: r.top,
            bottom: r.bottom, width: r.width, height: r.height};
  };
  const pick = (selector, kind) => Array.from(gd.querySelectorAll(selector))
    .filter(el => kind === "colour bar title" || !el.closest(".cbtitle")).map(el => rect(el, kind));
  const items = [
    ...pick("text.gtitle", "title"), ...pick("text.gtitle-subtitle", "subtitle"), ...pick("g.annotation", "annotation"),
    ...pick('text[class^="x"][class$="title"], text[class^="y"][class$="title"]', "axis title"),
    ...pick("g.updatemenu-header-group", "menu"), ...pick("g.legend", "legend"),
    ...pick(".cbtitle", "colour bar title"),
    ...pick(".sankey-node text.node-label", "node label"),
  ].filter(r => r.width > 0 && r.height > 0 && (r.text !== "" || r.kind === "menu"));
  const section = gd.closest("section");
  return {id: gd.id, heading: section.querySelector("h2").textContent.trim(), left: box.left, right: box.right,
          top: box.top, bottom: box.bottom, items};
})"""
"""Every chart's texts as drawn: title, subtitle, annotations (panel titles), axis titles, menus, legend, colour
bar title and Sankey node labels, each with its box on the screen."""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true, so the browser tests must run, not skip")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium: $LEFTSHIFT_CHROMIUM, else `chromium` or `chromium-browser` on the PATH."""
    names = [os.environ.get("LEFTSHIFT_CHROMIUM", ""), "chromium", "chromium-browser"]
    for name in filter(None, names):
        path = shutil.which(name)
        if path:
            return path
    _unavailable("no chromium binary found (apt-get install -y chromium, or set LEFTSHIFT_CHROMIUM)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def leftshift(*args: object) -> None:
    done = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert done.exit_code == 0, done.output


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def explained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two programmes against a baseline, with draws of an uncertain cost (so there is an uncertainty report)."""
    root = tmp_path_factory.mktemp("explained")
    data = small_scenario_dict()
    first = data["interventions"][0]
    first["cost_per_participant_year"] = {"value": {"dist": "triangular", "low": 100, "mode": 150, "high": 220},
                                          "source": "evidence.md S22"}  # fmt: skip
    data["interventions"].append(first | {"name": "Falls classes", "budget": 60_000, "payer": "nhs",
                                          "cost_per_participant_year": 400})  # fmt: skip
    base = small_scenario_dict(name="Small town - baseline", interventions=[])
    leftshift("compare", write_yaml(root / "base.yaml", base), write_yaml(root / "shift.yaml", data),
              "--samples", 16, "--out", root / "out", "--quiet")  # fmt: skip
    return root / "out"


@pytest.fixture(scope="session")
def explained_run(explained: Path) -> Path:
    """The programmes' run folder of `explained`, with a report made afterwards from its saved tables alone (a
    comparison writes none for each run): opened at 1280 px by one test and at 390 px by another."""
    folder = explained / "small-town"
    assert not (folder / "report.html").exists()
    leftshift("report", folder)
    return folder


@dataclass
class Opened:
    """A report as the browser saw it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    ready_seconds: float = 0.0
    cpu_seconds: float = 0.0
    """Main-thread CPU time from navigation to every chart drawn: the page's own work, whatever else runs."""
    sections: int = 0
    charts: list[dict[str, Any]] = field(default_factory=list)
    width: int = 1280
    page_width: int = 0
    """The page's scroll width: wider than `width` means the reader must scroll sideways."""

    def assert_texts_apart(self) -> None:
        """No two texts of a chart drawn over each other, none running off it, no chart title under a heading."""
        clashes = text_clashes(self.page.evaluate(TEXTS_JS))
        assert not clashes, "\n".join(clashes)

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text().strip()

    def assert_healthy(self) -> None:
        """No console errors, no network attempts, no dialogs, and every chart drawn with data."""
        assert self.console_errors == []
        assert self.network == [], "the report tried to reach the network"
        assert self.dialogs == []
        assert self.charts and len(self.charts) == self.sections
        for chart in self.charts:
            assert chart["drawn"], chart["id"]
            assert any(n > 0 for n in chart["points"]), f"{chart['id']} has no trace with data points"
            assert chart["role"] == "img" and chart["label"], f"{chart['id']} has no label for screen readers"
            assert len(chart["description"]) > 20, f"{chart['id']} has no text description for screen readers"
            assert chart["width"] <= self.width, f"{chart['id']} is wider than the screen"
        assert self.page_width <= self.width, f"the page scrolls sideways at {self.width} px ({self.page_width} px)"


def text_clashes(charts: list[dict[str, Any]], slack: float = 2.0) -> list[str]:
    """What a reader could not read in `TEXTS_JS`'s charts: two texts drawn over each other (by more than `slack`
    px either way), a text running off its chart, or a chart title repeating the section's heading."""
    found = []
    for chart in charts:
        items = chart["items"]
        for item in items:
            off = (item["left"] < chart["left"] - 1 or item["right"] > chart["right"] + 1
                   or item["top"] < chart["top"] - 1 or item["bottom"] > chart["bottom"] + 1)  # fmt: skip
            if off:
                found.append(f"{chart['id']}: {item['kind']} {item['text']!r} runs off the chart")
            if item["kind"] == "title":
                found.append(f"{chart['id']}: a chart title {item['text']!r} under the heading {chart['heading']!r}")
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                apart = (a["right"] <= b["left"] + slack or b["right"] <= a["left"] + slack
                         or a["bottom"] <= b["top"] + slack or b["bottom"] <= a["top"] + slack)  # fmt: skip
                if not apart:
                    found.append(f"{chart['id']}: {a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
    return found


@dataclass
class Tab:
    """A page, in a browser context of its own (as a window of its own, never throttled as a background tab), kept
    open between tests, and the reports it has shown: the same report opened again in the same page (the
    comparison report by three tests) is not compiled again, which saves a second or more a report."""

    context: Any
    page: Any
    seen: set[str] = field(default_factory=set)


@pytest.fixture(scope="session")
def tabs(browser: Any) -> Iterator[list[Tab]]:
    kept: list[Tab] = []
    yield kept
    for tab in kept:
        tab.context.close()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Note a failed test, so that `open_report` saves full-page screenshots of what it showed."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


@pytest.fixture
def open_report(browser: Any, tabs: list[Tab], request: pytest.FixtureRequest) -> Iterator[Callable[..., Opened]]:
    """Open a report from disk, offline, at a screen `width` (1280 px unless given), wait until every chart is
    drawn, and save a screenshot of the first screen; of the full page too when the test fails (or always with
    LEFTSHIFT_SCREENSHOTS=full: a full-page screenshot of a long report takes seconds)."""
    used: list[tuple[Tab, Callable[[], None]]] = []

    def opener(path: Path, width: int = 1280) -> Opened:
        url = path.resolve().as_uri()
        free = [t for t in tabs if all(t is not busy for busy, _ in used)]
        tab = next((t for t in free if url in t.seen), free[0] if free else None)
        if tab is None:
            context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
            tab = Tab(context, context.new_page())
            tabs.append(tab)
        page = tab.page
        page.set_viewport_size({"width": width, "height": 900})
        opened = Opened(page=page, width=width)
        name = request.node.name.replace("[", "-").replace("]", "") + (f"-{len(used) + 1}" if used else "")
        name += f"-{width}px" if width != 1280 else ""

        def route(r: Any) -> None:
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                opened.network.append(r.request.url)
                r.abort()

        def dialog(d: Any) -> None:
            opened.dialogs.append(d.message)
            d.dismiss()

        listeners = {
            "console": lambda m: opened.console_errors.append(m.text) if m.type == "error" else None,
            "pageerror": lambda e: opened.console_errors.append(str(e)),
            "request": lambda r: None if r.url.startswith(LOCAL) else opened.network.append(r.url),
            "dialog": dialog,
        }
        tab.context.route("**/*", route)
        for event, listener in listeners.items():
            page.on(event, listener)
        cdp = tab.context.new_cdp_session(page)

        def close() -> None:
            """Leave the page as a new one would be (no listeners, no routes, screen media, a blank document), or
            after a failure save the full page as the test left it and close it."""
            if request.node.stash.get(FAILED, True):
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(Exception):  # a crashed page has nothing to show; the failure is reported
                    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                tabs.remove(tab)
                tab.context.close()
                return
            for event, listener in listeners.items():
                page.remove_listener(event, listener)
            tab.context.unroute("**/*", route)
            cdp.detach()
            page.emulate_media(media="null")
            page.goto("about:blank")

        used.append((tab, close))
        cdp.send("Performance.enable")
        before = _thread_time(cdp)
        start = time.perf_counter()
        page.goto(url, wait_until="load", timeout=60_000)
        tab.seen.add(url)
        opened.load_seconds = time.perf_counter() - start
        found = page.evaluate(CHARTS_JS)
        opened.ready_seconds = time.perf_counter() - start
        opened.cpu_seconds = _thread_time(cdp) - before
        opened.sections, opened.charts, opened.page_width = found["sections"], found["charts"], found["page_width"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if FULL_PAGE:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-first-screen.png"))
        return opened

    yield opener
    for _, close in used:
        close()


def _thread_time(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics.get("ThreadTime", 0.0))
