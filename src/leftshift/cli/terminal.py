"""Short, readable tables for the terminal: the numbers a director asks for, with units.

Which figures are shown is decided here; what they are called and measured in comes from
`leftshift.analysis.measures`, so the terminal, the report and the charts name a figure the same way."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leftshift.analysis.measures import PAYER_LABELS, comparison_measure, label
from leftshift.analysis.measures import format_number as number
from leftshift.analysis.verdict import verdict
from leftshift.scenario.model import PAYERS

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
    """The run's totals from its summary.json content, so the terminal shows exactly what the file holds."""
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
        table.add_row(label(name), _estimate(entry), entry["unit"])
    console.print(table)
    console.print(f"Costs are at {summary['price_base'] or 'scenario'} prices; discounted at "
                  f"{summary['discount_rate']:.1%} a year. Results written to {directory}/")  # fmt: skip


HEADLINE = [
    "emergency_admissions_avoided", "acute_bed_days_avoided", "care_home_admissions_avoided",
    "delayed_discharge_bed_days_avoided", "person_years_at_home_gained", "intervention_spend_gbp_discounted",
    "avoided_downstream_cost_gbp_discounted", "net_savings_gbp_discounted",
    *(f"net_savings_gbp_discounted_{payer}" for payer in PAYERS), "net_savings_gbp", "roi", "payback_year",
]  # fmt: skip
"""The comparison's rows, in order (columns of `economics.compare(...).headline`)."""


def _with_split(columns: list[str]) -> list[str]:
    """The rows with the avoided cost split into cash-releasing savings and capacity freed under it (shown
    when some comparison frees capacity, i.e. uses `costs.fixed_share`)."""
    at = columns.index("avoided_downstream_cost_gbp_discounted") + 1
    return [*columns[:at], "cash_releasing_savings_gbp_discounted", "capacity_freed_gbp_discounted", *columns[at:]]


def _with_shares(columns: list[str], comparisons: list[Any]) -> list[str]:
    """The rows with a payer's net savings before the risk share after the payers' rows, for each payer a compared
    scenario's risk-share agreements move money to or from (`economics.BEFORE_SHARING`)."""

    def moved(c: Any, p: str) -> bool:
        head, column = c.headline, f"net_savings_gbp_discounted_{p}"
        return f"{column}_before_risk_share" in head and bool(
            (head[f"{column}_before_risk_share"] - head[column]).abs().max() > 0.5)  # fmt: skip

    before = [f"net_savings_gbp_discounted_{p}_before_risk_share" for p in PAYERS
              if any(moved(c, p) for c in comparisons)]  # fmt: skip
    if not before:
        return columns
    at = columns.index(f"net_savings_gbp_discounted_{PAYERS[-1]}") + 1
    return [*columns[:at], *before, *columns[at:]]


def _headline_label(column: str) -> str:
    """Net savings by payer read as parts of the net savings above them: '  of which NHS'."""
    if column in ("cash_releasing_savings_gbp_discounted", "capacity_freed_gbp_discounted"):
        return "  of which " + comparison_measure(column).label.removesuffix(" (discounted)").lower()
    if column.endswith("_before_risk_share"):
        payer = column.removeprefix("net_savings_gbp_discounted_").removesuffix("_before_risk_share")
        return f"  {PAYER_LABELS[payer]} before the risk share"
    if column.startswith("net_savings_gbp_discounted_"):
        return f"  of which {PAYER_LABELS[column.removeprefix('net_savings_gbp_discounted_')]}"
    return comparison_measure(column).label


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


def _headline_cell(comparison: Any, column: str, unit: str, intervals: Any = None) -> str:
    """The figure (the mean over replications, with its 95% confidence interval when `intervals` has one)."""
    if column not in comparison.headline.columns:  # a figure another compared scenario has (a risk share)
        return "-"
    values = comparison.headline[column].astype(float)
    if column == "payback_year":
        return payback_text(comparison)
    cell = number(float(values.mean()), unit)
    if intervals is not None and column in intervals.index and intervals.loc[column].notna().all():
        low, high = intervals.loc[column]
        cell += f" ({number(low, unit)} to {number(high, unit)})"
    return cell


def print_comparison(
    comparisons: list[Any], directory: Path, breakdowns: list[Any] | None = None, draws: list[Any] | None = None
) -> None:
    """One column per scenario against the shared baseline (means over replications with their 95% confidence
    intervals; the median payback), where the savings come from (with `breakdowns`), and the verdict of each
    (`draws`: each scenario's `--samples` table, if any)."""
    from leftshift.analysis.economics import headline_intervals

    console = Console()
    replicated = any(c.replicated for c in comparisons)
    title = f"Against the baseline: {comparisons[0].baseline}"
    if replicated:
        title += f" (mean and 95% CI of {len(comparisons[0].headline)} replications; median payback year)"
    table = Table(title=title, title_justify="left")
    table.add_column("Measure (over the horizon)")
    for c in comparisons:
        table.add_column(c.scenario, justify="right")
    intervals = [headline_intervals(c) if c.replicated else None for c in comparisons]
    split = any(c.headline["capacity_freed_gbp_discounted"].abs().max() > 0.5 for c in comparisons)
    for column in _with_shares(_with_split(HEADLINE) if split else HEADLINE, comparisons):
        unit = comparison_measure(column).unit
        cells = [_headline_cell(c, column, unit, i) for c, i in zip(comparisons, intervals, strict=True)]
        table.add_row(_headline_label(column), *cells)
    console.print(table)
    if breakdowns:
        print_breakdown(console, breakdowns)
    for i, c in enumerate(comparisons):
        samples = draws[i] if draws and i < len(draws) else None
        net = (
            samples["net_savings_gbp_discounted"]
            if samples is not None and "net_savings_gbp_discounted" in samples
            else None
        )
        console.print(f"[bold]{escape(c.scenario)}[/bold]: {escape(verdict(c, net))}.")
    console.print("Net savings = avoided cost of care and hospital - extra intervention spend; "
                  "ROI = net savings / spend; discounted at the scenario's rate. "
                  f"Results written to {directory}/")  # fmt: skip


def print_breakdown(console: Console, breakdowns: list[Any]) -> None:
    """Where the avoided cost comes from, by service (one column per scenario), the per-admission and survival
    figures, and by programme (a table per scenario): `analysis.breakdown`, as the report and breakdown.csv."""
    from leftshift.analysis.breakdown import INTERACTIONS, figure, shown_figures
    from leftshift.analysis.measures import SERVICE_GROUPS, measure

    table = Table(title="Where the avoided cost comes from (discounted)", title_justify="left")
    table.add_column("Service")
    for b in breakdowns:
        table.add_column(b.scenario, justify="right")
    by_group = [b.services.set_index("group") for b in breakdowns]
    for group, name in SERVICE_GROUPS.items():
        if any(group in g.index for g in by_group):
            cells = [number(float(g.loc[group, "avoided_gbp_discounted"]), "GBP") if group in g.index else "-"
                     for g in by_group]  # fmt: skip
            table.add_row(name, *cells)
    total = [number(b.figures["avoided_downstream_cost_gbp_discounted"], "GBP") for b in breakdowns]
    table.add_row("Avoided cost of care and hospital", *total)
    for name in shown_figures(breakdowns):
        m = measure(name)
        table.add_row(m.label, *[number(figure(b, name), m.unit) for b in breakdowns])
    console.print(table)
    for b in breakdowns:
        rows = b.programmes
        if len(rows) <= 1:
            continue
        mine = Table(title=f"By programme: {b.scenario} (avoided cost: what the scenario saves beyond the same "
                     "scenario without the programme)", title_justify="left")  # fmt: skip
        for heading in ("Programme", "Avoided cost", "Extra spend", "Net savings"):
            mine.add_column(heading, justify="left" if heading == "Programme" else "right")
        for row in rows.itertuples(index=False):
            if (
                row.programme == INTERACTIONS
                and abs(row.extra_spend_gbp_discounted) < 0.5
                and not (abs(row.avoided_gbp_discounted) >= 0.5)
            ):
                continue
            money = (row.avoided_gbp_discounted, row.extra_spend_gbp_discounted, row.net_savings_gbp_discounted)
            mine.add_row(row.label, *[number(v, "GBP") for v in money])
        console.print(mine)
