"""The reports explain the answer, in a real browser: the verdict first with a working link to the uncertainty
report, the charts of why, the optimise report's verdict first; every report fits a 390 px phone without sideways
scrolling with every chart drawn and described for screen readers; printing keeps each chart on one A4 page with
the parameters as an appendix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builders import two_programme_dicts
from conftest import ARTIFACTS, PHONE, Opened, leftshift, write_yaml
from leftshift.analysis.breakdown import NET_COST, NET_SAVING
from leftshift.analysis.economics import compare
from leftshift.analysis.verdict import verdict
from leftshift.io.reading import read_comparison

A4_PRINTABLE_PX = (297 - 2 * 14) / 25.4 * 96
"""The height inside A4 with report.css's page margins, in CSS pixels."""


@pytest.fixture(scope="module")
def experiments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from leftshift.report.writers import write_sensitivity_report, write_sweep_report

    root = tmp_path_factory.mktemp("experiments")
    for sub in ("sweep", "sensitivity"):
        (root / sub).mkdir()
    budgets = np.linspace(0, 10e6, 11)
    sweep = pd.DataFrame(
        {"interventions[0].budget": budgets, "net_savings_gbp_discounted": -((budgets - 4e6) ** 2) / 1e7}
    )
    write_sweep_report(root / "sweep", sweep, "net_savings_gbp_discounted")
    paths = ["interventions[0].effects.community->acute", "costs.per_person_week.acute.nhs"]
    tornado = pd.DataFrame({"parameter": paths,
                            "low": [-1e6, -2e6], "high": [3e6, 4e6], "low_value": [0.8, 2500.0],
                            "high_value": [0.95, 3400.0]})  # fmt: skip
    sobol = pd.DataFrame({"parameter": tornado["parameter"], "S1": [0.3, 0.5], "ST": [0.4, 0.6],
                          "S1_conf": [0.3, 0.05], "ST_conf": [0.2, 0.05]})  # fmt: skip
    write_sensitivity_report(root / "sensitivity", "net_savings_gbp_discounted", tornado, 1e6, sobol, samples=32)
    return root


def test_the_comparison_report_says_the_answer_first_and_why(open_report, explained):
    opened = open_report(explained / "report.html")
    opened.assert_healthy()
    results, _, _ = read_comparison(explained)
    c = compare(results[0], results[1])
    draws = pd.read_parquet(explained / "uncertainty" / "samples.parquet")["net_savings_gbp_discounted"]
    page = opened.page
    first = page.locator("section").first
    assert first.locator(".verdict").inner_text().strip() == verdict(c, draws) + "."
    ids = [chart["id"] for chart in opened.charts]
    assert ids[:3] == ["chart-why-small-town", "chart-programmes-small-town", "chart-by-year-small-town"]
    assert "chart-demand-change" in ids
    link = first.locator("a.more")
    assert link.get_attribute("href") == "uncertainty/report.html"
    uncertainty = open_report(explained / link.get_attribute("href"))
    uncertainty.assert_healthy()
    assert uncertainty.charts[0]["id"] == "chart-fan-savings"  # the cumulative net savings fan first
    assert "chart-payback" in [chart["id"] for chart in uncertainty.charts]
    rows = pd.read_csv(explained / "comparison.csv").set_index("metric")["value"]
    breakdown = pd.read_csv(explained / "breakdown.csv")
    services = breakdown[(breakdown["part"] == "service") & (breakdown["measure"] == "avoided_gbp_discounted")]
    assert services["value"].sum() == pytest.approx(rows["avoided_downstream_cost_gbp_discounted"], rel=1e-9)
    assert set(breakdown.loc[breakdown["part"] == "programme", "item"]) == {"Neighbourhood network", "Falls classes",
                                                                           "interactions"}  # fmt: skip
    codes = page.locator('#parameters a[href="#evidence-S22"]')
    assert codes.count() >= 1 and page.locator("#evidence-S22").count() == 1
    opened.assert_texts_apart()  # and no chart title repeating its section's heading
    shown = [name for name in (NET_SAVING, NET_COST) if page.locator(f'td[data-figure="{name}"]').count()]
    assert shown == [NET_SAVING if rows[NET_SAVING] >= 0 else NET_COST]  # never a negative cost
    assert "over replications" not in page.content()  # one stock-flow run: nothing is a mean over replications


@pytest.fixture(scope="module")
def optimised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two programmes split by `leftshift optimise`, with a two-point frontier (the budget's is the best split)."""
    root = tmp_path_factory.mktemp("optimised")
    scenario, baseline = two_programme_dicts()
    base = write_yaml(root / "base.yaml", baseline)
    leftshift("optimise", write_yaml(root / "two.yaml", scenario), "--baseline", base, "--budget", 3e5,
              "--objective", "emergency_admissions", "--frontier", "1.5e5:3e5:2", "--out", root / "out",
              "--quiet")  # fmt: skip
    return root / "out"


def test_the_optimise_report_says_the_answer_first(open_report, optimised):
    opened = open_report(optimised / "report.html")
    opened.assert_healthy()
    said = json.loads((optimised / "experiment.json").read_text())["verdict"]
    first = opened.page.locator("section").first
    assert first.locator(".verdict").inner_text().strip() == said + "."
    assert [chart["id"] for chart in opened.charts] == ["chart-splits", "chart-marginal", "chart-frontier"]
    assert all("Targeted" in chart["description"] for chart in opened.charts[:2])
    opened.assert_texts_apart()


@pytest.mark.parametrize("report", ["comparison", "uncertainty", "run", "sweep", "sensitivity", "optimise"])
def test_every_report_fits_a_phone(open_report, request, report):
    fixture, where = {
        "comparison": ("explained", "report.html"),
        "uncertainty": ("explained", "uncertainty/report.html"),
        "run": ("explained_run", "report.html"),
        "sweep": ("experiments", "sweep/report.html"),
        "sensitivity": ("experiments", "sensitivity/report.html"),
        "optimise": ("optimised", "report.html"),
    }[report]
    path = request.getfixturevalue(fixture) / where  # only the folder this report needs is made
    opened = open_report(path, width=PHONE)
    opened.assert_healthy()  # no console errors, every chart drawn and described, no sideways scrolling
    opened.assert_texts_apart()  # titles, panel titles, menus, legends and labels each readable, none cut off
    if report == "comparison":
        sankey_labels_are_readable(opened)
    if report == "sensitivity":
        assert "The Sobol sample is small" in opened.text("#sobol-warning")


SANKEY_JS = """id => {
  const gd = document.getElementById(id), trace = gd._fullData.find(t => t.type === "sankey" && t.visible === true);
  const shown = Array.from(gd.querySelectorAll(".sankey-node .node-label")).map(t => t.textContent.trim())
    .filter(Boolean);
  return {shown, labels: trace.node.label, full: trace.node.customdata, moves: trace.link.value.length,
          rows: gd.closest("section").querySelectorAll("details.numbers tbody tr").length};
}"""


def sankey_labels_are_readable(opened: Opened) -> None:
    """The big nodes keep their labels, every node's label is in its hover text, every move is in the table under
    the chart, and the menu's other view (no trips to hospital and back) is tidied too when it is drawn."""
    page = opened.page
    for key in ("chart-sankey-small-town", "chart-sankey-diff-small-town"):
        found = page.evaluate(SANKEY_JS, key)
        assert len(found["shown"]) >= 2, found
        assert all(found["full"]) and len(found["full"]) == len(found["labels"])
        assert found["rows"] >= 1 and (found["rows"] == found["moves"] or "diff" in key)  # the change: every move
    tidied = page.evaluate("() => document.getElementById('chart-sankey-small-town').dataset.tidied")
    page.evaluate("""() => { const gd = document.getElementById('chart-sankey-small-town');
        const b = gd.layout.updatemenus[0].buttons[1]; return Plotly.update(gd, b.args[0], b.args[1]); }""")
    page.wait_for_function(f"() => document.getElementById('chart-sankey-small-town').dataset.tidied !== '{tidied}'")
    assert page.evaluate(SANKEY_JS, "chart-sankey-small-town")["shown"]
    opened.assert_texts_apart()


PRINT_JS = """async () => {
  window.leftshiftPrint();
  const charts = Array.from(document.querySelectorAll("div.figure"));
  await Promise.all(charts.flatMap(gd => gd._promises || []));  // plotly's pending drawing, if any
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""
"""Lay the report out for print, and wait until every chart has been drawn again at the printed size and painted."""


def test_printing_keeps_each_chart_on_one_a4_page(open_report, explained):
    opened = open_report(explained / "report.html")
    page = opened.page
    page.emulate_media(media="print")
    page.evaluate(PRINT_JS)
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('section.chart')).map(s => ({
        id: s.id, height: s.getBoundingClientRect().height, breaks: getComputedStyle(s).breakInside,
        width: s.querySelector('div.figure .main-svg').getBoundingClientRect().width}))""")
    assert sizes
    for size in sizes:
        assert size["height"] <= A4_PRINTABLE_PX, size
        assert size["width"] <= 720, size
        assert size["breaks"] == "avoid", size
    appendix = page.evaluate("() => getComputedStyle(document.getElementById('parameters')).breakBefore")
    assert appendix == "page"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "comparison-report-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 10_000
    assert opened.console_errors == []
