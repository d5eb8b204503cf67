"""report.html: one self-contained page a commissioner can email to a director, and open offline.

plotly.js is embedded once, at the end of the page, so the headline shows before the charts are drawn; each
chart is a `leftshift.plots` figure whose JSON sits in the page. Every string that comes from a scenario (names,
descriptions, source notes) is HTML-escaped. Weekly series are sampled (about monthly) and flows summed by
year, so the Leeds comparison stays about 5 MB, most of it plotly.js. docs/reports.md describes the sections.

Public functions write `report.html` into an existing directory and return its path:
`write_run_report`, `write_comparison_report`, `write_sweep_report`, `write_sensitivity_report`,
`write_samples_report`; `rebuild_report` rebuilds it from a results directory without re-running.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from leftshift.analysis.economics import Comparison
from leftshift.errors import LeftshiftError
from leftshift.result import Result
from leftshift.scenario.model import Scenario

REPORT = "report.html"
MAX_POINTS = 300
"""At most this many points per series in time: monthly for horizons up to 25 years, coarser beyond."""
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

RUN_HEADLINE = [
    ("total_cost_gbp_discounted", "Total cost (discounted)"),
    ("intervention_spend_gbp_discounted", "Spend on programmes (discounted)"),
    ("emergency_admissions", "Emergency admissions"),
    ("care_home_admissions", "Care home admissions"),
    ("delayed_discharge_bed_days", "Delayed-discharge bed days"),
    ("person_years_at_home", "Person-years lived at home"),
]
COMPARISON_HEADLINE = [
    ("net_savings_gbp_discounted", "Net savings (discounted)", "GBP"),
    ("roi", "Return on investment", "ratio"),
    ("payback_year", "Payback year", "year"),
    ("emergency_admissions_avoided", "Emergency admissions avoided", "people"),
    ("care_home_admissions_avoided", "Care home admissions avoided", "people"),
    ("delayed_discharge_bed_days_avoided", "Delayed-discharge days avoided", "days"),
    ("person_years_at_home_gained", "Person-years at home gained", "person-years"),
]
PAYER_HEADLINE = [("nhs", "NHS"), ("council", "Council"), ("self_funder", "Self-funders"), ("other", "Other")]


def h(text: object) -> str:
    """Escape any text for HTML (scenario names, descriptions, source notes, key paths)."""
    return html.escape(str(text), quote=True)


def format_value(value: float | None, unit: str) -> str:
    """How the report (and its tests) write a number: as the terminal does, years as years."""
    from leftshift.analysis.measures import format_number as number

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none" if unit == "year" else "-"
    if unit == "year":
        return f"{value:.0f}"
    if unit == "percent":
        return f"{value:.0f}%"
    return number(float(value), unit)


# Page assembly ---------------------------------------------------------------------------------------


@dataclass
class Page:
    """A report being assembled: trusted HTML fragments and charts, rendered into one file."""

    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    contents: list[tuple[str, str]] = field(default_factory=list)

    def add(self, fragment: str) -> None:
        """Add HTML built by this module (every scenario string in it already escaped)."""
        self.parts.append(fragment)

    def section(self, key: str, heading: str, body: str) -> None:
        self.contents.append((key, heading))
        self.add(f'<section id="{h(key)}"><h2>{h(heading)}</h2>{body}</section>')

    def chart(self, key: str, heading: str, note: str, figure: Any) -> None:
        """A chart section; a figure with no data is left out (a blank chart tells nobody anything)."""
        import plotly.io as pio

        from leftshift.plots.style import has_data

        if not has_data(figure):
            return
        height = figure.layout.height or 480
        spec = pio.to_json(figure, validate=False)  # escapes <, > and / so the JSON cannot end the script element
        self.contents.append((key, heading))
        self.add(f'<section class="chart" id="{h(key)}" data-chart="{h(key)}"><h2>{h(heading)}</h2>'
                 f'<p class="note">{h(note)}</p><div class="figure" id="chart-{h(key)}" style="height:{int(height)}px">'
                 f'</div><script type="application/json" class="figure-spec" data-for="chart-{h(key)}">{spec}</script>'
                 "</section>")  # fmt: skip

    def render(self) -> str:
        from plotly.offline import get_plotlyjs

        from leftshift.analysis.summary import version

        nav = "".join(f'<li><a href="#{h(k)}">{h(t)}</a></li>' for k, t in self.contents)
        made = dt.datetime.now().strftime("%d %B %Y, %H:%M")
        return (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="leftshift {h(version())}">\n<title>{h(self.title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            f'<header><h1>{h(self.title)}</h1><p class="subtitle">{h(self.subtitle)}</p></header>\n'
            f'<nav aria-label="Contents"><ol>{nav}</ol></nav>\n' + "\n".join(self.parts) +
            f'\n<footer>Made by leftshift {h(version())} on {h(made)}. Charts are interactive: hover for values, '
            "click a legend entry to hide it, double-click to show it alone.</footer>\n</main>\n"
            f"<script>{get_plotlyjs()}</script>\n<script>const CONFIG = {json.dumps(CONFIG)};{DRAW}</script>\n"
            "</body>\n</html>\n"
        )  # fmt: skip


DRAW = """
/* Text first, charts after: plotly.js is at the end of the page, so the headline shows at once; charts are
   drawn one at a time, those on screen first, yielding in between so the page stays responsive.
   window.leftshiftReady resolves when every chart is drawn (tests wait for it). */
(function () {
  const divs = Array.from(document.querySelectorAll("div.figure"));
  const specs = new Map(Array.from(document.querySelectorAll("script.figure-spec")).map(s => [s.dataset.for, s]));
  function draw(div) {
    if (div.dataset.drawn) return Promise.resolve();
    div.dataset.drawn = "1";
    const spec = JSON.parse(specs.get(div.id).textContent);
    return Plotly.newPlot(div, spec.data, spec.layout, CONFIG);
  }
  function onScreen(div) {
    const r = div.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }
  const pause = () => new Promise(resolve => setTimeout(resolve, 0));
  window.leftshiftReady = (async function () {
    const order = divs.filter(onScreen).concat(divs.filter(d => !onScreen(d)));
    for (const div of order) { await draw(div); await pause(); }
    document.body.dataset.chartsDrawn = String(order.length);
  })();
  window.addEventListener("beforeprint", () => divs.forEach(draw));
})();
"""


STYLE = """
:root { --ink: #222; --muted: #555; --line: #ddd; --soft: #f5f6f7; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); background: #fff; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; } h2 { font-size: 1.25rem; margin: 0 0 6px; }
.subtitle, .note, footer { color: var(--muted); } .note { margin: 0 0 8px; max-width: 70em; }
section { margin: 28px 0; padding-top: 8px; border-top: 1px solid var(--line); }
nav ol { columns: 3; font-size: .9rem; margin: 8px 0 0; padding-left: 1.4em; }
nav a { color: var(--accent); }
.scenario-name { font-weight: 600; margin: 14px 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.card { background: var(--soft); border-radius: 8px; padding: 10px 12px; }
.card .label { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .detail { font-size: .8rem; color: var(--muted); }
.card.good .value { color: #00629B; } .card.bad .value { color: #A34700; }
.payers { font-size: .9rem; margin-top: 6px; color: var(--muted); }
.payers span { margin-right: 1.2em; white-space: nowrap; } .payers b { color: var(--ink); }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: pre-line; }
tr.changed td { background: #fff6e0; } code { font-size: .85em; }
details summary { cursor: pointer; color: var(--accent); }
.plotly-graph-div { margin-top: 4px; }
@media print { nav { display: none; } section { break-inside: avoid; } }
"""


def _write(directory: str | Path, page: Page) -> Path:
    """Write report.html into `directory` atomically: a reader never sees half a report."""
    target = Path(directory) / REPORT
    partial = target.with_name(f".{REPORT}.partial")
    partial.write_text(page.render(), encoding="utf-8")
    os.replace(partial, target)
    return target


def _per_year(scenario: Scenario) -> int:
    return max(1, min(12, int(MAX_POINTS / max(scenario.horizon_years, 1e-9))))


# Headline figures ------------------------------------------------------------------------------------


def _card(metric: str, label: str, value: float | None, unit: str, detail: str = "", tone: str = "") -> str:
    raw = "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))
    return (f'<div class="card {tone}" data-metric="{h(metric)}"><div class="label">{h(label)}</div>'
            f'<div class="value" data-value="{raw}">{h(format_value(value, unit))}</div>'
            f'<div class="detail">{h(detail)}</div></div>')  # fmt: skip


def _interval(values: pd.Series, unit: str) -> str:
    """'95% CI a to b' for the mean over replications; '' for one run."""
    from leftshift.analysis.summary import spread

    clean = values.dropna().astype(float)
    if len(clean) < 2:
        return ""
    s = spread(clean)
    return f"mean; 95% CI {format_value(s['ci95_low'], unit)} to {format_value(s['ci95_high'], unit)}"


def _run_headline(summary: dict[str, Any]) -> str:
    cards = []
    for metric, label in RUN_HEADLINE:
        entry = summary.get("metrics", {}).get(metric)
        if entry is None:
            continue
        unit = entry["unit"]
        value = entry.get("value", entry.get("mean"))
        detail = ""
        if "mean" in entry:
            detail = (f"mean; 95% CI {format_value(entry['ci95_low'], unit)} to "
                      f"{format_value(entry['ci95_high'], unit)}")  # fmt: skip
        cards.append(_card(metric, label, value, unit, detail))
    return f'<div class="cards">{"".join(cards)}</div>'


def headline_value(comparison: Comparison, column: str) -> float:
    """The value the report shows: the mean over replications (as comparison.csv), the median payback year."""
    values = comparison.headline[column].astype(float)
    if column == "payback_year":
        return float(values.median()) if values.notna().any() else math.nan
    return float(values.mean())


def _comparison_headline(comparison: Comparison, horizon: float) -> str:
    head = comparison.headline
    spend = headline_value(comparison, "intervention_spend_gbp_discounted")
    avoided = headline_value(comparison, "avoided_downstream_cost_gbp_discounted")
    cards = []
    for column, label, unit in COMPARISON_HEADLINE:
        value = headline_value(comparison, column)
        detail, tone = _interval(head[column], unit), ""
        if column == "net_savings_gbp_discounted":
            detail = (f"avoided cost {format_value(avoided, 'GBP')} - extra spend {format_value(spend, 'GBP')}"
                      + (f"; {detail}" if detail else ""))  # fmt: skip
            tone = "good" if value > 0 else "bad" if value < 0 else ""
        elif column == "roi":
            detail = detail or "net savings per £1 of extra spend"
        elif column == "payback_year":
            if spend <= 0:
                cards.append(_card(column, label, None, unit, "no extra spend on programmes"))
                continue
            if math.isnan(value):
                cards.append(_card(column, label, None, unit, f"does not pay back within {horizon:g} years", "bad"))
                continue
            share = head[column].isna().mean()
            detail = "first year cumulative net savings reach zero" if not share else f"median; {share:.0%} never"
        cards.append(_card(column, label, value, unit, detail, tone))
    payers = "".join(
        f'<span data-metric="net_savings_gbp_discounted_{p}">{h(name)}: '
        f"<b>{h(format_value(headline_value(comparison, f'net_savings_gbp_discounted_{p}'), 'GBP'))}</b></span>"
        for p, name in PAYER_HEADLINE
        if f"net_savings_gbp_discounted_{p}" in head.columns
    )
    return (f'<div class="cards">{"".join(cards)}</div>'
            f'<p class="payers">Net savings by who pays (discounted): {payers}</p>')  # fmt: skip


def _assumptions(summaries: Sequence[dict[str, Any]]) -> str:
    """Horizon, discount rate, price base, seed, engine and version, one column per scenario."""

    def rate(s: dict[str, Any]) -> str:
        return f"{s['discount_rate']:.1%} a year" if s.get("discount_rate") is not None else "-"

    rows = [
        ("Horizon", lambda s: f"{s['horizon_years']:g} years from {s['start_year']}"),
        ("Discount rate", rate),
        ("Price base", lambda s: s.get("price_base") or "not stated"),
        ("Time step", lambda s: f"{s['time_step_weeks']:g} week(s)"),
        ("Engine", lambda s: s.get("engine", "")),
        ("Replications", lambda s: str(s.get("replications", 1))),
        ("Seed", lambda s: str(s.get("seed", ""))),
        ("leftshift version", lambda s: s.get("leftshift_version", "")),
        ("Scenario fingerprint", lambda s: s.get("scenario_hash", "")),
    ]
    if any("warm_up_years" in s for s in summaries):
        rows.insert(5, ("Warm-up left out", lambda s: f"{s.get('warm_up_years', 0):g} years"))
    head = "".join(f"<th>{h(s.get('scenario', ''))}</th>" for s in summaries)
    body = "".join(
        f"<tr><th>{h(label)}</th>" + "".join(f'<td data-assumption="{h(label)}">{h(get(s))}</td>' for s in summaries)
        + "</tr>"
        for label, get in rows
    )  # fmt: skip
    return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


# Provenance ------------------------------------------------------------------------------------------


def _leaves(
    node: Any, bands: set[str], sources: dict[str, str], loc: tuple[Any, ...] = ()
) -> Iterator[tuple[str, Any]]:
    """(key path, value) of every number in a dumped scenario, in file order, as `--set` writes paths
    (`leftshift.scenario.keypaths`; `transitions[i]` is the file's item i, a split item included). A mapping by age
    band or by year (without notes of its own) stays one row: {band: number}."""
    from leftshift.scenario.keypaths import format_path

    path = format_path(loc)
    if isinstance(node, dict):
        numbers = node and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())
        grouped = numbers and (set(node) <= bands or all(str(k).isdigit() for k in node))
        if grouped and not any(format_path((*loc, str(k))) in sources for k in node):
            yield path, dict(node)
            return
        for key, value in node.items():
            if not loc and key == "sources":
                continue
            yield from _leaves(value, bands, sources, (*loc, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, bands, sources, (*loc, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def _source_for(path: str, sources: dict[str, str]) -> str:
    """The note on this path or on the nearest enclosing one (a note on a by-band value covers each band)."""
    from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path

    if path in sources:
        return sources[path]
    try:
        loc = parse_path(path)
    except KeyPathError:
        return ""
    for end in range(len(loc) - 1, 0, -1):
        probe = format_path(loc[:end])
        if probe in sources:
            return sources[probe]
    return ""


def _number(value: Any, path: str = "") -> str:
    """A parameter as written in the table: thousands separators, but not in years; by-band values one a line."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_number(v)}" for k, v in value.items())
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    if path == "start_year" or (isinstance(value, float) and not np.isfinite(value)):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:.6g}"


def parameter_table(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Every numeric parameter of the resolved scenarios with its source note: parameter (key path), one
    value column per scenario (a number, or {band or year: number}), source. Source notes on paths without
    a number (e.g. text) are listed too."""
    dumps = [s.model_dump(mode="json", by_alias=True) for s in scenarios]
    values: dict[str, list[Any]] = {}
    for i, dump in enumerate(dumps):
        for path, value in _leaves(dump, set(scenarios[i].age_bands), scenarios[i].sources):
            values.setdefault(path, [None] * len(dumps))[i] = value
    for i, s in enumerate(scenarios):
        for path in s.sources:
            if path not in values and not any(p.startswith(path + ".") or p.startswith(path + "[") for p in values):
                values.setdefault(path, [None] * len(dumps))[i] = _lookup(dumps[i], path)
    rows = []
    for path, per_scenario in values.items():
        notes = list(dict.fromkeys(n for n in (_source_for(path, s.sources) for s in scenarios) if n))
        rows.append({"parameter": path, **{f"value_{i}": v for i, v in enumerate(per_scenario)},
                     "source": " | ".join(notes)})  # fmt: skip
    return pd.DataFrame(rows)


def _lookup(dump: dict[str, Any], path: str) -> Any:
    from leftshift.scenario.keypaths import parse_path

    node: Any = dump
    try:
        for part in parse_path(path):
            node = node[part]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return node


def _transition_hint(path: str, scenario: Scenario) -> str:
    """'transitions[3].rate.85+' -> 'home_care->residential' (key paths of transitions name no states); the
    index is the file's item, so a split item reads 'acute->community/home_care/...'."""
    from leftshift.scenario.keypaths import KeyPathError, parse_path

    try:
        loc = parse_path(path)
    except KeyPathError:
        return ""
    if len(loc) < 2 or loc[0] != "transitions" or not isinstance(loc[1], int):
        return ""
    items = scenario.transition_items
    if loc[1] >= len(items):
        return ""
    item = items[loc[1]]
    split = getattr(item, "split", None)
    return f"{item.from_state}->{'/'.join(split)}" if split is not None else item.key  # type: ignore[union-attr]


def _provenance(scenarios: Sequence[Scenario]) -> str:
    table = parameter_table(scenarios)
    head = "".join(f'<th class="num">{h(s.name)}</th>' for s in scenarios)
    rows = []
    for row in table.itertuples(index=False):
        record = row._asdict()
        cells = [record[f"value_{i}"] for i in range(len(scenarios))]
        shown = [_number(v, record["parameter"]) for v in cells]
        changed = len(scenarios) > 1 and len({repr(v) for v in cells}) > 1
        hint = _transition_hint(record["parameter"], scenarios[-1])
        label = f"<code>{h(record['parameter'])}</code>" + (f" <small>{h(hint)}</small>" if hint else "")
        rows.append(f'<tr{" class=changed" if changed else ""}><td>{label}</td>'
                    + "".join(f'<td class="num">{h(v)}</td>' for v in shown)
                    + f"<td>{h(record['source'])}</td></tr>")  # fmt: skip
    with_source = int((table["source"] != "").sum()) if len(table) else 0
    note = (f"<p class=note>{len(table):,} parameters; {with_source:,} carry a source note from the scenario file. "
            "Key paths are those <code>--set</code> takes. "
            + ("Rows that differ between scenarios are highlighted. " if len(scenarios) > 1 else "")
            + "</p>")  # fmt: skip
    return (
        f'{note}<details open><summary>Show or hide the table</summary><table class="provenance"><thead><tr>'
        f"<th>Parameter</th>{head}<th>Source</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


def _descriptions(scenarios: Sequence[Scenario]) -> str:
    parts = [f'<p><span class="scenario-name">{h(s.name)}</span>: {h(s.description)}</p>'
             for s in scenarios if s.description]  # fmt: skip
    return "".join(parts)


# Reports -----------------------------------------------------------------------------------------------


def _activity_charts(page: Page, results: Sequence[Result]) -> None:
    from leftshift import plots

    per_year = _per_year(results[0].scenario)
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

    per_year = _per_year(results[0].scenario)
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


def _related(page: Page, directory: str | Path) -> None:
    """Link the reports other commands wrote beside this one (e.g. `--samples` writes uncertainty/report.html)."""
    root = Path(directory)
    found = sorted(p.relative_to(root) for p in root.glob("*/**/" + REPORT))
    if found:
        links = "".join(f'<li><a href="{h(p.as_posix())}">{h(p.parent.as_posix())}</a></li>' for p in found)
        page.section("more", "More reports in this folder", f"<ul>{links}</ul>")


def _key(result: Result) -> str:
    from leftshift.io.writing import slug

    return slug(result.scenario.name)


def write_run_report(directory: str | Path, result: Result, summary: dict[str, Any]) -> Path:
    """report.html for one run: headline totals, assumptions, charts and the parameter table."""
    from leftshift import plots

    s = result.scenario
    page = Page(f"{s.name}: {s.horizon_years:g} years from {s.start_year}",
                f"What the model projects for demand, queues and cost. Engine: {result.engine}.")  # fmt: skip
    page.section("headline", "Totals over the horizon", _descriptions([s]) + _run_headline(summary))
    page.section("assumptions", "Key assumptions", _assumptions([summary]))
    _activity_charts(page, [result])
    page.chart("sankey", "Moves between services", "Every move between states over the horizon, by where people "
               "came from and went to. Hover over a band for the number.", plots.sankey(result))  # fmt: skip
    _service_charts(page, [result])
    page.section("parameters", "Every parameter and its source", _provenance([s]))
    _related(page, directory)
    return _write(directory, page)


def write_comparison_report(
    directory: str | Path, results: Sequence[Result], comparisons: Sequence[Comparison],
    summaries: Sequence[dict[str, Any]],
) -> Path:  # fmt: skip
    """report.html for a baseline (results[0]) and scenarios: headline savings, who pays and saves, charts."""
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
                        f"{_comparison_headline(c, baseline.scenario.horizon_years)}</div>")  # fmt: skip
    page.section("headline", "Headline: the scenario against the baseline, over the whole horizon",
                 _descriptions([r.scenario for r in results]) + "".join(headline))  # fmt: skip
    page.section("assumptions", "Key assumptions", _assumptions(summaries))
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
    page.section("parameters", "Every parameter and its source", _provenance([r.scenario for r in results]))
    _related(page, directory)
    return _write(directory, page)


def write_sweep_report(
    directory: str | Path, sweep: pd.DataFrame, metric: str, varied: Sequence[str] | None = None,
    best: Literal["max", "min"] = "max", scenario: Scenario | None = None, also: Sequence[str] = (),
) -> Path:  # fmt: skip
    """report.html for a sweep: the best point, `metric` (and any `also` metrics) against the varied parameters."""
    from leftshift import plots
    from leftshift.plots.experiments import sweep_parameters
    from leftshift.plots.style import measure

    varied = list(varied) if varied is not None else sweep_parameters(sweep, metric)
    label, unit = measure(metric)
    page = Page(f"Sweep{': ' + scenario.name if scenario else ''}",
                f"{len(sweep):,} points varying {', '.join(varied)}")  # fmt: skip
    if len(sweep) and metric in sweep.columns:
        values = sweep[metric].to_numpy(dtype=float)
        row = sweep.iloc[int(np.nanargmax(values) if best == "max" else np.nanargmin(values))]
        cards = [_card(metric, f"Best {label.lower()}", float(row[metric]), unit)]
        cards += [_card(v, v, float(row[v]), "") for v in varied]
        page.section("headline", "The best point", f'<div class="cards">{"".join(cards)}</div>')
    page.chart("sweep", f"{label} across the sweep", "The star marks the best point.",
               plots.sweep(sweep, metric, varied, best))  # fmt: skip
    for other in also:
        if other in sweep.columns:
            page.chart(f"sweep-{other}", f"{measure(other)[0]} across the sweep", "The star marks the best point.",
                       plots.sweep(sweep, other, varied, "min" if "cost" in other else "max"))  # fmt: skip
    if scenario is not None:
        page.section("parameters", "Every parameter of the base scenario and its source", _provenance([scenario]))
    return _write(directory, page)


def write_sensitivity_report(
    directory: str | Path, metric: str, tornado: pd.DataFrame | None = None, base: float | None = None,
    sobol: pd.DataFrame | None = None, scenario: Scenario | None = None,
) -> Path:  # fmt: skip
    """report.html for a sensitivity analysis: a tornado (one at a time) and Sobol indices, as given."""
    from leftshift import plots
    from leftshift.plots.style import measure

    label, _ = measure(metric)
    page = Page(f"What drives {label.lower()}{': ' + scenario.name if scenario else ''}",
                "Which parameters move the result most, and which the uncertainty comes from.")  # fmt: skip
    if tornado is not None:
        if base is None:
            raise ValueError("a tornado needs the metric's central value: pass base=")
        page.chart("tornado", "One parameter at a time", "Each bar: the metric with one parameter at its low or high "
                   "value and the rest at their central values.", plots.tornado(tornado, base, metric))  # fmt: skip
    if sobol is not None:
        page.chart("sobol", "Where the uncertainty comes from", "Sobol indices: first order (the parameter alone) "
                   "and total (with its interactions), with 95% confidence intervals.",
                   plots.sobol_indices(sobol, metric))  # fmt: skip
    if scenario is not None:
        page.section("parameters", "Every parameter and its source", _provenance([scenario]))
    return _write(directory, page)


def write_samples_report(
    directory: str | Path, samples: pd.DataFrame | None = None, quantiles: pd.DataFrame | None = None,
    scenario: Scenario | None = None, start_year: int | None = None,
) -> Path:  # fmt: skip
    """report.html for Monte Carlo samples: P(net savings > 0), P(ROI > 1), distributions and fan charts."""
    from leftshift import plots
    from leftshift.plots.style import measure

    page = Page(f"How sure we can be{': ' + scenario.name if scenario else ''}",
                f"{len(samples):,} parameter draws" if samples is not None else "Uncertainty over time")  # fmt: skip
    if samples is not None:
        cards = []
        for column, threshold, label, unit in (("net_savings_gbp_discounted", 0.0, "P(net savings > 0)", "GBP"),
                                               ("roi", 1.0, "P(ROI > 1)", "ratio")):  # fmt: skip
            if column in samples.columns:
                v = samples[column].to_numpy(dtype=float)
                v = v[np.isfinite(v)]
                if len(v):
                    median, low, high = np.percentile(v, [50, 5, 95])
                    cards.append(_card(f"p_{column}", label, float(np.mean(v > threshold) * 100), "percent",
                                       f"median {format_value(median, unit)}; 90% of draws "
                                       f"{format_value(low, unit)} to {format_value(high, unit)}"))  # fmt: skip
        if cards:
            page.section("headline", "Headline (per cent of draws)", f'<div class="cards">{"".join(cards)}</div>')
        for column in ("net_savings_gbp_discounted", "roi"):
            if column in samples.columns:
                page.chart(f"distribution-{column}", f"Spread of {measure(column)[0].lower()} across draws",
                           "Share of parameter draws by outcome; the dashed line is the break-even threshold.",
                           plots.distribution(samples, column))  # fmt: skip
    if quantiles is not None:
        year = start_year if start_year is not None else (scenario.start_year if scenario else None)
        page.chart("fan", "The range of outcomes over time", "Median with the middle 50% and 90% of draws.",
                   plots.fan_chart(quantiles, start_year=year))  # fmt: skip
    if scenario is not None:
        page.section("parameters", "Every parameter and its source", _provenance([scenario]))
    return _write(directory, page)


def rebuild_report(results_dir: str | Path) -> Path:
    """Rebuild report.html from the files `leftshift run` or `leftshift compare` wrote, without re-running."""
    from leftshift.analysis.economics import compare
    from leftshift.io import reading

    directory = Path(results_dir)
    if not directory.is_dir():
        raise LeftshiftError(f"{directory} is not a directory of results")
    if (directory / reading.COMPARISON).is_file():
        results, summaries, _ = reading.read_comparison(directory)
        comparisons = [compare(results[0], r) for r in results[1:]]
        return write_comparison_report(directory, results, comparisons, summaries)
    if (directory / reading.SUMMARY).is_file():
        return write_run_report(directory, reading.read_result(directory), reading.read_summary(directory))
    raise LeftshiftError(
        f"{directory} holds no leftshift results: expected summary.json (from `leftshift run`) or comparison.csv "
        "(from `leftshift compare`)"
    )


__all__ = [
    "format_value", "parameter_table", "rebuild_report", "write_comparison_report", "write_run_report",
    "write_samples_report", "write_sensitivity_report", "write_sweep_report",
]  # fmt: skip
