"""The experiment reports: a sweep (the best point, the metric against the varied parameters), a sensitivity
analysis (tornado and Sobol indices) and Monte Carlo samples (P(net savings > 0), P(ROI > 1), fan charts)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from leftshift.report.headline import card, format_value
from leftshift.report.page import Page
from leftshift.report.parameters import add_appendix
from leftshift.scenario.model import Scenario


def sweep_report(
    sweep: pd.DataFrame, metric: str, varied: Sequence[str] | None = None, best: Literal["max", "min"] = "max",
    scenario: Scenario | None = None, also: Sequence[str] = (),
) -> str:  # fmt: skip
    """The page for a sweep: the best point, `metric` (and any `also` metrics) against the varied parameters."""
    from leftshift import plots
    from leftshift.plots.experiments import sweep_parameters
    from leftshift.plots.labels import parameter_labels
    from leftshift.plots.style import measure

    varied = list(varied) if varied is not None else sweep_parameters(sweep, metric)
    label, unit = measure(metric)
    labels = parameter_labels(varied, scenario)
    page = Page(f"Sweep{': ' + scenario.name if scenario else ''}",
                f"{len(sweep):,} points varying {', '.join(varied)}")  # fmt: skip
    if len(sweep) and metric in sweep.columns:
        values = sweep[metric].to_numpy(dtype=float)
        row = sweep.iloc[int(np.nanargmax(values) if best == "max" else np.nanargmin(values))]
        cards = [card(metric, f"Best {label.lower()}", float(row[metric]), unit)]
        cards += [card(v, html.unescape(labels[v]), float(row[v]), "") for v in varied]
        page.section("headline", "The best point", f'<div class="cards">{"".join(cards)}</div>')
    page.chart("sweep", f"{label} across the sweep", "The star marks the best point.",
               plots.sweep(sweep, metric, varied, best, labels))  # fmt: skip
    for other in also:
        if other in sweep.columns:
            page.chart(f"sweep-{other}", f"{measure(other)[0]} across the sweep", "The star marks the best point.",
                       plots.sweep(sweep, other, varied, "min" if "cost" in other else "max", labels))  # fmt: skip
    if scenario is not None:
        add_appendix(page, [scenario], "Every parameter of the base scenario and its source")
    return page.render()


SOBOL_ROUGH = 0.1
"""A Sobol index whose 95% confidence half-width is above this is too rough to rank parameters by."""


def _sobol_warning(sobol: pd.DataFrame, samples: int | None) -> str:
    """A warning when the Sobol sample is too small for the indices to mean much (wide intervals)."""
    widths = sobol[[c for c in ("S1_conf", "ST_conf") if c in sobol.columns]].to_numpy(dtype=float)
    widest = float(np.nanmax(widths)) if widths.size and np.isfinite(widths).any() else 0.0
    if widest <= SOBOL_ROUGH and (samples is None or samples >= 512):
        return ""
    size = f" (--samples {samples})" if samples else ""
    return (f'<p class="warning" role="note">The Sobol sample is small{size}: the widest 95% interval is '
            f"±{widest:.2f}, so the indices below are rough and their order may not hold. Run again with a "
            "larger --samples (1,024 or more) before relying on them.</p>")  # fmt: skip


def sensitivity_report(
    metric: str, tornado: pd.DataFrame | None = None, base: float | None = None, sobol: pd.DataFrame | None = None,
    scenario: Scenario | None = None, samples: int | None = None,
) -> str:  # fmt: skip
    """The page for a sensitivity analysis: a tornado (one at a time) and Sobol indices, as given (`samples`:
    the Sobol base sample size, for the warning when it is too small)."""
    from leftshift import plots
    from leftshift.plots.labels import parameter_labels
    from leftshift.plots.style import measure

    label, _ = measure(metric)
    page = Page(f"What drives {label.lower()}{': ' + scenario.name if scenario else ''}",
                "Which parameters move the result most, and which the uncertainty comes from.")  # fmt: skip
    paths = [*(tornado["parameter"] if tornado is not None else []), *(sobol["parameter"] if sobol is not None else [])]
    labels = parameter_labels(list(dict.fromkeys(paths)), scenario)
    if tornado is not None:
        if base is None:
            raise ValueError("a tornado needs the metric's central value: pass base=")
        page.chart("tornado", "One parameter at a time", "Each bar: the metric with one parameter at its low or high "
                   "value (its 5th and 95th percentile) and the rest at their central values; the label on a bar "
                   "is the value the parameter was set to. The dashed line is break-even.",
                   plots.tornado(tornado, base, metric, labels))  # fmt: skip
    if sobol is not None:
        warning = _sobol_warning(sobol, samples)
        if warning:
            page.section("sobol-warning", "The Sobol sample is small", warning)
        page.chart("sobol", "Where the uncertainty comes from", "Sobol indices: first order (the parameter alone) "
                   "and total (with its interactions), with 95% confidence intervals.",
                   plots.sobol_indices(sobol, metric, labels))  # fmt: skip
    if scenario is not None:
        add_appendix(page, [scenario])
    return page.render()


def samples_report(
    samples: pd.DataFrame | None = None, quantiles: pd.DataFrame | None = None, scenario: Scenario | None = None,
    start_year: int | None = None,
) -> str:  # fmt: skip
    """The page for Monte Carlo samples: the cumulative net savings fan first, P(net savings > 0), P(ROI > 1),
    S-curves and spreads of net savings and ROI, when it pays back, then the other fans."""
    from leftshift import plots
    from leftshift.plots.style import measure

    page = Page(f"How sure we can be{': ' + scenario.name if scenario else ''}",
                f"{len(samples):,} parameter draws" if samples is not None else "Uncertainty over time")  # fmt: skip
    year = start_year if start_year is not None else (scenario.start_year if scenario else None)
    first = "cumulative_net_savings_gbp_discounted"
    if samples is not None:
        cards = _probability_cards(samples)
        if cards:
            page.section("headline", "Headline (per cent of draws)", f'<div class="cards">{"".join(cards)}</div>')
    if quantiles is not None and first in set(quantiles["metric"]):
        page.chart("fan-savings", "Cumulative net savings: the range over time", "Median with the middle 50% and "
                   "90% of draws; where the bands cross zero, some draws have paid back and some have not.",
                   plots.fan_chart(quantiles, first, start_year=year))  # fmt: skip
    if samples is not None:
        for column in ("net_savings_gbp_discounted", "roi"):
            if column in samples.columns:
                what = measure(column)[0].lower()
                page.chart(f"ecdf-{column}", f"S-curve of {what}", "For each value, the share of draws at or below "
                           "it; the dashed line is break-even (for ROI, 0: savings equal to spend).",
                           plots.ecdf(samples, column))  # fmt: skip
                page.chart(f"distribution-{column}", f"Spread of {what} across draws",
                           "Share of parameter draws by outcome; the dashed line is break-even.",
                           plots.distribution(samples, column))  # fmt: skip
        if "payback_year" in samples.columns:
            page.chart("payback", "When it pays back", "Share of draws paying back in each year, and the share that "
                       "never pays back within the horizon.", plots.payback_distribution(samples))  # fmt: skip
    if quantiles is not None:
        rest = [m for m in quantiles["metric"].unique() if m != first]
        if rest:
            page.chart("fan", "The range of outcomes over time", "Median with the middle 50% and 90% of draws.",
                       plots.fan_chart(quantiles, rest, start_year=year))  # fmt: skip
    if scenario is not None:
        add_appendix(page, [scenario])
    return page.render()


def _probability_cards(samples: pd.DataFrame) -> list[str]:
    """P(net savings > 0) and P(ROI > 1), each with the median and the range of 90% of draws."""
    cards = []
    for column, threshold, label, unit in (
        ("net_savings_gbp_discounted", 0.0, "P(net savings > 0): it pays for itself", "GBP"),
        ("roi", 1.0, "P(ROI > 1): net savings above the spend", "ratio"),
    ):  # fmt: skip
        if column in samples.columns:
            v = samples[column].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if len(v):
                median, low, high = np.percentile(v, [50, 5, 95])
                cards.append(card(f"p_{column}", label, float(np.mean(v > threshold) * 100), "percent",
                                  f"median {format_value(median, unit)}; 90% of draws "
                                  f"{format_value(low, unit)} to {format_value(high, unit)}"))  # fmt: skip
    return cards


__all__ = ["samples_report", "sensitivity_report", "sweep_report"]
