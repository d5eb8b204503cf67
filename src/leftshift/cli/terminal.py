"""Short, readable tables for the terminal: the numbers a director asks for, with units."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from leftshift.analysis.measures import format_number as number
from leftshift.analysis.metrics import METRICS

RUN_METRICS = [
    "emergency_admissions", "care_home_admissions", "home_care_admissions", "acute_bed_days",
    "delayed_discharge_bed_days", "person_years_at_home", "deaths", "participant_years",
    "intervention_spend_gbp", "downstream_cost_gbp_discounted", "total_cost_gbp_discounted",
]  # fmt: skip


def _estimate(entry: dict[str, Any]) -> str:
    unit = entry["unit"]
    if "mean" in entry:
        return (
            f"{number(entry['mean'], unit)} ({number(entry['ci95_low'], unit)} to {number(entry['ci95_high'], unit)})"
        )
    return number(entry["value"], unit)


def print_run(summary: dict[str, Any], directory: Path) -> None:
    console = Console()
    years = summary["horizon_years"]
    title = f"{summary['scenario']}: totals over {years:g} years from {summary['start_year']}"
    if "replications" in summary:
        title += f" (mean and 95% CI of {summary['replications']} replications)"
    table = Table(title=title, title_justify="left")
    table.add_column("Measure")
    table.add_column("Total", justify="right")
    table.add_column("Unit")
    for name in RUN_METRICS:
        entry = summary["metrics"][name]
        table.add_row(METRICS[name].label, _estimate(entry), entry["unit"])
    console.print(table)
    console.print(f"Costs are at {summary['price_base'] or 'scenario'} prices; discounted at "
                  f"{summary['discount_rate']:.1%} a year. Results written to {directory}/")  # fmt: skip


HEADLINE = [
    ("emergency_admissions_avoided", "Emergency admissions avoided", "people"),
    ("acute_bed_days_avoided", "Acute bed days avoided", "days"),
    ("care_home_admissions_avoided", "Care home admissions avoided", "people"),
    ("delayed_discharge_bed_days_avoided", "Delayed-discharge days avoided", "days"),
    ("person_years_at_home_gained", "Person-years at home gained", "person-years"),
    ("intervention_spend_gbp_discounted", "Extra intervention spend (discounted)", "GBP"),
    ("avoided_downstream_cost_gbp_discounted", "Avoided downstream cost (discounted)", "GBP"),
    ("net_savings_gbp_discounted", "Net savings (discounted)", "GBP"),
    ("net_savings_gbp_discounted_nhs", "  of which NHS", "GBP"),
    ("net_savings_gbp_discounted_council", "  of which council", "GBP"),
    ("net_savings_gbp_discounted_self_funder", "  of which self-funders", "GBP"),
    ("net_savings_gbp_discounted_other", "  of which other", "GBP"),
    ("net_savings_gbp", "Net savings (undiscounted)", "GBP"),
    ("roi", "Return on investment", "ratio"),
    ("payback_year", "Payback year", "year"),
]


def _first_positive_year(comparison: Any) -> float:
    """The first year the whole system's cumulative discounted net savings were at or above zero (mean
    over replications), whether or not they stayed there."""
    frame = comparison.cumulative_net_savings
    whole = frame[frame["payer"] == "all"].groupby("year")["net_savings_gbp_discounted"].mean()
    reached = whole.index[whole.to_numpy() >= 0]
    return float(reached[0]) if len(reached) else math.nan


def payback_text(comparison: Any) -> str:
    """The payback year in words: the median over replications, and whether savings paid back and then
    fell back below zero (a year in which they touched zero is not a payback if they do not stay)."""
    head = comparison.headline
    values = head["payback_year"].astype(float)
    if head["intervention_spend_gbp_discounted"].mean() <= 0:
        return "n/a (no extra spend)"
    flags = head["payback_reversed"].astype(float) if "payback_reversed" in head else values * 0
    fell_back = flags.fillna(0) > 0
    first = _first_positive_year(comparison)
    if values.isna().all():
        if fell_back.any() and len(head) == 1 and not math.isnan(first):
            return f"no payback (was positive in {first:.0f} but fell back)"
        if fell_back.any():
            return f"no payback ({fell_back.mean():.0%} were positive for a while but fell back)"
        return "none within horizon"
    notes = []
    if values.isna().any():
        notes.append(f"{values.isna().mean():.0%} none")
    if fell_back.any():
        notes.append(f"first positive in {first:.0f}, then fell back" if len(head) == 1 and not math.isnan(first)
                     else f"{fell_back.mean():.0%} fell back after being positive")  # fmt: skip
    return f"{values.median():.0f}" + (f" ({'; '.join(notes)})" if notes else "")


def _headline_cell(comparison: Any, column: str, unit: str) -> str:
    values = comparison.headline[column].astype(float)
    if column != "payback_year":
        return number(float(values.mean()), unit)
    return payback_text(comparison)


def print_comparison(comparisons: list[Any], directory: Path) -> None:
    console = Console()
    table = Table(title=f"Against the baseline: {comparisons[0].baseline}", title_justify="left")
    table.add_column("Measure (over the horizon)")
    for c in comparisons:
        table.add_column(c.scenario, justify="right")
    for column, label, unit in HEADLINE:
        table.add_row(label, *[_headline_cell(c, column, unit) for c in comparisons])
    console.print(table)
    console.print("Net savings = avoided downstream cost - extra intervention spend; ROI = net savings / spend; "
                  f"discounted at the scenario's rate. Results written to {directory}/")  # fmt: skip
