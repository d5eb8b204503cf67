"""The run and comparison reports: headline, assumptions, where people are, demand, costs, moves, programmes,
queues and waits, and every parameter with its source (docs/reports.md lists the sections). Weekly series are
sampled about monthly and flows summed by year, so the Leeds comparison stays about 5 MB, most of it plotly.js.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from leftshift.analysis.breakdown import INTERACTIONS, Breakdown
from leftshift.analysis.economics import Comparison
from leftshift.analysis.measures import format_number
from leftshift.analysis.verdict import verdict
from leftshift.report.explain import Uncertainty, figures_table, moves_table, verdict_block, waiting_table
from leftshift.report.headline import assumptions, comparison_headline, run_headline
from leftshift.report.page import Page, h
from leftshift.report.page import per_year as page_per_year
from leftshift.report.parameters import add_appendix
from leftshift.result import Result
from leftshift.scenario.model import Scenario


def _descriptions(scenarios: Sequence[Scenario]) -> str:
    parts = [f'<p><span class="scenario-name">{h(s.name)}</span>: {h(s.description)}</p>'
             for s in scenarios if s.description]  # fmt: skip
    return "".join(parts)


def _activity_charts(page: Page, results: Sequence[Result], demand: bool = True) -> None:
    """Where people are, demand (a comparison shows its change instead: `demand=False`), cost by service and payer."""
    from leftshift import plots

    per_year = page_per_year(results[0].scenario.horizon_years)
    several = len(results) > 1
    page.chart("people", "Where people are", "People in each state over time, stacked. Use the menu (top right) to "
               + ("pick a scenario and an age band." if several else "pick an age band."),
               plots.people_by_state(results, per_year=per_year))  # fmt: skip
    if demand:
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
    from leftshift.plots.frames import flow_totals_once

    s = result.scenario
    page = Page(f"{s.name}: {s.horizon_years:g} years from {s.start_year}",
                f"What the model projects for demand, queues and cost. Engine: {result.engine}.")  # fmt: skip
    page.section("headline", "Totals over the horizon", _descriptions([s]) + run_headline(summary))
    page.section("assumptions", "Key assumptions", assumptions([summary]))
    _activity_charts(page, [result])
    moves = flow_totals_once()  # (the run's moves added up once for the chart and the table)
    page.chart("sankey", "Moves between services", "Every move between states over the horizon, by where people "
               "came from and went to. Hover over a band for the number.", plots.sankey(result, moves),
               table=moves_table(result, flow_totals=moves))  # fmt: skip
    _service_charts(page, [result])
    _waiting(page, [result])
    _related(page, related)
    add_appendix(page, [s])
    return page.render()


def _waiting(page: Page, results: Sequence[Result]) -> None:
    table = waiting_table(results)
    if table:
        mean = ", mean over replications" if any(r.replicated for r in results) else ""
        page.section("waiting", "Deaths and departures while waiting",
                     '<p class="note">People who died in a queue before a place came free, who left it another way '
                     "(e.g. admitted to hospital while waiting at home), and referrals turned away for lack of a "
                     f"place; over the horizon{mean}.</p>" + table)  # fmt: skip


def _why(page: Page, breakdowns: Sequence[Breakdown], results: Sequence[Result]) -> None:
    """Where the savings come from: the waterfall and the programmes of each scenario, then the figures."""
    from leftshift.plots.change import avoided_by_year, programme_shares, waterfall

    for b, r in zip(breakdowns, results[1:], strict=True):
        services = ", ".join(f"{row.label}: {format_number(row.avoided_gbp_discounted, 'GBP')}"
                             for row in b.services.itertuples())  # fmt: skip
        page.chart(f"why-{_key(r)}", f"Where the savings come from: {b.scenario}",
                   "Avoided cost of care and hospital by service (blue: the scenario costs less than the baseline; "
                   "orange: more), less the extra spend on each programme, to the net savings. Discounted.",
                   waterfall(b, r.replicated), f"Avoided cost by service: {services}. Total avoided "
                   f"{format_number(b.figures['avoided_downstream_cost_gbp_discounted'], 'GBP')}, extra spend "
                   f"{format_number(b.figures['extra_intervention_spend_gbp_discounted'], 'GBP')}, net savings "
                   f"{format_number(b.figures['net_savings_gbp_discounted'], 'GBP')}.")  # fmt: skip
        shares = "; ".join(f"{row.label}: avoided {format_number(row.avoided_gbp_discounted, 'GBP')}, spend "
                           f"{format_number(row.extra_spend_gbp_discounted, 'GBP')}"
                           for row in b.programmes.itertuples())  # fmt: skip
        if (b.programmes["programme"] != INTERACTIONS).sum() > 1:  # one programme: the waterfall says it all
            page.chart(f"programmes-{_key(r)}", f"Which programme pays its way: {b.scenario}",
                       "For each programme: the avoided cost it brings (the scenario against the same scenario run "
                       "without it), its extra spend, and its net savings. Programmes interact, so the part that "
                       "belongs to no single programme is shown as its own row.",
                       programme_shares(b), shares)  # fmt: skip
        page.chart(f"by-year-{_key(r)}", f"Avoided cost year by year: {b.scenario}",
                   "Avoided cost by service each year (above zero the scenario costs less), the extra spend on each "
                   "programme (below zero), and the net savings of the year. Discounted.",
                   avoided_by_year(results[0], r))  # fmt: skip
    page.section("figures", "Cost per admission avoided, and the cost of living longer",
                 '<p class="note">Extra spend, and the net saving (or net cost), per emergency admission avoided '
                 "(discounted), and what people kept alive longer cost in care: more years alive are a good outcome "
                 "with a cost.</p>"
                 + figures_table(breakdowns))  # fmt: skip


def comparison_report(
    results: Sequence[Result], comparisons: Sequence[Comparison], summaries: Sequence[dict[str, Any]],
    related: Sequence[PurePath] = (), breakdowns: Sequence[Breakdown] | None = None,
    uncertainty: Mapping[str, Uncertainty] | None = None,
) -> str:  # fmt: skip
    """The page for a baseline (results[0]) and scenarios: the verdict, why, who pays and saves, charts.

    `breakdowns`: each comparison's `analysis.breakdown` (computed here, without attributing avoided cost to
    programmes, when not given); `uncertainty`: `--samples` draws by scenario name, for the verdict."""
    from leftshift import plots
    from leftshift.analysis.breakdown import breakdown as explain
    from leftshift.plots.change import demand_change
    from leftshift.plots.frames import flow_totals_once

    baseline, scenarios = results[0], list(results[1:])
    horizon = baseline.scenario.horizon_years
    if breakdowns is None:
        breakdowns = [explain(c, baseline, r) for c, r in zip(comparisons, scenarios, strict=True)]
    names = ", ".join(r.scenario.name for r in scenarios)
    page = Page(f"{names} against {baseline.scenario.name}",
                f"What the investment does to demand, queues and cost over {horizon:g} years, and who pays and who "
                "saves.")  # fmt: skip
    headline = []
    for c in comparisons:
        found = (uncertainty or {}).get(c.scenario)
        headline.append(f'<div class="headline" data-scenario="{h(c.scenario)}"><p class="scenario-name">'
                        f"{h(c.scenario)} against {h(c.baseline)}</p>{verdict_block(c, found)}"
                        f"{comparison_headline(c, horizon)}</div>")  # fmt: skip
    page.section("headline", "The answer: the scenario against the baseline, over the whole horizon",
                 "".join(headline) + _descriptions([r.scenario for r in results]))  # fmt: skip
    _why(page, breakdowns, results)
    for c, r in zip(comparisons, scenarios, strict=True):
        draws = (uncertainty or {}).get(c.scenario)
        band = " The grey band holds 90% of the draws of the uncertain inputs." if draws is not None else ""
        page.chart(f"savings-{_key(r)}", f"Who saves and when: {c.scenario}",
                   "Cumulative net savings (avoided cost minus extra programme spend, discounted) by who pays. The "
                   "star marks the payback year, when the whole system has saved as much as it spent." + band,
                   plots.cumulative_net_savings(c, draws.cumulative if draws is not None else None),
                   verdict(c))  # fmt: skip
    band = " The band holds 90% of the replications." if any(r.replicated for r in results) else ""
    page.chart("demand-change", "Change in demand against the baseline",
               "Each scenario's demand minus the baseline's, year by year: below zero, less demand." + band,
               demand_change(results))  # fmt: skip
    page.section("assumptions", "Key assumptions", assumptions(summaries))
    _waiting(page, results)
    _activity_charts(page, results, demand=False)
    moves = flow_totals_once()  # (each run's moves added up once for its charts and tables)
    for r in scenarios:
        page.chart(f"sankey-{_key(r)}", f"Moves between services: {r.scenario.name}",
                   "Every move between states over the horizon, by where people came from and went to.",
                   plots.sankey(r, moves), table=moves_table(r, flow_totals=moves))  # fmt: skip
        page.chart(f"sankey-diff-{_key(r)}", f"Change in moves: {r.scenario.name} against the baseline",
                   "Which moves the scenario makes more (orange) or less (blue) common than the baseline.",
                   plots.sankey_difference(baseline, r, flow_totals=moves),
                   table=moves_table(r, baseline, moves))  # fmt: skip
    _service_charts(page, results)
    _related(page, related)
    add_appendix(page, [r.scenario for r in results])
    return page.render()


__all__ = ["comparison_report", "run_report"]
