"""The experiment reports: a sweep (the best point, the metric against the varied parameters), a sensitivity
analysis (tornado and Sobol indices) and Monte Carlo samples (P(net savings > 0), P(ROI > 1), fan charts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from leftshift.report.headline import card, format_value
from leftshift.report.page import Page
from leftshift.report.parameters import provenance
from leftshift.scenario.model import Scenario


def sweep_report(
    sweep: pd.DataFrame, metric: str, varied: Sequence[str] | None = None, best: Literal["max", "min"] = "max",
    scenario: Scenario | None = None, also: Sequence[str] = (),
) -> str:  # fmt: skip
    """The page for a sweep: the best point, `metric` (and any `also` metrics) against the varied parameters."""
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
        cards = [card(metric, f"Best {label.lower()}", float(row[metric]), unit)]
        cards += [card(v, v, float(row[v]), "") for v in varied]
        page.section("headline", "The best point", f'<div class="cards">{"".join(cards)}</div>')
    page.chart("sweep", f"{label} across the sweep", "The star marks the best point.",
               plots.sweep(sweep, metric, varied, best))  # fmt: skip
    for other in also:
        if other in sweep.columns:
            page.chart(f"sweep-{other}", f"{measure(other)[0]} across the sweep", "The star marks the best point.",
                       plots.sweep(sweep, other, varied, "min" if "cost" in other else "max"))  # fmt: skip
    if scenario is not None:
        page.section("parameters", "Every parameter of the base scenario and its source", provenance([scenario]))
    return page.render()


def sensitivity_report(
    metric: str, tornado: pd.DataFrame | None = None, base: float | None = None, sobol: pd.DataFrame | None = None,
    scenario: Scenario | None = None,
) -> str:  # fmt: skip
    """The page for a sensitivity analysis: a tornado (one at a time) and Sobol indices, as given."""
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
        page.section("parameters", "Every parameter and its source", provenance([scenario]))
    return page.render()


def samples_report(
    samples: pd.DataFrame | None = None, quantiles: pd.DataFrame | None = None, scenario: Scenario | None = None,
    start_year: int | None = None,
) -> str:  # fmt: skip
    """The page for Monte Carlo samples: P(net savings > 0), P(ROI > 1), distributions and fan charts."""
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
                    cards.append(card(f"p_{column}", label, float(np.mean(v > threshold) * 100), "percent",
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
        page.section("parameters", "Every parameter and its source", provenance([scenario]))
    return page.render()


__all__ = ["samples_report", "sensitivity_report", "sweep_report"]
