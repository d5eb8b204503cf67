"""Charts of people and activity: who is where, demand each year, moves between services, programmes, queues."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from leftshift.plots import frames, palette
from leftshift.plots.style import (
    bar,
    base_layout,
    empty,
    esc,
    scale_for,
    scatter,
    state_label,
    subplots,
    update,
    update_axes,
    with_unit,
    year_axis,
)
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import DEAD

Results = Result | Sequence[Result]
FlowTotals = Callable[[Result], pd.DataFrame]
"""Moves between stocks over the horizon by source and target (`frames.flow_totals`)."""


def _as_list(results: Results) -> list[Result]:
    return [results] if isinstance(results, Result) else list(results)


def _horizon(result: Result) -> str:
    s = result.scenario
    return f"{s.horizon_years:g} years from {s.start_year}"


def _dropdown(
    fig: go.Figure, options: list[tuple[str, range]], subtitle_of: list[str] | None = None,
    hidden: frozenset[int] = frozenset(),
) -> None:  # fmt: skip
    """A menu that shows one group of traces at a time (e.g. one scenario and age band); traces in `hidden`
    start as legend entries only (click to show)."""
    if len(options) < 2:
        return
    n = len(fig.data)
    buttons = []
    for i, (label, members) in enumerate(options):
        visible: list[bool | str] = [False] * n
        for j in members:
            visible[j] = "legendonly" if j in hidden else True
        layout = {"title.subtitle.text": subtitle_of[i]} if subtitle_of else {}
        buttons.append({"label": label, "method": "update", "args": [{"visible": visible}, layout]})
    update(
        fig.layout,
        updatemenus=[{"type": "dropdown", "buttons": buttons, "x": 1, "xanchor": "right", "y": 1.02,
                      "yanchor": "bottom", "showactive": True, "bgcolor": "white"}]
    )  # fmt: skip


# People by state -------------------------------------------------------------------------------------

_ORDER = ["community", "prevention", "home_care", "waiting:home", "acute", "waiting:hospital", "residential"]


def _category_style(category: str, result: Result) -> tuple[str, str]:
    """(label, colour) of a stock category from `frames.stock_categories`."""
    if category == "waiting:hospital":
        return "Waiting in hospital for care (delayed discharge)", palette.WAITING_IN_HOSPITAL
    if category == "waiting:home":
        return "Waiting at home for care", palette.WAITING_AT_HOME
    if category.startswith("programme:"):
        name = category.removeprefix("programme:")
        names = [iv.name for iv in result.scenario.interventions]
        return f"Taking part: {esc(name)}", palette.programme(names.index(name) if name in names else 0)
    return state_label(category, result.scenario.emergency_state), palette.state(category)


def _category_rank(category: str) -> tuple[int, str]:
    if category.startswith("programme:"):
        return (1, category)
    return (_ORDER.index(category), "") if category in _ORDER else (len(_ORDER), category)


HIDDEN_STATES = frozenset({"community"})
"""Shown only when clicked in the legend: most people live independently, which would flatten every other state."""


def _participants(fig: go.Figure, result: Result, ts: pd.DataFrame, band: str | None, shown: bool) -> None:
    """People taking part in each programme, as dotted lines over the stacked services (they are counted in
    the state they are in too: taking part is not a place). `ts`: the timeseries rows of the programmes."""
    names = [iv.name for iv in result.scenario.interventions]
    mine = ts if band is None else ts[ts["age_band"] == band]
    if mine.empty:
        return
    table = frames.replication_mean(mine, ["programme", "time"], ["people"])
    for name, part in table.groupby("programme", sort=False):
        colour = palette.programme(names.index(str(name)))
        label = f"Taking part in {esc(name)} (also counted in their state)"
        fig.add_trace(scatter(
            x=frames.dates(result.scenario.start_year, part["time"]), y=part["people"].to_numpy(dtype=float),
            name=label, legendgroup=f"programme:{esc(name)}", mode="lines", visible=shown,
            line={"color": colour, "width": 2.5, "dash": "dot"},
            hovertemplate=f"{label}: %{{y:,.0f}} people<extra></extra>",
        ))  # fmt: skip


_NOBODY = pd.DataFrame(index=pd.Index([], dtype=float, name="time"))


def _people_by_band(table: pd.DataFrame) -> dict[str | None, pd.DataFrame]:
    """People by time (rows) and category (columns), 0 where none: of all ages (None) and of each age band in the
    table. `table` has one row per time, age band and category, so a band's table is the table reshaped (what a
    pivot table summing each band's rows gives), and all ages are summed as a pivot table sums them."""
    people = table.groupby(["time", "category"])["people"].sum().unstack("category", fill_value=0.0)
    wides: dict[str | None, pd.DataFrame] = {None: people}
    for band, part in table.groupby("age_band", sort=False, observed=True):
        wides[str(band)] = part.set_index(["time", "category"])["people"].unstack("category", fill_value=0.0)
    return wides


def people_by_state(results: Results, per_year: int = 12) -> go.Figure:
    """Stacked area of people in each state over time, with a menu for scenario and age band; people taking
    part in programmes as dotted lines on top (not stacked: they are in one of the states too).

    Stocks are sampled `per_year` times a year; with replications, the mean is shown. People living
    independently start hidden (click the legend to show them): they would dwarf everyone in care.
    """
    rs = _as_list(results)
    fig = go.Figure()
    options: list[tuple[str, range]] = []
    hidden: set[int] = set()
    for i, r in enumerate(rs):
        ts = r.timeseries
        ts = ts[(ts["state"] != DEAD) & ts["time"].isin(frames.sample_times(ts["time"], per_year))]
        ts = ts.assign(category=frames.stock_categories(r, ts, programmes=False))
        table = frames.replication_mean(ts, ["time", "age_band", "category"], ["people"])
        wides = _people_by_band(table)
        taking_part = ts[ts["programme"].isin([iv.name for iv in r.scenario.interventions])]
        for band in [None, *r.scenario.age_bands]:
            wide = wides.get(band, _NOBODY)
            x = frames.dates(r.scenario.start_year, wide.index)
            start = len(fig.data)
            for category in sorted(wide.columns, key=_category_rank):
                y = wide[category].to_numpy(dtype=float)
                if not np.any(y):
                    continue
                label, colour = _category_style(category, r)
                if category in HIDDEN_STATES:
                    hidden.add(len(fig.data))
                shown = ("legendonly" if category in HIDDEN_STATES else True) if not options else False
                fig.add_trace(scatter(
                    x=x, y=y, name=label, legendgroup=esc(category), stackgroup=f"{i}:{esc(band)}", mode="lines",
                    line={"width": 0.5, "color": colour}, fillcolor=palette.with_alpha(colour, 0.85),
                    visible=shown, hovertemplate=f"{label}: %{{y:,.0f}} people<extra></extra>",
                ))  # fmt: skip
            _participants(fig, r, taking_part, band, not options)
            scope = "all ages" if band is None else f"aged {esc(band)}"
            options.append((f"{esc(r.scenario.name)}: {scope}" if len(rs) > 1 else scope, range(start, len(fig.data))))
    subtitles = [f"{label}. Living independently is hidden: click it in the legend to show it" for label, _ in options]
    _dropdown(fig, options, subtitles, frozenset(hidden))
    base_layout(fig, "Where people are: number of people in each state", subtitles[0] if subtitles else "", 520)
    update(fig.layout, hovermode="x unified")
    update_axes(fig, "y", title_text="People", tickformat=",.0f", rangemode="tozero")
    return fig


# Demand over time ------------------------------------------------------------------------------------

DEMAND = [
    ("emergency_admissions", "Emergency admissions a year", "people a year"),
    ("acute_bed_days", "Hospital bed days a year, delays included", "bed days a year"),
    ("care_home_admissions", "Care home admissions a year", "people a year"),
    ("home_care_clients", "People in home care (yearly average)", "people"),
    ("people_waiting", "People waiting for care (yearly average)", "people"),
]


DEMAND_SPACING, DEMAND_HEIGHT = 0.06, 1300
"""The demand panels one under another (two side by side would not fit a phone)."""


def demand_over_time(results: Results) -> go.Figure:
    """Demand for hospital and care each year, one line per scenario (baseline first, in grey)."""
    rs = _as_list(results)
    fig = subplots(rows=len(DEMAND), cols=1, subplot_titles=[title for _, title, _ in DEMAND],
                        vertical_spacing=DEMAND_SPACING)  # fmt: skip
    for i, r in enumerate(rs):
        demand = frames.annual_demand(r)
        name = esc(r.scenario.name)
        for k, (measure, _, unit) in enumerate(DEMAND):
            part = demand[demand["measure"] == measure]
            fig.add_trace(
                scatter(
                    x=part["year"].to_numpy(), y=part["value"].to_numpy(dtype=float), name=name, mode="lines+markers",
                    legendgroup=f"scenario{i}", showlegend=k == 0, marker={"size": 4},
                    line={"color": palette.scenario(i), "width": 2.5 if i else 2, "dash": "solid" if i else "dot"},
                    hovertemplate=f"{name}<br>%{{x}}: %{{y:,.0f}} {unit}<extra></extra>",
                ),
                row=k + 1, col=1,
            )  # fmt: skip
    years = [y for r in rs for y in r.flows["year"].unique()]
    for k, (_, _, unit) in enumerate(DEMAND):
        update_axes(fig, "y", title_text=unit.capitalize(), tickformat=",.0f", rangemode="tozero", row=k + 1,
                         col=1)  # fmt: skip
        update_axes(
            fig, "x", **{**year_axis(years), "title_text": "Year" if k == len(DEMAND) - 1 else ""}, row=k + 1, col=1
        )
    subtitle = "Baseline dotted grey" if len(rs) > 1 else _horizon(rs[0])
    base_layout(fig, "Demand for hospital and care, year by year", subtitle, DEMAND_HEIGHT)
    update(fig.layout, margin={"t": 130})
    for note in fig.layout.annotations:
        update(note, font_size=14)
    return fig


# Sankey ---------------------------------------------------------------------------------------------


def _node_rank(name: str) -> tuple[int, str]:
    order = ["entrants", "community", "prevention", "home_care", "acute", "residential", DEAD]
    if name.startswith("waiting:"):
        return (len(order), name)
    return (order.index(name), "") if name in order else (len(order) - 1, name)


def _nodes(
    sources: Sequence[str], targets: Sequence[str], emergency: str, values: Sequence[float] | None = None,
    signed: bool = False,
) -> tuple[list[str], list[str], dict]:  # fmt: skip
    """Sources on the left, targets on the right, each a separate node: (labels, colours, index). With
    `values` (one per move), each label carries the node's total (`signed`: a change, with its sign)."""
    labels, colours, index = [], [], {}
    for side, names in (("from", sources), ("to", targets)):
        for name in sorted(set(names), key=_node_rank):
            index[(side, name)] = len(labels)
            label = state_label(name, emergency)
            if values is not None:
                total = sum(v for n, v in zip(names, values, strict=True) if n == name)
                label += f" ({total:+,.0f})" if signed else f" ({total:,.0f})"
            labels.append(label)
            colours.append(palette.state(name, emergency))
    return labels, colours, index


def _sankey_trace(totals: pd.DataFrame, emergency: str, visible: bool = True) -> go.Sankey:
    values = totals["people"].to_numpy(dtype=float)
    labels, colours, index = _nodes(totals["source"].tolist(), totals["target"].tolist(), emergency, values)
    return go.Sankey(
        valueformat=",.0f", valuesuffix=" people", visible=visible,
        node={"label": labels, "customdata": labels, "color": colours, "pad": 14, "thickness": 16,
              "line": {"width": 0}, "hovertemplate": "%{customdata}: %{value:,.0f} moves<extra></extra>"},
        link={"source": [index[("from", s)] for s in totals["source"]],
              "target": [index[("to", t)] for t in totals["target"]],
              "value": totals["people"].to_numpy(dtype=float),
              "color": [palette.with_alpha(palette.state(s, emergency), 0.35) for s in totals["source"]],
              "hovertemplate": "%{source.customdata} → %{target.customdata}: %{value:,.0f} people<extra></extra>"},
    )  # fmt: skip


def sankey(result: Result, flow_totals: FlowTotals = frames.flow_totals) -> go.Figure:
    """Moves between states over the whole horizon: where people moved from (left) and to (right).

    A menu hides the trips from home to hospital and back, which otherwise dwarf every move into care.
    `flow_totals`: how to add up moves (`frames.flow_totals_once()` to share them with other charts).
    """
    totals = flow_totals(result)
    totals = totals[totals["people"] > 0]
    if totals.empty:
        return empty("Moves between services", "No moves between states in this run.")
    s = result.scenario
    fig = go.Figure(_sankey_trace(totals, s.emergency_state))
    home = set(s.at_home)
    round_trip = ((totals["source"].isin(home) & (totals["target"] == s.emergency_state))
                  | ((totals["source"] == s.emergency_state) & totals["target"].isin(home)))  # fmt: skip
    subtitles = [
        "Left: where people moved from. Right: where they moved to (in brackets: the number of moves). One "
        "person can move many times."
    ]
    if round_trip.any() and not round_trip.all():
        fig.add_trace(_sankey_trace(totals[~round_trip], s.emergency_state, visible=False))
        subtitles.append("Without moves between home and hospital, to show moves into and out of care.")
        _dropdown(fig, [("All moves", range(0, 1)), ("Without trips to hospital and back", range(1, 2))], subtitles)
    base_layout(fig, f"Moves between services over {_horizon(result)}: {esc(s.name)}", subtitles[0], 620)
    return fig


def sankey_difference(
    baseline: Result, scenario: Result, min_share: float = 0.002, flow_totals: FlowTotals = frames.flow_totals
) -> go.Figure:
    """The change in moves against the baseline; band width is the size of the change, orange more, blue fewer.

    Changes smaller than `min_share` of the largest are left out so the chart stays readable. `flow_totals`: as
    for `sankey`.
    """
    base = flow_totals(baseline).set_index(["source", "target"])["people"]
    scen = flow_totals(scenario).set_index(["source", "target"])["people"]
    both = pd.concat({"baseline": base, "scenario": scen}, axis=1).fillna(0.0)
    both["difference"] = both["scenario"] - both["baseline"]
    largest = float(both["difference"].abs().max()) if len(both) else 0.0
    both = both[both["difference"].abs() > max(largest * min_share, 1e-9)].reset_index()
    title = f"Change in moves against the baseline: {esc(scenario.scenario.name)}"
    if both.empty:
        return empty(title, "The scenario moves people exactly as the baseline does.")
    emergency = scenario.scenario.emergency_state
    change = both["difference"].to_numpy(dtype=float)
    labels, colours, index = _nodes(both["source"].tolist(), both["target"].tolist(), emergency, change, signed=True)
    more = both["difference"] > 0
    widest = both.loc[both["difference"].abs().idxmax()]
    which = "more" if widest["difference"] > 0 else "fewer"
    scale = (f"Scale: the widest band is {abs(widest['difference']):,.0f} {which} moves "
             f"{_move_words(widest['source'], widest['target'], emergency)}; each label gives the node's net "
             "change.")  # fmt: skip
    fig = go.Figure(go.Sankey(
        valueformat=",.0f",
        node={"label": labels, "customdata": labels, "color": colours, "pad": 14, "thickness": 16,
              "line": {"width": 0}, "hovertemplate": "%{customdata}<extra></extra>"},
        link={"source": [index[("from", s)] for s in both["source"]],
              "target": [index[("to", t)] for t in both["target"]],
              "value": both["difference"].abs().to_numpy(dtype=float),
              "color": np.where(more, palette.with_alpha(palette.MORE, 0.6), palette.with_alpha(palette.FEWER, 0.6)),
              "customdata": both[["difference", "baseline", "scenario"]].to_numpy(dtype=float),
              "hovertemplate": "%{source.customdata} → %{target.customdata}: %{customdata[0]:+,.0f} people"
                               "<br>baseline %{customdata[1]:,.0f}, scenario %{customdata[2]:,.0f}<extra></extra>"},
    ))  # fmt: skip
    key = "Orange: more moves than the baseline. Blue: fewer. Width: the size of the change."
    base_layout(fig, title, f"{key} {scale}", 620)
    return fig


def _move_words(source: str, target: str, emergency: str) -> str:
    """'from home to hospital'; a queue as its plain name ('waiting in hospital for a care home place')."""
    where = {"community": "home", emergency: "hospital"}
    return f"from {where.get(source) or state_label(source, emergency).lower()} to " + (
        where.get(target) or state_label(target, emergency).lower())  # fmt: skip


# Interventions --------------------------------------------------------------------------------------


def intervention_reach(result: Result, per_year: int = 12) -> go.Figure:
    """Each programme's places (funded and built), people taking part, referrals turned away, and spend."""
    progs = result.programmes
    title = f"Programmes: places, people reached and spend ({esc(result.scenario.name)})"
    if progs.empty:
        return empty(title, "This scenario has no prevention or VCF programmes.")
    fig = subplots(
        rows=3, cols=1, vertical_spacing=0.13,
        subplot_titles=["Places and people taking part", "Referrals turned away (no place) a year", "Spend a year"],
    )  # fmt: skip
    sampled = progs[progs["time"].isin(frames.sample_times(progs["time"], per_year))]
    stocks = frames.replication_mean(sampled, ["programme", "time"], ["funded_places", "places", "participants"])
    yearly = frames.replication_mean(progs, ["programme", "year"], ["turned_away", "spend_gbp"])
    money = scale_for(yearly["spend_gbp"], "GBP")
    names = [iv.name for iv in result.scenario.interventions]
    order = [n for n in names if n in set(progs["programme"])] + sorted(set(progs["programme"]) - set(names))
    for p, name in enumerate(order):
        colour = palette.programme(names.index(name) if name in names else p)
        label = esc(name)
        mine = stocks[stocks["programme"] == name]
        x = frames.dates(result.scenario.start_year, mine["time"])
        for column, what, dash in (("funded_places", "places funded", "dot"), ("places", "places running", "dash"),
                                   ("participants", "people taking part", "solid")):  # fmt: skip
            fig.add_trace(scatter(
                x=x, y=mine[column].to_numpy(dtype=float), name=f"{label}: {what}", mode="lines",
                line={"color": colour, "dash": dash}, legendgroup=label,
                hovertemplate=f"{label}: %{{y:,.0f}} {what}<extra></extra>",
            ), row=1, col=1)  # fmt: skip
        year_rows = yearly[yearly["programme"] == name]
        fig.add_trace(bar(
            x=year_rows["year"].to_numpy(), y=year_rows["turned_away"].to_numpy(dtype=float),
            name=f"{label}: turned away",
            marker={"color": colour, "pattern": {"shape": "/"}}, legendgroup=label,
            hovertemplate=f"{label}<br>%{{x}}: %{{y:,.0f}} referrals turned away<extra></extra>",
        ), row=2, col=1)  # fmt: skip
        fig.add_trace(bar(
            x=year_rows["year"].to_numpy(), y=year_rows["spend_gbp"].to_numpy(dtype=float) / money.divisor,
            name=f"{label}: spend", marker={"color": colour}, legendgroup=label,
            hovertemplate=f"{label}<br>%{{x}}: {money.hover()} spent<extra></extra>",
        ), row=3, col=1)  # fmt: skip
    update_axes(fig, "y", title_text="People", tickformat=",.0f", rangemode="tozero", row=1, col=1)
    update_axes(fig, "y", title_text="People a year", tickformat=",.0f", rangemode="tozero", row=2, col=1)
    update_axes(fig, "y", title_text=f"{money.unit} a year", tickprefix=money.prefix, ticksuffix=money.suffix,
                     tickformat=",", rangemode="tozero", row=3, col=1)  # fmt: skip
    for row in (2, 3):
        update_axes(fig, "x", **year_axis(yearly["year"]), row=row, col=1)
    base_layout(fig, title, f"{esc(result.scenario.price_base) or 'Scenario'} prices, not discounted", 1050)
    update(fig.layout, barmode="group", hovermode="closest")
    return fig


# Capacity and queues --------------------------------------------------------------------------------


def queues(results: Results, per_year: int = 12) -> go.Figure:
    """Capacity-limited services: people in the service against places, and people waiting, over time.

    With replications the line is the mean and the band the 5th to 95th percentile across replications.
    """
    rs = _as_list(results)
    resources = list(dict.fromkeys(res for r in rs for res in r.queues["resource"].astype(str)))
    if not resources:
        return empty("Capacity and queues", "No service in this scenario has a capacity limit.")
    emergency = rs[0].scenario.emergency_state
    titles = []
    for res in resources:
        label = state_label(res, emergency)
        titles += [f"{label}: people and places", f"{label}: people waiting"]
    fig = subplots(rows=len(resources), cols=2, subplot_titles=titles, vertical_spacing=0.3 / len(resources),
                        horizontal_spacing=0.1)  # fmt: skip
    for i, r in enumerate(rs):
        q = r.queues[r.queues["time"].isin(frames.sample_times(r.queues["time"], per_year))]
        name, colour = esc(r.scenario.name), palette.scenario(i)
        for k, res in enumerate(resources):
            mine = q[q["resource"] == res]
            if mine.empty:
                continue
            for col, column, what in ((1, "occupied", "people in the service"), (2, "waiting", "people waiting")):
                _band_line(fig, r, mine, column, name, colour, what, k + 1, col, first=k == 0 and col == 1)
            cap = frames.replication_mean(mine, ["time"], ["capacity"])
            fig.add_trace(scatter(
                x=frames.dates(r.scenario.start_year, cap["time"]), y=cap["capacity"].to_numpy(dtype=float),
                name=f"{name}: places", mode="lines", line={"color": colour, "dash": "dot", "width": 1.5},
                legendgroup=f"places{i}", showlegend=k == 0,
                hovertemplate=f"{name}<br>%{{x|%b %Y}}: %{{y:,.0f}} places<extra></extra>",
            ), row=k + 1, col=1)  # fmt: skip
    update_axes(fig, "y", title_text="People", tickformat=",.0f", rangemode="tozero")
    base_layout(fig, "Capacity and queues: people in each service, places, and people waiting", "", 320 * len(resources)
                + 140)  # fmt: skip
    return fig


def _band_line(
    fig: go.Figure, r: Result, frame: pd.DataFrame, column: str, name: str, colour: str, what: str,
    row: int, col: int, first: bool,
) -> None:  # fmt: skip
    """The mean of `column` over replications, with a 5-95% band when there are several."""
    x_of = lambda times: frames.dates(r.scenario.start_year, times)  # noqa: E731
    if frames.replications(frame) > 1:
        per_rep = frame.groupby(["time", REPLICATION])[column].sum().unstack(fill_value=0.0)
        low, high = per_rep.quantile(0.05, axis=1), per_rep.quantile(0.95, axis=1)
        x = x_of(per_rep.index)
        fig.add_trace(scatter(x=x, y=low.to_numpy(), mode="lines", line={"width": 0}, showlegend=False,
                                 legendgroup=f"band-{name}",
                                 hoverinfo="skip"), row=row, col=col)  # fmt: skip
        fig.add_trace(scatter(x=x, y=high.to_numpy(), mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=palette.with_alpha(colour, 0.2), showlegend=first, hoverinfo="skip",
                                 name=f"{name}: 90% of replications", legendgroup=f"band-{name}"),
                      row=row, col=col)  # fmt: skip
    mean = frames.replication_mean(frame, ["time"], [column])
    fig.add_trace(scatter(
        x=x_of(mean["time"]), y=mean[column].to_numpy(dtype=float), name=name, mode="lines",
        line={"color": colour}, legendgroup=f"scenario-{name}", showlegend=first,
        hovertemplate=f"{name}<br>%{{x|%b %Y}}: %{{y:,.0f}} {what}<extra></extra>",
    ), row=row, col=col)  # fmt: skip


def wait_distribution(result: Result, bins: int = 40) -> go.Figure:
    """How long people waited for each capacity-limited service (discrete-event runs: `result.extra['waits']`,
    one row per attempt with `resource` and `wait_days`). Median and 95th percentile in the legend."""
    title = "How long people waited for a place"
    waits = result.extra.get("waits")
    if waits is None or waits.empty or not {"resource", "wait_days"} <= set(waits.columns):
        return empty(title, "This run has no record of individual waits (run with --engine des).")
    if "outcome" in waits.columns:
        waits = waits[~waits["outcome"].isin(["turned_away", "overflow"])]
    fig = go.Figure()
    emergency = result.scenario.emergency_state
    for res, frame in waits.groupby("resource", sort=False):
        days = frame["wait_days"].to_numpy(dtype=float)
        if not len(days):
            continue
        median, p95 = np.percentile(days, [50, 95])
        top = max(float(np.percentile(days, 99)), 1.0)
        counts, edges = np.histogram(np.clip(days, 0, top), bins=bins, range=(0, top))
        share = 100 * counts / len(days)
        label = f"{state_label(str(res), emergency)}: median {median:,.0f} days, 95th percentile {p95:,.0f} days"
        colour = palette.state(str(res), emergency)
        service = state_label(str(res), emergency)
        fig.add_trace(scatter(
            x=edges[:-1], y=share, customdata=edges[1:], mode="lines", line={"shape": "hv", "color": colour},
            name=label, hovertemplate=f"{service}<br>%{{x:,.1f}} to %{{customdata:,.1f}} days: %{{y:.1f}}% of people"
            "<extra></extra>",
        ))  # fmt: skip
        for value, dash in ((median, "dash"), (p95, "dot")):
            fig.add_vline(x=float(value), line={"color": colour, "dash": dash, "width": 1})
    base_layout(fig, title, f"{esc(result.scenario.name)}: share of people by days waited (dashed: median; "
                "dotted: 95th percentile)", 450)  # fmt: skip
    update_axes(fig, "x", title_text=with_unit("Wait", "days"), tickformat=",")
    update_axes(fig, "y", title_text=with_unit("Share of people", "%"), rangemode="tozero")
    return fig
