"""The comparison report explains: the verdict first with the way to the uncertainty report, the waterfall and
programme charts, deaths while waiting, every chart an image with a description for screen readers, the
parameter table as an appendix with distributions and source codes linked to the evidence it carries."""

from __future__ import annotations

import json
import re
from pathlib import PurePath

import numpy as np
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis import summary
from leftshift.analysis.breakdown import breakdown
from leftshift.analysis.economics import compare
from leftshift.api import run
from leftshift.experiments.attribution import runs_without_each
from leftshift.report import evidence
from leftshift.report.explain import Uncertainty
from leftshift.report.results import comparison_report
from leftshift.scenario.loading import scenario_from_dict


@pytest.fixture(scope="module")
def page() -> str:
    data = small_scenario_dict()
    data["interventions"].append(data["interventions"][0] | {"name": "Second", "budget": 60_000})
    spread = {"dist": "triangular", "low": 100, "mode": 150, "high": 220}
    data["interventions"][0]["cost_per_participant_year"] = {"value": spread, "source": "evidence.md S22, C14-C16"}
    base = run(small_scenario(name="Base", interventions=[]))

    scen = run(scenario_from_dict(data))
    c = compare(base, scen)
    found = {c.scenario: Uncertainty(np.linspace(-1e6, 1e6, 11), PurePath("uncertainty/report.html"))}
    return comparison_report([base, scen], [c], [summary.build(base), summary.build(scen)],
                             breakdowns=[breakdown(c, base, scen, runs_without_each(scen.scenario, base, run))],
                             uncertainty=found)  # fmt: skip


def test_the_verdict_comes_first_with_the_way_to_the_uncertainty_report(page):
    first = page.index('class="verdict"')
    assert first < page.index('class="cards"') and first < page.index("data-chart=")
    assert "across 11 draws of the uncertain inputs" in page
    assert 'href="uncertainty/report.html"' in page


def test_a_heading_is_said_once_and_a_single_run_is_not_called_a_mean(page):
    found = re.findall(r'<script type="application/json" class="figure-spec" data-for="[^"]+">(.*?)</script>', page)
    titles = [json.loads(spec)["layout"].get("title", {}) for spec in found]
    assert titles and all(not t.get("text") for t in titles)  # the section's heading is the chart's title
    assert sum(bool(t.get("subtitle", {}).get("text")) for t in titles) > len(titles) / 2  # subtitles stay
    assert "over replications" not in page and "90% of the replications" not in page


def test_the_moves_of_each_sankey_are_a_table_too(page):
    tables = re.findall(r'<details class="numbers"><summary>The numbers as a table</summary>(.*?)</details>', page)
    assert len(tables) == 2  # every move, and the change against the baseline
    assert "<th>From</th><th>To</th>" in tables[0] and "Moves over the horizon" in tables[0]
    assert "Change" in tables[1] and tables[1].count("<tr>") > 2
    assert re.search(r'<td class="num">[+-][\d,]+</td></tr>', tables[1])  # a change has its sign


def test_the_why_charts_and_tables_are_there(page):
    charts = re.findall(r'data-chart="([^"]+)"', page)
    assert charts[:2] == ["why-small-town", "programmes-small-town"]
    assert "demand-change" in charts and "demand" not in charts  # the change, not two lines on top of each other
    assert 'data-figure="spend_per_emergency_admission_avoided_gbp_discounted"' in page
    saves = 'data-figure="net_savings_per_emergency_admission_avoided_gbp_discounted"' in page
    costs = 'data-figure="net_cost_per_emergency_admission_avoided_gbp_discounted"' in page
    assert saves != costs  # one scenario: a net saving or a net cost per admission, never a negative cost
    assert "Deaths and departures while waiting" in page and "died while waiting" in page


def test_every_chart_is_an_image_described_for_screen_readers(page):
    figures = re.findall(r'<div class="figure" id="chart-([^"]+)" role="img" aria-label="([^"]+)" '
                         r'aria-describedby="desc-\1"', page)  # fmt: skip
    assert len(figures) == page.count('class="figure"') > 5
    for key, _ in figures:
        description = re.search(rf'<p class="sr-only" id="desc-{re.escape(key)}">([^<]+)</p>', page)
        assert description and len(description.group(1)) > 20, key


def test_parameters_are_an_appendix_with_distributions_and_linked_sources(page):
    assert page.index('id="parameters" class="appendix"') > page.index('data-chart="queues"')
    assert "triangular" in page and "<th>Uncertainty</th>" in page
    assert "Neighbourhood network: cost per participant-year" in page
    assert '<a href="#evidence-S22">S22</a>' in page and 'id="evidence-S22"' in page
    assert all(f'id="evidence-C{n}"' in page for n in (14, 15, 16))


def test_the_evidence_rows_are_read_from_the_copy_shipped_with_the_package():
    rows = evidence.rows()
    assert "S22" in rows and "Source (title, publisher, URL)" in rows["S22"]
    assert set(evidence.cited(["(A2-A5) and C14–C15, X9"])) == {"A2", "A3", "A4", "A5", "C14", "C15"}
    assert evidence.linked("see <b>S22</b> Z1") == 'see &lt;b&gt;<a href="#evidence-S22">S22</a>&lt;/b&gt; Z1'
    assert evidence.appendix(["no codes here"]) == ""
