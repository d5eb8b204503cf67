"""The chart of a calibration: each observed figure year by year, with the model before and after fitting.

Input: fit.csv's table (`leftshift.experiments.calibration.FIT_COLUMNS`): year, metric, age_band, observed,
fitted, start; one panel per metric and age band, in the order the observations came.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from leftshift.plots import palette
from leftshift.plots.style import base_layout, empty, esc, measure, scale_for, year_axis

PANEL_HEIGHT = 260
SERIES = (("observed", "Observed", "markers", palette.BLACK, None),
          ("start", "Model before fitting", "lines", palette.GREY, "dash"),
          ("fitted", "Model after fitting", "lines", palette.BLUE, None))  # fmt: skip


def panel_title(metric: str, age_band: str) -> str:
    """'Emergency admissions, aged 85+' ('all ages' for the whole population)."""
    label, _ = measure(metric)
    return f"{label}, {'all ages' if age_band == 'all' else 'aged ' + esc(age_band)}"


def observed_vs_fitted(fit: pd.DataFrame) -> go.Figure:
    """Observed figures (dots) against the model at the scenario's values (dashed) and at the fitted values."""
    title = "Observed figures and the model, before and after fitting"
    if fit.empty:
        return empty(title, "No observations to show.")
    panels = list(dict.fromkeys(zip(fit["metric"], fit["age_band"], strict=True)))
    cols = 1 if len(panels) == 1 else 2
    rows = math.ceil(len(panels) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[panel_title(m, b) for m, b in panels],
                        vertical_spacing=min(0.3 / rows, 0.12), horizontal_spacing=0.12)  # fmt: skip
    for i, (metric, band) in enumerate(panels):
        row, col = i // cols + 1, i % cols + 1
        part = fit[(fit["metric"] == metric) & (fit["age_band"] == band)].sort_values("year")
        _, unit = measure(metric)
        scale = scale_for(part[["observed", "start", "fitted"]].to_numpy(dtype=float), unit)
        for column, name, mode, colour, dash in SERIES:
            fig.add_trace(go.Scatter(
                x=part["year"].to_numpy(), y=part[column].to_numpy(dtype=float) / scale.divisor, mode=mode,
                name=name, legendgroup=column, showlegend=i == 0, marker={"color": colour, "size": 8},
                line={"color": colour, "dash": dash},
                hovertemplate=f"%{{x}}<br>{name}: {scale.hover()}<extra></extra>",
            ), row=row, col=col)  # fmt: skip
        fig.update_yaxes(title_text=scale.unit[:1].upper() + scale.unit[1:], tickprefix=scale.prefix,
                         ticksuffix=scale.suffix, tickformat=",", row=row, col=col)  # fmt: skip
        fig.update_xaxes(**{**year_axis(part["year"]), "title_text": ""}, row=row, col=col)
    subtitle = "Dots: observed. Dashed: the scenario as written. Solid: with the fitted values."
    return base_layout(fig, title, subtitle, height=140 + PANEL_HEIGHT * rows)


__all__ = ["observed_vs_fitted", "panel_title"]
