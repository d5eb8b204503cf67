"""What the experiment commands print: the best points of a sweep, sensitivity indices and a tornado,
and the spread of --samples. Rich tables with units, as leftshift.cli.terminal does for single runs;
figures are named and measured by `leftshift.analysis.measures`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _format(value: float, name: str) -> str:
    """A figure in its measure's unit (`leftshift.analysis.measures`); a column it does not define as a number."""
    from leftshift.analysis.measures import MEASURES, format_number

    return format_number(float(value), MEASURES[name].unit if name in MEASURES else "")


def _label(name: str) -> str:
    from leftshift.analysis.measures import MEASURES

    return MEASURES[name].label if name in MEASURES else name


def _plain(value: float) -> str:
    """A varied value as typed: 2,000,000 rather than 2e+06."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def print_best(table: Any, parameters: list[str], metric: str, direction: str, top: int, directory: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    order = table.sort_values(metric, ascending=direction == "min", na_position="last").head(top)
    which = "highest" if direction == "max" else "lowest"
    view = Table(title=f"Best {len(order)} of {len(table):,} points by {metric} ({which})", title_justify="left")
    extra = [c for c in ("net_savings_gbp_discounted", "roi", "payback_year") if c in table and c != metric]
    for column in ("point", *parameters, metric, *extra):
        view.add_column(column, justify="right")
    for _, row in order.iterrows():
        view.add_row(str(int(row["point"])), *[_plain(row[p]) for p in parameters],
                     *[_format(row[c], c) for c in (metric, *extra)])  # fmt: skip
    Console().print(view)
    Console().print(f"Results written to {directory}/ (sweep.parquet, sweep.csv, report.html)")


def print_sensitivity(result: Any, directory: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if result.method != "oat":
        view = Table(title=f"{result.method.capitalize()} indices for {result.metric}", title_justify="left")
        columns = [c for c in result.indices.columns if c != "parameter"]
        view.add_column("parameter")
        for c in columns:
            view.add_column(c, justify="right")
        for _, row in result.indices.iterrows():
            view.add_row(row["parameter"], *[f"{row[c]:,.3g}" for c in columns])
        console.print(view)
    view = Table(title=f"Tornado: {result.metric} with one parameter at its 5th / 95th percentile "
                 f"(central {_format(result.central, result.metric)})", title_justify="left")  # fmt: skip
    for c in ("parameter", "distribution", "at 5th", "at 95th", "swing"):
        view.add_column(c, justify="left" if c in ("parameter", "distribution") else "right")
    for _, row in result.tornado.iterrows():
        view.add_row(row["parameter"], row["distribution"], _format(row["metric_low"], result.metric),
                     _format(row["metric_high"], result.metric), _format(row["swing"], result.metric))  # fmt: skip
    console.print(view)
    console.print(f"Results written to {directory}/ (sensitivity.csv, tornado.csv, runs.parquet, report.html)")


PRINTED = ("emergency_admissions", "care_home_admissions", "acute_bed_days", "delayed_discharge_bed_days",
           "total_cost_gbp_discounted", "net_savings_gbp_discounted", "roi", "payback_year")  # fmt: skip


def print_samples(results: Sequence[Any]) -> None:
    """Percentiles of the headline figures, and the chance the investment pays, per scenario."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for draws in results:
        n = len(draws.samples)
        view = Table(title=f"{draws.scenario}: {n:,} draws of {len(draws.parameters)} uncertain parameters",
                     title_justify="left")  # fmt: skip
        for c in ("Measure (over the horizon)", "5th", "median", "95th"):
            view.add_column(c, justify="left" if c.startswith("Measure") else "right")
        rows = draws.metrics.set_index("metric")
        for name in PRINTED:
            if name in rows.index:
                r = rows.loc[name]
                label = _label(name)
                if r["share_undefined"]:
                    label += f" ({r['share_undefined']:.0%} of draws: none)"
                view.add_row(label, *[_format(r[p], name) for p in ("p5", "p50", "p95")])
        console.print(view)
        if draws.probabilities:
            p = draws.probabilities
            console.print(f"P(net savings > 0) = {p['p_net_savings_positive']:.0%};  "
                          f"P(ROI > 1) = {p['p_roi_above_1']:.0%}  (discounted, against {draws.baseline})")  # fmt: skip
        fell_back = _fell_back(draws.samples)
        if fell_back:
            console.print(f"In {fell_back:,} of {n:,} draws cumulative net savings were positive in some year and "
                          "fell back below zero later (not counted as paying back then).")  # fmt: skip


def _fell_back(samples: Any) -> int:
    """How many draws' savings paid back and then fell back (`payback_reversed` is 1)."""
    if "payback_reversed" not in samples:
        return 0
    return int((samples["payback_reversed"].fillna(0) > 0).sum())


__all__ = ["print_best", "print_samples", "print_sensitivity"]
