"""Charts of money: cost each year by payer and by service, and cumulative net savings with the payback year."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from leftshift.analysis.economics import Comparison
from leftshift.plots import frames, palette
from leftshift.plots.activity import Results, _as_list, _dropdown
from leftshift.plots.style import (
    PAYER_LABELS,
    Scale,
    bar,
    base_layout,
    esc,
    line_across,
    money_text,
    money_ticks,
    payer_label,
    scale_for,
    scatter,
    service_label,
    update,
    update_axes,
    year_axis,
)
from leftshift.result import Result
from leftshift.scenario.model import PAYERS

_SERVICE_ORDER = ["community", "prevention", "home_care", "acute", "residential"]


def _cost_column(discounted: bool) -> str:
    return "cost_gbp_discounted" if discounted else "cost_gbp"


def _prices(result: Result, discounted: bool) -> str:
    s = result.scenario
    base = f"{esc(s.price_base)} prices" if s.price_base else "Scenario prices"
    return f"{base}, discounted at {s.discount_rate:.1%} a year" if discounted else f"{base}, not discounted"


def _annual(result: Result, key: str, discounted: bool) -> pd.DataFrame:
    return frames.replication_mean(result.costs, ["year", key], [_cost_column(discounted)])


Style = Callable[[Result, str], tuple[str, dict, tuple]]


def _stacked_by(results: Results, key: str, discounted: bool, title: str, style: Style) -> go.Figure:
    """Stacked yearly bars of cost split by `key` (payer or service), one scenario at a time."""
    rs = _as_list(results)
    column = _cost_column(discounted)
    tables = [_annual(r, key, discounted) for r in rs]
    yearly_totals = [t.groupby("year")[column].sum() for t in tables]
    scale = scale_for(pd.concat(yearly_totals) if yearly_totals else [], "GBP")
    fig = go.Figure()
    options: list[tuple[str, range]] = []
    for r, table in zip(rs, tables, strict=True):
        start = len(fig.data)
        keys = table[key].astype(str).unique().tolist()
        for name in sorted(keys, key=lambda k: style(r, k)[2]):
            part = table[table[key] == name]
            values = part[column].to_numpy(dtype=float)
            if not np.any(values):
                continue
            label, marker, _ = style(r, name)
            fig.add_trace(bar(
                x=part["year"].to_numpy(), y=values / scale.divisor, name=label, marker=marker,
                legendgroup=esc(name), visible=not options,
                hovertemplate=f"{label}<br>%{{x}}: {scale.hover()}<extra></extra>",
            ))  # fmt: skip
        options.append((esc(r.scenario.name), range(start, len(fig.data))))
    subtitles = [f"{name}. {_prices(r, discounted)}" for (name, _), r in zip(options, rs, strict=True)]
    _dropdown(fig, options, subtitles)
    base_layout(fig, title, subtitles[0] if subtitles else "", 520)
    _money_axis(fig, scale, "Cost a year")
    update(fig.layout, barmode="relative", hovermode="x unified")
    update_axes(fig, "x", **year_axis([y for t in tables for y in t["year"]]))
    return fig


def _money_axis(fig: go.Figure, scale: Scale, what: str) -> None:
    update_axes(fig, "y", title_text=f"{what} ({scale.unit})", tickprefix=scale.prefix, ticksuffix=scale.suffix,
                     tickformat=",")  # fmt: skip


def _payer_style(result: Result, name: str) -> tuple[str, dict, tuple]:
    rank = PAYERS.index(name) if name in PAYERS else len(PAYERS)
    return payer_label(name), {"color": palette.payer(name)}, (rank, name)


def _service_style(result: Result, name: str) -> tuple[str, dict, tuple]:
    """(label, marker, sort key): a state's colour; moves hatched in the colour of where people go."""
    s = result.scenario
    label = service_label(name)
    if name.startswith("intervention:"):
        names = [iv.name for iv in s.interventions]
        programme = name.removeprefix("intervention:")
        colour = palette.programme(names.index(programme) if programme in names else 0)
        return label, {"color": colour}, (9, name)
    if name.startswith("waiting:"):  # the colour of the place awaited; crossed in hospital, dotted elsewhere
        origin, _, target = name.removeprefix("waiting:").partition("->")
        shape = "x" if origin == s.emergency_state else "."
        return label, {"color": palette.state(target), "pattern": {"shape": shape}}, (7, name)
    if name.startswith("overflow:"):
        state = name.removeprefix("overflow:")
        return label, {"color": palette.state(state), "pattern": {"shape": "+"}}, (8, name)
    if "->" in name:
        target = name.split("->")[-1]
        return label, {"color": palette.state(target), "pattern": {"shape": "/"}}, (6, name)
    rank = _SERVICE_ORDER.index(name) if name in _SERVICE_ORDER else len(_SERVICE_ORDER)
    return label, {"color": palette.state(name)}, (rank, name)


def costs_by_payer(results: Results, discounted: bool = False) -> go.Figure:
    """Cost each year split by who pays (NHS, council, self-funders, other); a menu picks the scenario."""
    return _stacked_by(results, "payer", discounted, "Who pays: cost of care, hospital and programmes each year",
                       _payer_style)  # fmt: skip


def costs_by_service(results: Results, discounted: bool = False) -> go.Figure:
    """Cost each year split by service: time in each state, moves (e.g. A&E), waiting, and programmes."""
    return _stacked_by(results, "service", discounted, "What the money is spent on, each year", _service_style)


def _payback(comparison: Comparison) -> float:
    """The payback year as the headline gives it (the median over replications, as the terminal shows)."""
    values = comparison.headline["payback_year"].astype(float)
    return float(values.median()) if values.notna().any() else math.nan


def _fell_back(comparison: Comparison) -> bool:
    """Whether cumulative net savings were at or above zero and later fell below (in most replications)."""
    head = comparison.headline
    if "payback_reversed" not in head:
        return False
    return bool(head["payback_reversed"].astype(float).fillna(0).mean() >= 0.5)


def cumulative_net_savings(comparison: Comparison, draws: pd.DataFrame | None = None) -> go.Figure:
    """Cumulative discounted net savings by payer, with the year the whole system breaks even marked.

    Above zero the scenario has saved more than it spent; a payer below zero is paying for savings that
    land with another (the 'wrong pocket'). The whole system's line has a band holding 90% of the replications,
    if any, or of `draws` of the uncertain inputs (`year`, `p5`, `p95` of the whole system's cumulative net
    savings, as `--samples` writes them in percentiles_by_year.csv).
    """
    per_rep = comparison.cumulative_net_savings
    frame = per_rep.groupby(["year", "payer"], as_index=False)["net_savings_gbp_discounted"].mean()
    scale = scale_for(frame["net_savings_gbp_discounted"], "GBP")
    fig = go.Figure()
    band = _replication_band(per_rep, scale) if draws is None else _draws_band(draws, scale)
    if band is not None:
        for trace in band:
            fig.add_trace(trace)
    present = frame["payer"].astype(str).unique().tolist()
    payers = [p for p in ["all", *PAYERS] if p in present] + sorted(set(present) - {"all", *PAYERS})
    for payer in payers:
        part = frame[frame["payer"] == payer].sort_values("year")
        values = part["net_savings_gbp_discounted"].to_numpy(dtype=float)
        if payer != "all" and not np.any(np.abs(values) > 0.5):
            continue
        label = PAYER_LABELS.get(payer, esc(payer)) if payer != "all" else "Whole system (all payers)"
        fig.add_trace(scatter(
            x=part["year"].to_numpy(), y=values / scale.divisor, name=label, mode="lines+markers",
            line={"color": palette.payer(payer), "width": 3.5 if payer == "all" else 2}, marker={"size": 5},
            customdata=money_text(values),
            hovertemplate=f"{label}<br>by the end of %{{x}}: %{{customdata}}<extra></extra>",
        ))  # fmt: skip
    fig.layout.shapes = [line_across({"color": "#444", "width": 1}, y=0)]
    payback = _payback(comparison)
    spend = float(comparison.headline["intervention_spend_gbp_discounted"].mean())
    whole = frame[frame["payer"] == "all"].set_index("year")["net_savings_gbp_discounted"]
    if np.isfinite(payback) and int(payback) in whole.index:
        y = float(whole.loc[int(payback)]) / scale.divisor
        fig.add_trace(scatter(
            x=[int(payback)], y=[y], name=f"Pays back in {payback:.0f}", mode="markers",
            marker={"symbol": "star", "size": 18, "color": palette.BLACK, "line": {"color": "white", "width": 1}},
            hovertemplate=f"Pays back in {payback:.0f}: cumulative net savings reach zero and stay there"
                          "<extra></extra>",
        ))  # fmt: skip
        fig.add_annotation(x=int(payback), y=y, text=f"Pays back in {payback:.0f}", showarrow=True, arrowhead=0,
                           ax=0, ay=-40, font={"size": 13})  # fmt: skip
        verdict = f"Pays back in {payback:.0f}"
    elif spend > 0 and _fell_back(comparison):
        verdict = "Positive for a while but falls back: does not pay back within the horizon"
    elif spend > 0:
        verdict = "Does not pay back within the horizon"
    else:
        verdict = "No extra spend on programmes"
    name = f"{esc(comparison.scenario)} against {esc(comparison.baseline)}"
    if comparison.replicated:
        name += " (mean over replications)"
    base_layout(fig, f"Who saves and when: cumulative net savings by payer ({verdict.lower()})",
                f"{name}. Net savings = avoided cost of care and hospital - extra programme spend, discounted.",
                480)  # fmt: skip
    shown = [v for trace in fig.data for v in (trace.y if trace.y is not None else ())]
    update_axes(fig, "y", title_text=f"Net savings so far ({scale.unit})", **money_ticks(shown, scale))
    update_axes(fig, "x", **year_axis(frame["year"]))
    update(fig.layout, hovermode="x unified")
    return fig


def _draws_band(draws: pd.DataFrame, scale: Scale) -> list[dict] | None:
    """The whole system's 5-95% band across draws of the uncertain inputs."""
    if draws.empty:
        return None
    part = draws.sort_values("year")
    x = part["year"].to_numpy()
    return [
        scatter(x=x, y=part["p5"].to_numpy(dtype=float) / scale.divisor, mode="lines", line={"width": 0},
                   showlegend=False, hoverinfo="skip", legendgroup="band"),
        scatter(x=x, y=part["p95"].to_numpy(dtype=float) / scale.divisor, mode="lines", line={"width": 0},
                   fill="tonexty", legendgroup="band", fillcolor=palette.with_alpha(palette.BLACK, 0.15),
                   hoverinfo="skip", name="Whole system: 90% of draws of the uncertain inputs"),
    ]  # fmt: skip


def _replication_band(per_rep: pd.DataFrame, scale: Scale) -> list[dict] | None:
    """The whole system's 5-95% band across replications (None for one run)."""
    whole = per_rep[per_rep["payer"] == "all"]
    if whole["replication"].nunique() < 2:
        return None
    wide = whole.pivot_table(index="year", columns="replication", values="net_savings_gbp_discounted")
    low, high = wide.quantile(0.05, axis=1) / scale.divisor, wide.quantile(0.95, axis=1) / scale.divisor
    x = wide.index.to_numpy()
    return [
        scatter(x=x, y=low.to_numpy(), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip",
                   legendgroup="band"),
        scatter(x=x, y=high.to_numpy(), mode="lines", line={"width": 0}, fill="tonexty", legendgroup="band",
                   fillcolor=palette.with_alpha(palette.BLACK, 0.15), hoverinfo="skip",
                   name="Whole system: 90% of replications"),
    ]  # fmt: skip
