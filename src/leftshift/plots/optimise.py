"""The charts of an optimisation (`leftshift optimise`), from its tables (`experiments.optimise`):

- `splits`: allocation.csv's budgets side by side: the best split, the NHS's and the council's own best splits, and
  the scenario as written (one group of bars per programme);
- `marginal_returns`: what an extra £100k a year on each programme would change, at the best split;
- `frontier`: frontier.csv: the best result by total budget, and how the best split of each total is made up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from leftshift.plots import palette
from leftshift.plots.style import base_layout, empty, esc, scale_for

SPLITS = (("budget_gbp", "Best split", palette.BLACK), ("budget_gbp_nhs_optimal", "Best for the NHS", palette.BLUE),
          ("budget_gbp_council_optimal", "Best for the council", palette.GREEN),
          ("written_budget_gbp", "As written", palette.GREY))  # fmt: skip
ROW_HEIGHT = 70


def splits(allocation: pd.DataFrame, objective: str) -> go.Figure:
    """Each programme's budget (GBP a year) in each split, as horizontal bars grouped by programme."""
    title = "How each split shares out the budget"
    if allocation.empty:
        return empty(title, "No budgets to show.")
    names = [esc(n) for n in allocation["intervention"]][::-1]
    money = allocation[[c for c, _, _ in SPLITS]].to_numpy(dtype=float)
    scale = scale_for(money, "GBP")
    fig = go.Figure()
    for column, label, colour in SPLITS:
        fig.add_trace(go.Bar(
            y=names, x=allocation[column].to_numpy(dtype=float)[::-1] / scale.divisor, name=label, orientation="h",
            marker={"color": colour}, hovertemplate=f"%{{y}}<br>{label}: {scale.hover('x')} a year<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(title_text=f"Budget, {scale.unit} a year", tickprefix=scale.prefix, ticksuffix=scale.suffix,
                     rangemode="tozero")  # fmt: skip
    subtitle = f"Best split: best for {esc(objective)}. The NHS's and the council's: best for their own net savings."
    return base_layout(fig, title, subtitle, height=220 + ROW_HEIGHT * len(allocation))


def marginal_returns(allocation: pd.DataFrame, label: str, unit: str, higher_is_better: bool) -> go.Figure:
    """The change in the objective from an extra £100k a year on each programme (the others as in the best split):
    bars in the 'better' colour where it helps."""
    title = "What an extra £100k a year on each programme would do"
    if allocation.empty:
        return empty(title, "No budgets to show.")
    values = allocation["marginal_per_100k"].to_numpy(dtype=float)
    scale = scale_for(values, unit)
    helps = values > 0 if higher_is_better else values < 0
    colours = np.where(helps, palette.FEWER, palette.MORE)
    fig = go.Figure(go.Bar(
        y=[esc(n) for n in allocation["intervention"]][::-1], x=(values / scale.divisor)[::-1], orientation="h",
        marker={"color": list(colours[::-1])}, hovertemplate=f"%{{y}}: {scale.hover('x')}<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(title_text=f"Change in {esc(label)} ({scale.unit})", tickprefix=scale.prefix,
                     ticksuffix=scale.suffix, zeroline=True)  # fmt: skip
    better = "higher" if higher_is_better else "lower"
    subtitle = f"Blue: the extra £100k a year improves it ({better} is better); orange: it makes it worse."
    return base_layout(fig, title, subtitle, height=200 + 40 * len(allocation))


def frontier(table: pd.DataFrame, programmes: Sequence[str], label: str, unit: str) -> go.Figure:
    """The best result by total budget (top) and the best split at each total, stacked by programme (bottom)."""
    title = "The best result each total budget can buy"
    if table.empty:
        return empty(title, "No frontier to show.")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45])
    totals = table["total_budget_gbp"].to_numpy(dtype=float)
    x_scale = scale_for(totals, "GBP")
    x = totals / x_scale.divisor
    y_scale = scale_for(table["best_value"].to_numpy(dtype=float), unit)
    fig.add_trace(go.Scatter(
        x=x, y=table["best_value"].to_numpy(dtype=float) / y_scale.divisor, mode="lines+markers", name=esc(label),
        line={"color": palette.BLACK}, hovertemplate=f"{x_scale.hover('x')} a year: {y_scale.hover()}<extra></extra>",
    ), row=1, col=1)  # fmt: skip
    for i, name in enumerate(programmes):
        fig.add_trace(go.Bar(
            x=x, y=table[name].to_numpy(dtype=float) / x_scale.divisor, name=esc(name),
            marker={"color": palette.programme(i)},
            hovertemplate=f"{esc(name)}: {x_scale.hover()} a year<extra></extra>",
        ), row=2, col=1)  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=f"{esc(label)[:1].upper()}{esc(label)[1:]}", tickprefix=y_scale.prefix,
                     ticksuffix=y_scale.suffix, row=1, col=1)  # fmt: skip
    fig.update_yaxes(title_text=f"Spent, {x_scale.unit} a year", tickprefix=x_scale.prefix, ticksuffix=x_scale.suffix,
                     row=2, col=1)  # fmt: skip
    fig.update_xaxes(title_text=f"Total budget, {x_scale.unit} a year", tickprefix=x_scale.prefix,
                     ticksuffix=x_scale.suffix, row=2, col=1)  # fmt: skip
    return base_layout(fig, title, "Top: the best result each total can buy. Bottom: the split that buys it.",
                       height=620)  # fmt: skip


__all__ = ["frontier", "marginal_returns", "splits"]
