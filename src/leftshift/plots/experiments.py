"""Charts for experiments (sweeps, samples, sensitivity), built from simple tidy frames so any producer can call them.

Inputs (one row each):
- quantiles: `time` (years from the start) or `year`, `metric`, `q05`, `q25`, `q50`, `q75`, `q95`, and optionally
  `scenario`: one row per time, metric (and scenario);
- samples: one row per parameter draw, with metric columns such as `net_savings_gbp_discounted` and `roi`;
- tornado: `parameter`, `low`, `high` (the metric with the parameter at its low and high value; optionally
  `low_value`, `high_value`: the parameter's values), plus the metric's central value passed as `base`;
- Sobol indices: `parameter`, `S1`, `ST`, and optionally `S1_conf`, `ST_conf` (95% confidence half-widths);
- sweep: one row per point: the varied key paths (e.g. `interventions[0].budget`) and the metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from leftshift.analysis.measures import MEASURES
from leftshift.plots import frames, palette
from leftshift.plots.style import (
    Scale,
    base_layout,
    empty,
    esc,
    measure,
    parameter_unit,
    scale_for,
    with_unit,
    year_axis,
)

QUANTILES = ["q05", "q25", "q50", "q75", "q95"]
NOT_PARAMETERS = {"replication", "point", "sample", "draw", "scenario", "baseline", "unit"}


def _value_axis(fig: go.Figure, scale: Scale, label: str, **where: int) -> None:
    """A value axis titled 'label (unit)', or just the unit (e.g. 'People', 'GBP million') without a label."""
    title = with_unit(label, scale.unit) if label else scale.unit[:1].upper() + scale.unit[1:]
    fig.update_yaxes(title_text=title, tickprefix=scale.prefix, ticksuffix=scale.suffix, tickformat=",", **where)


def fan_chart(
    quantiles: pd.DataFrame, metric: str | Sequence[str] | None = None, start_year: int | None = None
) -> go.Figure:
    """Median with 25-75% and 5-95% bands over time, one panel per metric (and one colour per scenario).

    With `time` (years from the start) and `start_year`, the x axis shows dates; with `year`, calendar years.
    """
    missing = {*QUANTILES, "metric"} - set(quantiles.columns)
    if missing or not ({"time", "year"} & set(quantiles.columns)):
        raise ValueError(f"fan_chart needs columns time or year, metric, {', '.join(QUANTILES)}; missing {missing}")
    wanted = [metric] if isinstance(metric, str) else list(metric or quantiles["metric"].unique())
    if not wanted:
        return empty("Uncertainty over time", "No quantiles to show.")
    fig = make_subplots(rows=len(wanted), cols=1, subplot_titles=[measure(m)[0] for m in wanted],
                        vertical_spacing=0.3 / len(wanted))  # fmt: skip
    by_year = "year" in quantiles.columns
    scenarios = list(quantiles["scenario"].unique()) if "scenario" in quantiles.columns else [None]
    for row, name in enumerate(wanted, start=1):
        label, unit = measure(name)
        mine = quantiles[quantiles["metric"] == name]
        scale = scale_for(mine[QUANTILES].to_numpy(dtype=float), unit)
        for j, scenario in enumerate(scenarios):
            part = mine if scenario is None else mine[mine["scenario"] == scenario]
            part = part.sort_values("year" if by_year else "time")
            if by_year:
                x = part["year"].to_numpy()
            elif start_year is not None:
                x = frames.dates(start_year, part["time"])
            else:
                x = part["time"].to_numpy(dtype=float)
            colour = palette.BLUE if scenario is None else palette.scenario(j)
            who = "" if scenario is None else f"{esc(scenario)}: "
            q = {c: part[c].to_numpy(dtype=float) / scale.divisor for c in QUANTILES}
            group = f"fan{j}"
            for low, high, alpha, band in (("q05", "q95", 0.18, "5-95%"), ("q25", "q75", 0.38, "25-75%")):
                fig.add_trace(go.Scatter(x=x, y=q[low], mode="lines", line={"width": 0}, showlegend=False,
                                         legendgroup=group, hoverinfo="skip"), row=row, col=1)  # fmt: skip
                fig.add_trace(go.Scatter(
                    x=x, y=q[high], mode="lines", line={"width": 0}, fill="tonexty", legendgroup=group,
                    fillcolor=palette.with_alpha(colour, alpha), name=f"{who}{band} of samples",
                    showlegend=row == 1, hoverinfo="skip",
                ), row=row, col=1)  # fmt: skip
            fig.add_trace(go.Scatter(
                x=x, y=q["q50"], mode="lines", line={"color": colour, "width": 2.5}, name=f"{who}median",
                legendgroup=group, showlegend=row == 1, customdata=np.column_stack([q["q05"], q["q95"]]),
                hovertemplate=f"{who}median {scale.hover()}<br>90% of samples between "
                f"{scale.hover('customdata[0]')} and {scale.hover('customdata[1]')}<extra></extra>",
            ), row=row, col=1)  # fmt: skip
        _value_axis(fig, scale, "" if unit else label, row=row, col=1)
        if by_year:
            fig.update_xaxes(**year_axis(quantiles["year"]), row=row, col=1)
        else:
            fig.update_xaxes(title_text="Date" if start_year is not None else "Years from the start", row=row, col=1)
    base_layout(
        fig,
        "How sure we can be: the range of outcomes over time",
        "Line: median of the samples. Bands: the middle 50% and 90% of samples.",
        300 * len(wanted) + 160,
    )
    fig.update_layout(hovermode="x unified")
    return fig


def distribution(
    samples: pd.DataFrame, column: str = "net_savings_gbp_discounted", threshold: float | None = None, bins: int = 40
) -> go.Figure:
    """Histogram of one outcome across samples, with the share above `threshold` (0, or 1 for `roi`) stated."""
    label, unit = measure(column)
    if column not in samples.columns:
        raise ValueError(f"samples have no column {column!r}")
    values = samples[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return empty(f"{label}: spread across samples", "No finite values to show.")
    threshold = (1.0 if column == "roi" else 0.0) if threshold is None else threshold
    scale = scale_for(values, unit)
    counts, edges = np.histogram(values, bins=bins)
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    above = centres > threshold
    share = float(np.mean(values > threshold))
    shown = scale.text(threshold) if threshold else f"{scale.prefix}0"
    fig = go.Figure()
    for mask, name, colour in ((above, f"above {shown}", palette.BLUE), (~above, f"{shown} or below", palette.ORANGE)):
        if mask.any():
            fig.add_trace(go.Bar(
                x=centres[mask] / scale.divisor, y=100 * counts[mask] / len(values), width=widths[mask] / scale.divisor,
                name=f"Samples {name}", marker={"color": colour},
                customdata=np.column_stack([edges[:-1][mask], edges[1:][mask]]) / scale.divisor,
                hovertemplate=f"{scale.hover('customdata[0]')} to {scale.hover('customdata[1]')}: "
                "%{y:.1f}% of samples<extra></extra>",
            ))  # fmt: skip
    fig.add_vline(x=threshold / scale.divisor, line={"color": "#222", "dash": "dash", "width": 1.5})
    probability = f"P({label.lower()} > {shown}) = {share:.0%}"
    base_layout(fig, f"{label}: spread across {len(values):,} samples", probability, 420)
    fig.update_xaxes(title_text=with_unit(label, scale.unit), tickprefix=scale.prefix, ticksuffix=scale.suffix,
                     tickformat=",")  # fmt: skip
    fig.update_yaxes(title_text=with_unit("Share of samples", "%"), rangemode="tozero")
    fig.update_layout(bargap=0, barmode="overlay")
    return fig


def tornado(frame: pd.DataFrame, base: float, metric: str = "net_savings_gbp_discounted") -> go.Figure:
    """One-at-a-time sensitivity: how far `metric` moves when each parameter goes to its low or high value."""
    missing = {"parameter", "low", "high"} - set(frame.columns)
    if missing:
        raise ValueError(f"tornado needs columns parameter, low, high; missing {', '.join(sorted(missing))}")
    label, unit = measure(metric)
    if frame.empty:
        return empty(f"What moves {label.lower()} most", "No parameters were varied.")
    order = frame.assign(swing=(frame["high"] - frame["low"]).abs()).sort_values("swing")
    scale = scale_for(np.concatenate([order[["low", "high"]].to_numpy(dtype=float).ravel(), [base]]), unit)
    names = [esc(p) for p in order["parameter"]]
    fig = go.Figure()
    for column, what, colour in (("low", "low", palette.BLUE), ("high", "high", palette.ORANGE)):
        values = order[column].to_numpy(dtype=float)
        given = f"{column}_value" in order.columns
        custom = order[f"{column}_value"].to_numpy(dtype=float) if given else np.full(len(order), np.nan)
        setting = " (set to %{customdata:,.4~g})" if given else ""
        fig.add_trace(go.Bar(
            y=names, x=(values - base) / scale.divisor, base=base / scale.divisor, orientation="h",
            name=f"Parameter at its {what} value", marker={"color": colour}, customdata=custom,
            hovertemplate=f"%{{y}} at its {what} value{setting}<br>{label}: {scale.hover('x')} from the central "
            f"value<extra></extra>",
        ))  # fmt: skip
    fig.add_vline(x=base / scale.divisor, line={"color": "#222", "width": 1})
    base_layout(fig, f"What moves {label.lower()} most: one parameter at a time",
                f"Bars start at the central estimate ({scale.text(base)}); the longest bar matters most.",
                max(320, 40 * len(order) + 180))  # fmt: skip
    fig.update_xaxes(title_text=with_unit(label, scale.unit), tickprefix=scale.prefix, ticksuffix=scale.suffix,
                     tickformat=",")  # fmt: skip
    fig.update_yaxes(title_text="Parameter (scenario key path)", automargin=True)
    fig.update_layout(barmode="overlay", hovermode="closest")
    return fig


def sobol_indices(frame: pd.DataFrame, metric: str = "net_savings_gbp_discounted") -> go.Figure:
    """Sobol indices: the share of the variance in `metric` due to each parameter alone (S1) and with its
    interactions (ST), with 95% confidence intervals where given."""
    missing = {"parameter", "S1", "ST"} - set(frame.columns)
    if missing:
        raise ValueError(f"sobol_indices needs columns parameter, S1, ST; missing {', '.join(sorted(missing))}")
    label, _ = measure(metric)
    if frame.empty:
        return empty(f"What drives the uncertainty in {label.lower()}", "No indices to show.")
    order = frame.sort_values("ST")
    names = [esc(p) for p in order["parameter"]]
    fig = go.Figure()
    for column, what, colour in (("ST", "total (with interactions)", palette.BLUE), ("S1", "alone (first order)",
                                                                                   palette.SKY_BLUE)):  # fmt: skip
        conf = f"{column}_conf"
        error = {"type": "data", "array": order[conf].to_numpy(dtype=float)} if conf in order.columns else None
        fig.add_trace(go.Bar(
            y=names, x=order[column].to_numpy(dtype=float), orientation="h", name=f"Share of variance: {what}",
            marker={"color": colour}, error_x=error, hovertemplate=f"%{{y}}<br>{what}: %{{x:.2f}}<extra></extra>",
        ))  # fmt: skip
    base_layout(
        fig,
        f"What drives the uncertainty in {label.lower()}",
        "Sobol indices: the share of the variance due to each parameter.",
        max(320, 50 * len(order) + 180),
    )
    fig.update_xaxes(title_text="Share of variance (0 to 1)", rangemode="tozero")
    fig.update_yaxes(title_text="Parameter (scenario key path)", automargin=True)
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def _plain(value: float) -> str:
    """A parameter value for a sentence: 4,000,000 rather than 4e+06; 0.035 as it is."""
    if value.is_integer() or abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def sweep_parameters(frame: pd.DataFrame, metric: str) -> list[str]:
    """The varied columns of a sweep frame: numeric columns that are neither outputs nor bookkeeping."""
    outputs = set(MEASURES) | NOT_PARAMETERS | {metric}
    return [c for c in frame.columns if c not in outputs and pd.api.types.is_numeric_dtype(frame[c])]


def sweep(
    frame: pd.DataFrame, metric: str, varied: Sequence[str] | None = None, best: Literal["max", "min"] = "max"
) -> go.Figure:
    """The metric against the varied parameters: a line for one, a heatmap for two, one panel each for more.
    The best point (highest, or lowest with best='min') is marked with a star."""
    varied = list(varied) if varied is not None else sweep_parameters(frame, metric)
    label, unit = measure(metric)
    if metric not in frame.columns or not varied or frame.empty:
        return empty(f"{label} across the sweep", "Nothing to show: no varied parameter or no metric column.")
    values = frame[metric].to_numpy(dtype=float)
    scale = scale_for(values, unit)
    best_row = frame.iloc[int(np.nanargmax(values) if best == "max" else np.nanargmin(values))]
    best_text = ", ".join(f"{esc(v)} = {_plain(float(best_row[v]))}" for v in varied)
    star = {"symbol": "star", "size": 18, "color": palette.BLACK, "line": {"color": "white", "width": 1}}
    best_name = f"Best: {scale.text(float(best_row[metric]))}"
    if len(varied) == 2:
        x_name, y_name = varied
        grid = frame.pivot_table(index=y_name, columns=x_name, values=metric, aggfunc="mean")
        fig = go.Figure(go.Heatmap(
            x=grid.columns.to_numpy(dtype=float), y=grid.index.to_numpy(dtype=float),
            z=grid.to_numpy(dtype=float) / scale.divisor, colorscale="Viridis",
            colorbar={"title": {"text": with_unit(label, scale.unit)}, "tickprefix": scale.prefix,
                      "ticksuffix": scale.suffix, "tickformat": ","},
            hovertemplate=f"{esc(x_name)} = %{{x:,.4~g}}<br>{esc(y_name)} = %{{y:,.4~g}}<br>{label}: "
            f"{scale.hover('z')}<extra></extra>",
        ))  # fmt: skip
        fig.add_trace(go.Scatter(x=[best_row[x_name]], y=[best_row[y_name]], mode="markers", marker=star,
                                 name=best_name, hovertemplate=f"{best_name}<extra></extra>"))  # fmt: skip
        fig.update_xaxes(title_text=with_unit(esc(x_name), parameter_unit(x_name)), tickformat=",")
        fig.update_yaxes(title_text=with_unit(esc(y_name), parameter_unit(y_name)), tickformat=",")
        height = 520
    else:
        fig = make_subplots(rows=len(varied), cols=1, vertical_spacing=0.3 / len(varied))
        for row, name in enumerate(varied, start=1):
            part = frame.sort_values(name)
            mode = "lines+markers" if len(varied) == 1 else "markers"
            fig.add_trace(go.Scatter(
                x=part[name].to_numpy(dtype=float), y=part[metric].to_numpy(dtype=float) / scale.divisor, mode=mode,
                name=label, showlegend=row == 1, line={"color": palette.BLUE}, marker={"color": palette.BLUE},
                hovertemplate=f"{esc(name)} = %{{x:,.4~g}}<br>{label}: {scale.hover()}<extra></extra>",
            ), row=row, col=1)  # fmt: skip
            fig.add_trace(go.Scatter(x=[best_row[name]], y=[float(best_row[metric]) / scale.divisor], mode="markers",
                                     marker=star, name=best_name, showlegend=row == 1,
                                     hovertemplate=f"{best_name}<extra></extra>"), row=row, col=1)  # fmt: skip
            fig.update_xaxes(title_text=with_unit(esc(name), parameter_unit(name)), tickformat=",", row=row, col=1)
            _value_axis(fig, scale, label, row=row, col=1)
        height = 380 * len(varied) + 100
    base_layout(fig, f"{label} across the sweep ({len(frame):,} points)",
                f"{'Highest' if best == 'max' else 'Lowest'} at {best_text}: {scale.text(float(best_row[metric]))}",
                height)  # fmt: skip
    fig.update_layout(hovermode="closest")
    return fig
