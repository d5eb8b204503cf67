"""The run and comparison reports: headline, assumptions, where people are, demand, costs, moves, programmes,
queues and waits, and every parameter with its source (docs/reports.md lists the sections). Weekly series are
sampled about monthly and flows summed by year, so the Leeds comparison stays about 5 MB, most of it plotly.js.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from leftshift.analysis.economics import Comparison
from leftshift.report.headline import assumptions, comparison_headline, run_headline
from leftshift.report.page import Page, h
from leftshift.report.page import per_year as page_per_year
from leftshift.report.parameters import provenance
from leftshift.result import Result
from leftshift.scenario.model import Scenario


def _descriptions(scenarios: Sequence[Scenario]) -> str:
    parts = [f'<p><span class="scenario-name">{h(s.name)}</span>: {h(s.description)}</p>'
             for s in scenarios if s.description]  # fmt: skip
    return "".join(parts)


def _activity_charts(page: Page, results: Sequence[Result]) -> None:
    from leftshift import plots

    per_year = page_per_year(results[0].scenario.horizon_years)
    several = len(results) > 1
    page.chart("people", "Where people are", "People in each state over time, stacked. Use the menu (top right) to "
               + ("pick a scenario and an age band." if several else "pick an age band."),
               plots.people_by_state(results, per_year=per_year))  # fmt: skip
    page.chart("demand", "Demand for hospital and care",
               "Emergency admissions, hospital bed days, care home admissions, home care clients and people "
               + ("waiting, year by year; baseline dotted." if several else "waiting, year by year."),
               plots.demand_over_time(results))  # fmt: skip
    page.chart("cost-service", "What the money is spent on",
               "Cost each year by service, not discounted. Hatched: one-off costs of moves (e.g. an A&E attendance); "
               "crossed: people waiting in hospital (delayed discharges), dotted: waiting elsewhere, in the colour of "
               "the service they wait for." + (" Use the menu to pick a scenario." if several else ""),
               plots.costs_by_service(results))  # fmt: skip
    page.chart(
        "cost-payer",
        "Who pays",
        "Cost each year by who pays, not discounted." + (" Use the menu to pick a scenario." if several else ""),
        plots.costs_by_payer(results),
    )


def _service_charts(page: Page, results: Sequence[Result]) -> None:
    from leftshift import plots

    per_year = page_per_year(results[0].scenario.horizon_years)
    for r in results:
        page.chart(f"reach-{_key(r)}", f"Programmes in {r.scenario.name}",
                   "Places funded by the budget and places actually running (capacity takes time to build), people "
                   "taking part, referrals turned away for lack of a place, and spend.",
                   plots.intervention_reach(r, per_year=per_year))  # fmt: skip
    page.chart("queues", "Capacity and queues",
               "People in each capacity-limited service against its places, and people waiting for a place.",
               plots.queues(results, per_year=per_year))  # fmt: skip
    for r in results:
        page.chart(f"waits-{_key(r)}", f"Waits in {r.scenario.name}",
                   "How long people waited for a place, from the discrete-event engine's record of each wait.",
                   plots.wait_distribution(r))  # fmt: skip


def _related(page: Page, related: Sequence[PurePath]) -> None:
    """Link the reports other commands wrote beside this one (e.g. `--samples` writes uncertainty/report.html)."""
    if related:
        links = "".join(f'<li><a href="{h(p.as_posix())}">{h(p.parent.as_posix())}</a></li>' for p in related)
        page.section("more", "More reports in this folder", f"<ul>{links}</ul>")


def _key(result: Result) -> str:
    from leftshift.io.writing import slug

    return slug(result.scenario.name)


def run_report(result: Result, summary: dict[str, Any], related: Sequence[PurePath] = ()) -> str:
    """The page for one run: headline totals, assumptions, charts and the parameter table.

    `related`: other reports in the run's folder (relative paths), linked at the end."""
    from leftshift import plots

    s = result.scenario
    page = Page(f"{s.name}: {s.horizon_years:g} years from {s.start_year}",
                f"What the model projects for demand, queues and cost. Engine: {result.engine}.")  # fmt: skip
    page.section("headline", "Totals over the horizon", _descriptions([s]) + run_headline(summary))
    page.section("assumptions", "Key assumptions", assumptions([summary]))
    _activity_charts(page, [result])
    page.chart("sankey", "Moves between services", "Every move between states over the horizon, by where people "
               "came from and went to. Hover over a band for the number.", plots.sankey(result))  # fmt: skip
    _service_charts(page, [result])
    page.section("parameters", "Every parameter and its source", provenance([s]))
    _related(page, related)
    return page.render()


def comparison_report(
    results: Sequence[Result], comparisons: Sequence[Comparison], summaries: Sequence[dict[str, Any]],
    related: Sequence[PurePath] = (),
) -> str:  # fmt: skip
    """The page for a baseline (results[0]) and scenarios: headline savings, who pays and saves, charts."""
    from leftshift import plots

    baseline, scenarios = results[0], list(results[1:])
    names = ", ".join(r.scenario.name for r in scenarios)
    page = Page(f"{names} against {baseline.scenario.name}",
                f"What the investment does to demand, queues and cost over {baseline.scenario.horizon_years:g} years, "
                "and who pays and who saves.")  # fmt: skip
    headline = []
    for c in comparisons:
        headline.append(f'<div class="headline" data-scenario="{h(c.scenario)}"><p class="scenario-name">'
                        f"{h(c.scenario)} against {h(c.baseline)}</p>"
                        f"{comparison_headline(c, baseline.scenario.horizon_years)}</div>")  # fmt: skip
    page.section("headline", "Headline: the scenario against the baseline, over the whole horizon",
                 _descriptions([r.scenario for r in results]) + "".join(headline))  # fmt: skip
    page.section("assumptions", "Key assumptions", assumptions(summaries))
    for c, r in zip(comparisons, scenarios, strict=True):
        page.chart(f"savings-{_key(r)}", f"Who saves and when: {c.scenario}",
                   "Cumulative net savings (avoided cost minus extra programme spend, discounted) by who pays. The "
                   "star marks the payback year, when the whole system has saved as much as it spent.",
                   plots.cumulative_net_savings(c))  # fmt: skip
    _activity_charts(page, results)
    for r in scenarios:
        page.chart(f"sankey-{_key(r)}", f"Moves between services: {r.scenario.name}",
                   "Every move between states over the horizon, by where people came from and went to.",
                   plots.sankey(r))  # fmt: skip
        page.chart(f"sankey-diff-{_key(r)}", f"Change in moves: {r.scenario.name} against the baseline",
                   "Which moves the scenario makes more (orange) or less (blue) common than the baseline.",
                   plots.sankey_difference(baseline, r))  # fmt: skip
    _service_charts(page, results)
    page.section("parameters", "Every parameter and its source", provenance([r.scenario for r in results]))
    _related(page, related)
    return page.render()


__all__ = ["comparison_report", "run_report"]
