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
    bar,
    base_layout,
    empty,
    esc,
    measure,
    money_text,
    money_ticks,
    parameter_unit,
    scale_for,
    scatter,
    with_unit,
    year_axis,
)

QUANTILES = ["q05", "q25", "q50", "q75", "q95"]
NOT_PARAMETERS = {"replication", "point", "sample", "draw", "scenario", "baseline", "unit"}


def _value_axis(fig: go.Figure, scale: Scale, label: str, values: np.ndarray | None = None, **where: int) -> None:
    """A value axis titled 'label (unit)', or just the unit (e.g. 'People', 'GBP million') without a label; money
    (with the scaled `values`) ticked as `measures.format_number` writes it (-£20m)."""
    title = with_unit(label, scale.unit) if label else scale.unit[:1].upper() + scale.unit[1:]
    if scale.prefix == "£" and values is not None:
        fig.update_yaxes(title_text=title, **money_ticks(values, scale), **where)
        return
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
                fig.add_trace(scatter(x=x, y=q[low], mode="lines", line={"width": 0}, showlegend=False,
                                         legendgroup=group, hoverinfo="skip"), row=row, col=1)  # fmt: skip
                fig.add_trace(scatter(
                    x=x, y=q[high], mode="lines", line={"width": 0}, fill="tonexty", legendgroup=group,
                    fillcolor=palette.with_alpha(colour, alpha), name=f"{who}{band} of samples",
                    showlegend=row == 1, hoverinfo="skip",
                ), row=row, col=1)  # fmt: skip
            fig.add_trace(scatter(
                x=x, y=q["q50"], mode="lines", line={"color": colour, "width": 2.5}, name=f"{who}median",
                legendgroup=group, showlegend=row == 1,
                customdata=np.column_stack([_texts(q[c] * scale.divisor, unit, scale) for c in ("q50", "q05", "q95")]),
                hovertemplate=f"{who}median %{{customdata[0]}}<br>90% of samples between %{{customdata[1]}} and "
                "%{customdata[2]}<extra></extra>",
            ), row=row, col=1)  # fmt: skip
        _value_axis(fig, scale, "" if unit else label, mine[QUANTILES].to_numpy(dtype=float) / scale.divisor,
                    row=row, col=1)  # fmt: skip
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


def _threshold(column: str, threshold: float | None) -> tuple[float, str]:
    """The line an outcome is judged against, and what it is: break-even (net savings 0, ROI 0) by default."""
    if threshold is not None:
        return threshold, "threshold"
    if column == "roi":
        return 0.0, "break-even: ROI 0, savings equal to spend"
    return 0.0, "break-even: £0"


def distribution(
    samples: pd.DataFrame, column: str = "net_savings_gbp_discounted", threshold: float | None = None, bins: int = 40
) -> go.Figure:
    """Histogram of one outcome across samples, with the share above `threshold` (break-even, 0, by default; for
    `roi` too: ROI = net savings / spend, so ROI 0 is where savings equal spend) stated."""
    label, unit = measure(column)
    if column not in samples.columns:
        raise ValueError(f"samples have no column {column!r}")
    values = samples[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return empty(f"{label}: spread across samples", "No finite values to show.")
    threshold, what = _threshold(column, threshold)
    scale = scale_for(values, unit)
    counts, edges = np.histogram(values, bins=bins)
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    above = centres > threshold
    share = float(np.mean(values > threshold))
    shown = _value_text(threshold, unit, scale)
    fig = go.Figure()
    for mask, name, colour in ((above, f"above {shown}", palette.BLUE), (~above, f"{shown} or below", palette.ORANGE)):
        if mask.any():
            low, high = edges[:-1][mask], edges[1:][mask]
            fig.add_trace(bar(
                x=centres[mask] / scale.divisor, y=100 * counts[mask] / len(values), width=widths[mask] / scale.divisor,
                name=f"Samples {name}", marker={"color": colour},
                customdata=np.column_stack([_texts(low, unit, scale), _texts(high, unit, scale)]),
                hovertemplate="%{customdata[0]} to %{customdata[1]}: %{y:.1f}% of samples<extra></extra>",
            ))  # fmt: skip
    _threshold_line(fig, threshold / scale.divisor, f"{what[0].upper()}{what[1:]}")
    probability = f"P({label.lower()} > {shown}) = {share:.0%}"
    base_layout(fig, f"{label}: spread across {len(values):,} samples", probability, 420)
    _outcome_axis(fig, values / scale.divisor, scale, label, unit, "x")
    fig.layout.yaxis.update(title_text=with_unit("Share of samples", "%"), rangemode="tozero")
    fig.update_layout(bargap=0, barmode="overlay")
    return fig


def _value_text(value: float, unit: str, scale: Scale) -> str:
    """A value as charts write it: money by `measures.format_number` (-£4.2m), a ratio to two places."""
    if unit == "GBP":
        return money_text([value])[0]
    return f"{value:,.2f}" if unit == "ratio" else scale.text(value)


def _texts(values: np.ndarray, unit: str, scale: Scale) -> list[str]:
    return [_value_text(float(v), unit, scale) for v in values]


def _outcome_axis(fig: go.Figure, scaled: np.ndarray, scale: Scale, label: str, unit: str, axis: str) -> None:
    """The axis of an outcome: money ticks written one way (-£20m), others as Plotly writes them."""
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if unit == "GBP":
        update(title_text=with_unit(label, scale.unit), **money_ticks(scaled, scale))
    else:
        update(title_text=with_unit(label, scale.unit), tickprefix=scale.prefix, ticksuffix=scale.suffix,
               tickformat=",")  # fmt: skip


def _threshold_line(fig: go.Figure, at: float, name: str) -> None:
    """A dashed vertical reference line with its own legend entry (a line without a name explains nothing),
    drawn from bottom to top on a hidden second y axis."""
    fig.add_trace(scatter(x=[at, at], y=[0, 1], yaxis="y2", mode="lines", name=name, hoverinfo="skip",
                             line={"color": "#222", "dash": "dash", "width": 1.5}))  # fmt: skip
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True})


def ecdf(
    samples: pd.DataFrame, column: str = "net_savings_gbp_discounted", threshold: float | None = None
) -> go.Figure:
    """The S-curve of one outcome across samples (as the NHS Strategy Unit draws them): for each value, the share
    of samples at or below it; the break-even line shows the chance of falling short at a glance."""
    label, unit = measure(column)
    if column not in samples.columns:
        raise ValueError(f"samples have no column {column!r}")
    values = np.sort(samples[column].to_numpy(dtype=float))
    values = values[np.isfinite(values)]
    if not len(values):
        return empty(f"{label}: S-curve across samples", "No finite values to show.")
    threshold, what = _threshold(column, threshold)
    scale = scale_for(values, unit)
    share = 100 * np.arange(1, len(values) + 1) / len(values)
    below = float(np.mean(values <= threshold))
    fig = go.Figure([scatter(
        x=values / scale.divisor, y=share, mode="lines", line={"shape": "hv", "color": palette.BLUE, "width": 2.5},
        name="Share of samples at or below the value", customdata=_texts(values, unit, scale),
        hovertemplate="%{y:.0f}% of samples at or below %{customdata}<extra></extra>",
    )])  # fmt: skip
    _threshold_line(fig, threshold / scale.divisor, f"{what[0].upper()}{what[1:]}")
    for q in (5, 50, 95):
        value = float(np.percentile(values, q))
        fig.add_trace(scatter(
            x=[value / scale.divisor], y=[q], mode="markers", marker={"size": 9, "color": palette.BLACK},
            name=f"{q}th percentile: {_value_text(value, unit, scale)}",
            hovertemplate=f"{q}% of samples at or below {_value_text(value, unit, scale)}<extra></extra>",
        ))  # fmt: skip
    base_layout(fig, f"{label}: S-curve across {len(values):,} samples",
                f"{below:.0%} of samples at or below {_value_text(threshold, unit, scale)} ({what}).", 440)  # fmt: skip
    _outcome_axis(fig, values / scale.divisor, scale, label, unit, "x")
    fig.layout.yaxis.update(title_text="Samples at or below the value (%)", range=[0, 100], ticksuffix="%")
    fig.update_layout(hovermode="closest")
    return fig


def payback_distribution(samples: pd.DataFrame, horizon_end: int | None = None) -> go.Figure:
    """In which year the draws pay back (cumulative net savings at or above zero from then on), and the share
    that never pays back within the horizon, as a bar of its own."""
    title = "When it pays back, across samples"
    if "payback_year" not in samples.columns or not len(samples):
        return empty(title, "No payback years in the samples.")
    if "extra_intervention_spend_gbp_discounted" in samples.columns:
        samples = samples[samples["extra_intervention_spend_gbp_discounted"] > 0]  # nothing spent: nothing to pay back
    years = samples["payback_year"].to_numpy(dtype=float)
    if not len(years):
        return empty(title, "No sample spends more than the baseline.")
    paid = years[np.isfinite(years)].astype(int)
    never = float(np.mean(~np.isfinite(years)))
    counts = pd.Series(paid).value_counts().sort_index()
    fig = go.Figure([bar(
        x=[str(y) for y in counts.index], y=100 * counts.to_numpy() / len(years), name="Pays back in that year",
        marker={"color": palette.BLUE}, hovertemplate="Pays back in %{x}: %{y:.1f}% of samples<extra></extra>",
    )])  # fmt: skip
    fig.add_trace(bar(
        x=["Never"], y=[100 * never], name="Never pays back within the horizon", marker={"color": palette.ORANGE},
        hovertemplate="Never pays back: %{y:.1f}% of samples<extra></extra>",
    ))  # fmt: skip
    by = f" (by {horizon_end})" if horizon_end else ""
    base_layout(fig, title, f"{1 - never:.0%} of {len(years):,} samples pay back within the horizon{by}; "
                f"{never:.0%} never do.", 420)  # fmt: skip
    fig.update_xaxes(title_text="Payback year", type="category")
    fig.update_yaxes(title_text=with_unit("Share of samples", "%"), rangemode="tozero")
    return fig


def tornado(
    frame: pd.DataFrame, base: float, metric: str = "net_savings_gbp_discounted", labels: dict[str, str] | None = None
) -> go.Figure:
    """One-at-a-time sensitivity: how far `metric` moves when each parameter goes to its low or high value (each
    bar says the value it was set to, when `low_value`/`high_value` are given), against the central estimate and
    the £0 line. `labels`: parameters in words (`plots.labels.parameter_labels`), by key path."""
    missing = {"parameter", "low", "high"} - set(frame.columns)
    if missing:
        raise ValueError(f"tornado needs columns parameter, low, high; missing {', '.join(sorted(missing))}")
    label, unit = measure(metric)
    if frame.empty:
        return empty(f"What moves {label.lower()} most", "No parameters were varied.")
    order = frame.assign(swing=(frame["high"] - frame["low"]).abs()).sort_values("swing")
    ends = np.concatenate([order[["low", "high"]].to_numpy(dtype=float).ravel(), [base, 0.0]])
    scale = scale_for(ends, unit)
    names = [(labels or {}).get(p) or esc(p) for p in order["parameter"]]
    fig = go.Figure()
    for column, what, colour in (("low", "low", palette.BLUE), ("high", "high", palette.ORANGE)):
        values = order[column].to_numpy(dtype=float)
        given = f"{column}_value" in order.columns
        setting = [f"at {_plain(float(v))}" for v in order[f"{column}_value"]] if given else None
        custom = np.column_stack([_texts(values, unit, scale), setting or [""] * len(values)])
        fig.add_trace(bar(
            y=names, x=(values - base) / scale.divisor, base=base / scale.divisor, orientation="h",
            name=f"Parameter at its {what} value (5th/95th percentile)" if given else f"Parameter at its {what} value",
            marker={"color": colour}, customdata=custom, text=setting, textposition="auto", cliponaxis=False,
            hovertemplate=f"%{{y}} at its {what} value %{{customdata[1]}}<br>{label}: %{{customdata[0]}}"
            "<extra></extra>",
        ))  # fmt: skip
    fig.add_trace(scatter(
        x=[base / scale.divisor] * 2, y=[0, 1], yaxis="y2", mode="lines", line={"color": "#222", "width": 1.5},
        name=f"Central estimate: {_value_text(base, unit, scale)}", hoverinfo="skip",
    ))  # fmt: skip
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True})
    if unit in ("GBP", "ratio"):
        fig.add_trace(scatter(x=[0, 0], y=[0, 1], yaxis="y2", mode="lines", name="Break-even (£0)" if unit == "GBP"
                                 else "Break-even (0)", line={"color": "#222", "dash": "dash", "width": 1.5},
                                 hoverinfo="skip"))  # fmt: skip
    base_layout(fig, f"What moves {label.lower()} most: one parameter at a time",
                f"Bars start at the central estimate ({_value_text(base, unit, scale)}); the longest bar matters "
                "most; the label on a bar is the value the parameter was set to.",
                max(320, 40 * len(order) + 200))  # fmt: skip
    _outcome_axis(fig, ends / scale.divisor, scale, label, unit, "x")
    fig.layout.yaxis.update(title_text="", automargin=True)
    fig.update_layout(barmode="overlay", hovermode="closest")
    return fig


def sobol_indices(
    frame: pd.DataFrame, metric: str = "net_savings_gbp_discounted", labels: dict[str, str] | None = None
) -> go.Figure:
    """Sobol indices: the share of the variance in `metric` due to each parameter alone (S1) and with its
    interactions (ST), with 95% confidence intervals where given. `labels`: parameters in words, by key path."""
    missing = {"parameter", "S1", "ST"} - set(frame.columns)
    if missing:
        raise ValueError(f"sobol_indices needs columns parameter, S1, ST; missing {', '.join(sorted(missing))}")
    label, _ = measure(metric)
    if frame.empty:
        return empty(f"What drives the uncertainty in {label.lower()}", "No indices to show.")
    order = frame.sort_values("ST")
    names = [(labels or {}).get(p) or esc(p) for p in order["parameter"]]
    fig = go.Figure()
    for column, what, colour in (("ST", "total (with interactions)", palette.BLUE), ("S1", "alone (first order)",
                                                                                   palette.SKY_BLUE)):  # fmt: skip
        conf = f"{column}_conf"
        error = {"type": "data", "array": order[conf].to_numpy(dtype=float)} if conf in order.columns else None
        fig.add_trace(bar(
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
    fig.update_yaxes(title_text="", automargin=True)
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
    frame: pd.DataFrame, metric: str, varied: Sequence[str] | None = None, best: Literal["max", "min"] = "max",
    labels: dict[str, str] | None = None,
) -> go.Figure:  # fmt: skip
    """The metric against the varied parameters: a line for one, a heatmap for two, one panel each for more.
    The best point (highest, or lowest with best='min') is marked with a star. `labels`: parameters in words."""
    varied = list(varied) if varied is not None else sweep_parameters(frame, metric)
    label, unit = measure(metric)
    named = lambda path: (labels or {}).get(path) or esc(path)  # noqa: E731
    if metric not in frame.columns or not varied or frame.empty:
        return empty(f"{label} across the sweep", "Nothing to show: no varied parameter or no metric column.")
    values = frame[metric].to_numpy(dtype=float)
    scale = scale_for(values, unit)
    best_row = frame.iloc[int(np.nanargmax(values) if best == "max" else np.nanargmin(values))]
    best_text = ", ".join(f"{named(v)} = {_plain(float(best_row[v]))}" for v in varied)
    star = {"symbol": "star", "size": 18, "color": palette.BLACK, "line": {"color": "white", "width": 1}}
    best_name = f"Best: {_value_text(float(best_row[metric]), unit, scale)}"
    if len(varied) == 2:
        x_name, y_name = varied
        grid = frame.pivot_table(index=y_name, columns=x_name, values=metric, aggfunc="mean")
        z = grid.to_numpy(dtype=float)
        ticks = money_ticks(z / scale.divisor, scale) if unit == "GBP" else {"tickformat": ","}
        fig = go.Figure(go.Heatmap(
            x=grid.columns.to_numpy(dtype=float), y=grid.index.to_numpy(dtype=float), z=z / scale.divisor,
            colorscale="Viridis", colorbar={"title": {"text": with_unit(label, scale.unit)}, **ticks},
            customdata=np.array([_texts(r, unit, scale) for r in z]),
            hovertemplate=f"{named(x_name)} = %{{x:,.4~g}}<br>{named(y_name)} = %{{y:,.4~g}}<br>{label}: "
            "%{customdata}<extra></extra>",
        ))  # fmt: skip
        fig.add_trace(scatter(x=[best_row[x_name]], y=[best_row[y_name]], mode="markers", marker=star,
                                 name=best_name, hovertemplate=f"{best_name}<extra></extra>"))  # fmt: skip
        fig.update_xaxes(title_text=with_unit(named(x_name), parameter_unit(x_name)), tickformat=",")
        fig.update_yaxes(title_text=with_unit(named(y_name), parameter_unit(y_name)), tickformat=",")
        height = 520
    else:
        fig = make_subplots(rows=len(varied), cols=1, vertical_spacing=0.3 / len(varied))
        for row, name in enumerate(varied, start=1):
            part = frame.sort_values(name)
            mode = "lines+markers" if len(varied) == 1 else "markers"
            fig.add_trace(scatter(
                x=part[name].to_numpy(dtype=float), y=part[metric].to_numpy(dtype=float) / scale.divisor, mode=mode,
                name=label, showlegend=row == 1, line={"color": palette.BLUE}, marker={"color": palette.BLUE},
                customdata=_texts(part[metric].to_numpy(dtype=float), unit, scale),
                hovertemplate=f"{named(name)} = %{{x:,.4~g}}<br>{label}: %{{customdata}}<extra></extra>",
            ), row=row, col=1)  # fmt: skip
            fig.add_trace(scatter(x=[best_row[name]], y=[float(best_row[metric]) / scale.divisor], mode="markers",
                                     marker=star, name=best_name, showlegend=row == 1,
                                     hovertemplate=f"{best_name}<extra></extra>"), row=row, col=1)  # fmt: skip
            fig.update_xaxes(title_text=with_unit(named(name), parameter_unit(name)), tickformat=",", row=row, col=1)
            _value_axis(fig, scale, label, values / scale.divisor, row=row, col=1)
        height = 380 * len(varied) + 100
    top = _value_text(float(best_row[metric]), unit, scale)
    base_layout(fig, f"{label} across the sweep ({len(frame):,} points)",
                f"{'Highest' if best == 'max' else 'Lowest'} at {best_text}: {top}", height)  # fmt: skip
    fig.update_layout(hovermode="closest")
    return fig
