"""Charts of a scenario's change against its baseline, and why: a waterfall from avoided cost by service to net
savings, each programme's share, avoided cost year by year, and the change in demand with a band across
replications. Differences are drawn as such (a line about zero), never as two lines on top of each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from leftshift.analysis.breakdown import INTERACTIONS, Breakdown, service_group
from leftshift.analysis.measures import SERVICE_GROUPS
from leftshift.plots import frames, palette
from leftshift.plots.activity import DEMAND, DEMAND_HEIGHT, DEMAND_SPACING
from leftshift.plots.style import (
    bar,
    base_layout,
    empty,
    esc,
    line_across,
    money_text,
    money_ticks,
    scale_for,
    scatter,
    subplots,
    update,
    update_axes,
    year_axis,
)
from leftshift.result import REPLICATION, Result

SAVES, COSTS, TOTAL, FREED = palette.BLUE, palette.ORANGE, "#444444", palette.SKY_BLUE
"""Waterfall colours: a saving (blue), a cost (orange, never red and green), a total (dark grey)."""


def _steps(breakdown: Breakdown) -> list[tuple[str, float, str]]:
    """(label, change in GBP, kind) from avoided cost by service to net savings: kind is step or total."""
    steps = [(str(r.label), float(r.avoided_gbp_discounted), "step") for r in breakdown.services.itertuples()]
    steps.append(("Avoided cost of care and hospital", breakdown.figures["avoided_downstream_cost_gbp_discounted"],
                  "total"))  # fmt: skip
    for r in breakdown.programmes.itertuples():
        if abs(r.extra_spend_gbp_discounted) >= 0.5:
            name = "Other spend differences" if r.programme == INTERACTIONS else f"Spend: {esc(r.label)}"
            steps.append((name, -float(r.extra_spend_gbp_discounted), "step"))
    steps.append(("Net savings", breakdown.figures["net_savings_gbp_discounted"], "total"))
    return steps


def waterfall(breakdown: Breakdown, replicated: bool = False) -> go.Figure:
    """From the avoided cost of each service (blue: the scenario costs less; orange: more) to the avoided cost
    of care and hospital (its capacity-freed part shaded, not cash), less the extra spend on each programme, to
    the net savings. Horizontal, read top to bottom; `replicated`: the figures are means over replications (the
    subtitle says so only then)."""
    title = f"Where the net savings come from: {esc(breakdown.scenario)}"
    steps = _steps(breakdown)
    running, bars = 0.0, []
    for label, change, kind in steps:
        start = 0.0 if kind == "total" else running
        bars.append((label, start, change, kind))
        running = change if kind == "total" else running + change
    ends = [v for _, s, c, _ in bars for v in (s, s + c)]
    scale = scale_for(ends, "GBP")
    freed = float(breakdown.services["capacity_freed_gbp_discounted"].sum())
    fig = go.Figure()
    order = [label for label, *_ in bars]
    groups = {"Saves: costs less than the baseline": [b for b in bars if b[3] == "step" and b[2] >= 0],
              "Costs more than the baseline": [b for b in bars if b[3] == "step" and b[2] < 0],
              "Total": [b for b in bars if b[3] == "total"]}  # fmt: skip
    colours = {"Saves: costs less than the baseline": SAVES, "Costs more than the baseline": COSTS, "Total": TOTAL}
    for name, members in groups.items():
        if not members:
            continue
        values = np.array([c for _, _, c, _ in members])
        if name == "Total" and abs(freed) >= 0.5:  # the avoided-cost total: cash-releasing part only, freed below
            values = np.array([c - freed if label == order[len(breakdown.services)] else c
                               for label, _, c, _ in members])  # fmt: skip
        fig.add_trace(bar(
            y=[m[0] for m in members], x=values / scale.divisor, base=[m[1] / scale.divisor for m in members],
            orientation="h", name=name if name != "Total" or not abs(freed) >= 0.5 else "Total (cash-releasing part)",
            marker={"color": colours[name]}, text=money_text([c for _, _, c, _ in members]), textposition="auto",
            customdata=money_text([c for _, _, c, _ in members]), hovertemplate="%{y}: %{customdata}<extra></extra>",
        ))  # fmt: skip
    if abs(freed) >= 0.5:
        cash = breakdown.figures["avoided_downstream_cost_gbp_discounted"] - freed
        fig.add_trace(bar(
            y=[order[len(breakdown.services)]], x=[freed / scale.divisor], base=[cash / scale.divisor],
            orientation="h", name="Capacity freed (fixed cost of care no longer used: not cash)",
            marker={"color": FREED, "pattern": {"shape": "/"}}, customdata=money_text([freed]),
            hovertemplate="Capacity freed: %{customdata} (not cash)<extra></extra>",
        ))  # fmt: skip
    fig.layout.shapes = [line_across({"color": "#222", "width": 1}, x=0)]
    mean = "; mean over replications" if replicated else ""
    base_layout(fig, title, f"Discounted, over the horizon{mean}. Read from the top: each service's avoided cost, "
                "their total, the extra spend on each programme, the net savings.",
                max(360, 34 * len(bars) + 220))  # fmt: skip
    update_axes(fig, "y", categoryorder="array", categoryarray=order[::-1], automargin=True, title_text="")
    scaled = np.asarray(ends, dtype=float) / scale.divisor
    low, high = min(float(scaled.min()), 0.0), max(float(scaled.max()), 0.0)
    room = 0.14 * (high - low or 1.0)  # for the amounts written beside short bars
    update_axes(fig, "x", title_text=f"Change against the baseline ({scale.unit})", range=[low - room, high + room],
                     **money_ticks(scaled, scale))  # fmt: skip
    update(fig.layout, barmode="overlay", hovermode="closest", uniformtext={"minsize": 10, "mode": "hide"})
    return fig


def programme_shares(breakdown: Breakdown) -> go.Figure:
    """Each programme's extra spend, the avoided cost it brings (the scenario against the same scenario without
    it) and the net savings; the row of interactions and other differences makes them add up to the totals."""
    title = f"Which programme pays its way: {esc(breakdown.scenario)}"
    rows = breakdown.programmes
    size = rows[["extra_spend_gbp_discounted", "avoided_gbp_discounted"]].abs().max(axis=1)
    rows = rows[(rows["programme"] != INTERACTIONS) | (size >= 0.5)]
    if rows.empty or rows["avoided_gbp_discounted"].isna().all():
        return empty(title, "No programme's avoided cost was measured.")
    labels = [esc(v) for v in rows["label"]]
    values = rows[["avoided_gbp_discounted", "extra_spend_gbp_discounted", "net_savings_gbp_discounted"]]
    scale = scale_for(np.concatenate([values.to_numpy(dtype=float).ravel(), -rows["extra_spend_gbp_discounted"]]),
                      "GBP")  # fmt: skip
    fig = go.Figure()
    for column, name, colour, sign in (("avoided_gbp_discounted", "Avoided cost it brings", SAVES, 1),
                                       ("extra_spend_gbp_discounted", "Extra spend on it", COSTS, -1)):  # fmt: skip
        money = rows[column].to_numpy(dtype=float)
        fig.add_trace(bar(
            y=labels, x=sign * money / scale.divisor, orientation="h", name=name, marker={"color": colour},
            customdata=money_text(money), hovertemplate=f"%{{y}}<br>{name}: %{{customdata}}<extra></extra>",
        ))  # fmt: skip
    net = rows["net_savings_gbp_discounted"].to_numpy(dtype=float)
    fig.add_trace(scatter(
        y=labels, x=net / scale.divisor, mode="markers+text", name="Net savings", text=money_text(net),
        textposition="top center", marker={"symbol": "diamond", "size": 13, "color": TOTAL},
        customdata=money_text(net), hovertemplate="%{y}<br>Net savings: %{customdata}<extra></extra>",
    ))  # fmt: skip
    fig.layout.shapes = [line_across({"color": "#222", "width": 1}, x=0)]
    base_layout(fig, title, "Discounted. Avoided cost: the scenario's minus the same scenario's without the "
                "programme; programmes interact, so what is left over is shown as its own row.",
                max(340, 90 * len(rows) + 200))  # fmt: skip
    ends = np.concatenate([values.to_numpy(dtype=float).ravel(), -rows["extra_spend_gbp_discounted"].to_numpy()])
    update_axes(fig, "x", title_text=f"Over the horizon ({scale.unit})", **money_ticks(ends / scale.divisor, scale))
    update_axes(fig, "y", autorange="reversed", automargin=True)
    update(fig.layout, barmode="relative", hovermode="closest")
    return fig


def avoided_by_year(baseline: Result, scenario: Result) -> go.Figure:
    """Avoided cost each year by service (stacked: above zero the scenario costs less), less the extra spend on
    each programme, and the net savings of the year (line); discounted, the mean over replications if any."""
    title = f"Avoided cost and extra spend, year by year: {esc(scenario.scenario.name)}"
    s = scenario.scenario

    def yearly(result: Result) -> pd.Series:
        costs = result.costs.astype({"service": object})
        return costs.groupby(["year", "service"])["cost_gbp_discounted"].sum() / max(len(result.replications), 1)

    both = pd.concat({"baseline": yearly(baseline), "scenario": yearly(scenario)}, axis=1).fillna(0.0).reset_index()
    if both.empty:
        return empty(title, "No costs in either run.")
    both["group"] = [service_group(str(v), s) or str(v) for v in both["service"]]
    both["saved"] = both["baseline"] - both["scenario"]  # extra spend on a programme: negative
    by = both.groupby(["group", "year"])["saved"].sum().unstack("group").fillna(0.0)
    net = by.sum(axis=1)
    scale = scale_for(np.concatenate([by.clip(lower=0).sum(axis=1), by.clip(upper=0).sum(axis=1), net]), "GBP")
    fig = go.Figure()
    names = [iv.name for iv in s.interventions]
    for key in [*SERVICE_GROUPS, *sorted(set(by.columns) - set(SERVICE_GROUPS))]:
        if key not in by.columns or not np.any(np.abs(by[key].to_numpy()) >= 0.5):
            continue
        if key in SERVICE_GROUPS:
            label, marker = SERVICE_GROUPS[key], _group_marker(key)
        else:
            programme = key.removeprefix("intervention:")
            label = f"Extra spend: {esc(programme)}"
            index = names.index(programme) if programme in names else 0
            marker = {"color": palette.programme(index)}
        values = by[key].to_numpy(dtype=float)
        fig.add_trace(bar(
            x=by.index.to_numpy(), y=values / scale.divisor, name=label, marker=marker, customdata=money_text(values),
            hovertemplate=f"{label}<br>%{{x}}: %{{customdata}}<extra></extra>",
        ))  # fmt: skip
    fig.add_trace(scatter(
        x=net.index.to_numpy(), y=net.to_numpy() / scale.divisor, name="Net savings of the year", mode="lines+markers",
        line={"color": palette.BLACK, "width": 2.5}, customdata=money_text(net.to_numpy()),
        hovertemplate="Net savings<br>%{x}: %{customdata}<extra></extra>",
    ))  # fmt: skip
    base_layout(fig, title, "Above zero: the scenario costs less than the baseline that year. Discounted.", 520)
    ticks = np.concatenate([by.clip(lower=0).sum(axis=1), by.clip(upper=0).sum(axis=1), net]) / scale.divisor
    update_axes(fig, "y", title_text=f"Change a year ({scale.unit})", **money_ticks(ticks, scale))
    update_axes(fig, "x", **year_axis(by.index))
    update(fig.layout, barmode="relative", hovermode="x unified")
    return fig


def _group_marker(group: str) -> dict:
    """A service group drawn as in the chart of cost by service: a state's colour; waiting crossed (in hospital)
    or dotted (at home) in the colour of where people wait; one-off costs of moves into hospital hatched."""
    return {
        "hospital_beds": {"color": palette.state("acute")},
        "delayed_discharges": {"color": palette.WAITING_IN_HOSPITAL, "pattern": {"shape": "x"}},
        "emergency_admissions": {"color": palette.state("acute"), "pattern": {"shape": "/"}},
        "care_homes": {"color": palette.state("residential")},
        "home_care": {"color": palette.state("home_care")},
        "waiting_at_home": {"color": palette.WAITING_AT_HOME, "pattern": {"shape": "."}},
    }.get(group, {"color": palette.GREY})


def _demand_by_replication(result: Result) -> pd.DataFrame:
    """replication, year, measure, value for the measures of `activity.DEMAND`."""
    table = frames.annual_demand_by_replication(result)
    return table.set_index([REPLICATION, "year", "measure"])["value"]


def demand_change(results: Sequence[Result]) -> go.Figure:
    """Each scenario's demand minus the baseline's (results[0]), year by year, one panel per measure; with
    replications the line is the mean difference and the band holds 90% of the replications' differences."""
    if len(results) < 2:
        return empty("Change in demand against the baseline", "Nothing to compare with.")
    base = _demand_by_replication(results[0])
    fig = subplots(rows=len(DEMAND), cols=1, subplot_titles=[title for _, title, _ in DEMAND],
                        vertical_spacing=DEMAND_SPACING)  # fmt: skip
    years: list[int] = []
    tops: dict[int, float] = {}
    for i, r in enumerate(results[1:], start=1):
        scen = _demand_by_replication(r)
        paired = base.reindex(scen.index) if len(base.index.get_level_values(0).unique()) > 1 else (
            base.droplevel(0).reindex(scen.index.droplevel(0)).set_axis(scen.index))  # fmt: skip
        diff = (scen - paired.fillna(0.0)).rename("difference").reset_index()
        colour, name = palette.scenario(i), esc(r.scenario.name)
        for k, (measure, _, unit) in enumerate(DEMAND):
            mine = diff[diff["measure"] == measure].pivot(index="year", columns=REPLICATION, values="difference")
            years += list(mine.index)
            tops[k] = max(tops.get(k, 0.0), float(np.nanmax(np.abs(mine.to_numpy()))) if mine.size else 0.0)
            where = {"row": k + 1, "col": 1}
            x = mine.index.to_numpy()
            if mine.shape[1] > 1:
                low, high = mine.quantile(0.05, axis=1).to_numpy(), mine.quantile(0.95, axis=1).to_numpy()
                fig.add_trace(scatter(x=x, y=low, mode="lines", line={"width": 0}, showlegend=False,
                                         legendgroup=f"band{i}", hoverinfo="skip"), **where)  # fmt: skip
                fig.add_trace(scatter(
                    x=x, y=high, mode="lines", line={"width": 0}, fill="tonexty", legendgroup=f"band{i}",
                    fillcolor=palette.with_alpha(colour, 0.22), name=f"{name}: 90% of replications",
                    showlegend=k == 0, hoverinfo="skip",
                ), **where)  # fmt: skip
            fig.add_trace(scatter(
                x=x, y=mine.mean(axis=1).to_numpy(), mode="lines+markers", name=name, legendgroup=f"s{i}",
                showlegend=k == 0, line={"color": colour, "width": 2.5}, marker={"size": 4},
                hovertemplate=f"{name}<br>%{{x}}: %{{y:+,.0f}} {unit} against the baseline<extra></extra>",
            ), **where)  # fmt: skip
    fig.layout.shapes = [line_across({"color": "#222", "width": 1}, y=0, axes=str(k + 1) if k else "")
                         for k in range(len(DEMAND))]  # fmt: skip
    for k, (_, _, unit) in enumerate(DEMAND):
        where = {"row": k + 1, "col": 1}
        small = tops.get(k, 0.0) < 10  # a change of a few people a year: decimals, not +0 on every tick
        update_axes(fig, "y", title_text=f"Change ({unit})", tickformat="+,.2~f" if small else "+,.0f", **where)
        update_axes(
            fig, "x", **{**year_axis(years or [0]), "title_text": "Year" if k == len(DEMAND) - 1 else ""}, **where
        )
    base_layout(
        fig,
        "Change in demand against the baseline, year by year",
        "Below zero: less demand than the baseline (emergency admissions avoided, bed days saved...).",
        DEMAND_HEIGHT,
    )
    update(fig.layout, margin={"t": 130})
    for note in fig.layout.annotations:
        update(note, font_size=14)
    return fig


__all__ = ["avoided_by_year", "demand_change", "programme_shares", "waterfall"]
