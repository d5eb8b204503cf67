"""results.xlsx: the results as one Excel workbook, for people who live in Excel.

Sheets: Summary (the verdict, headline figures with units, and the assumptions behind them), Comparison
(comparison.csv, for `compare`), Savings by year (cumulative discounted net savings by payer, for `compare`),
Costs by year (by service and payer), Costs by payer, Activity by year (yearly.csv's whole-population figures),
and Parameters (every parameter, its distribution if uncertain, and its source note). Figures of a
discrete-event run are means over replications (the payback year a median), with 95% confidence intervals on
the Summary and Comparison sheets. Numbers are numbers with Excel formats (no formulas); the layout is
`leftshift.report.excel`'s. The same results give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from leftshift.analysis.economics import Comparison, comparison_rows, headline_intervals, over_replications
from leftshift.analysis.measures import MEASURES, PAYER_LABELS, comparison_measure, measure
from leftshift.analysis.metrics import DEFINITIONS
from leftshift.analysis.verdict import verdict
from leftshift.analysis.yearly import ALL_BANDS, yearly
from leftshift.io.writing import write_bytes_atomic
from leftshift.report import excel
from leftshift.report.excel import BOLD, GBP, YEAR, add_table, number_format, put
from leftshift.report.parameters import parameter_table
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import PAYERS

WORKBOOK = "results.xlsx"
SUMMARY_FIGURES = (
    "net_savings_gbp_discounted", *(f"net_savings_gbp_discounted_{p}" for p in PAYERS),
    "intervention_spend_gbp_discounted", "avoided_downstream_cost_gbp_discounted",
    "cash_releasing_savings_gbp_discounted", "capacity_freed_gbp_discounted", "net_savings_gbp", "roi",
    "payback_year", "emergency_admissions_avoided", "acute_bed_days_avoided", "care_home_admissions_avoided",
    "delayed_discharge_bed_days_avoided", "person_years_at_home_gained",
)  # fmt: skip
"""The comparison's figures on the Summary sheet (the Comparison sheet has every one)."""
FACTS = [("scenario_hash", "Scenario fingerprint (hash)"), ("engine", "Engine"), ("replications", "Replications"),
         ("warm_up_years", "Warm-up (years)"), ("seed", "Seed"), ("start_year", "Start year"),
         ("horizon_years", "Horizon (years)"), ("time_step_weeks", "Time step (weeks)"),
         ("discount_rate", "Discount rate"), ("price_base", "Price base"),
         ("leftshift_version", "leftshift version")]  # fmt: skip
SHEETS = {
    "Comparison": "every figure of each scenario against the baseline (comparison.csv)",
    "Savings by year": "cumulative discounted net savings by payer at the end of each year",
    "Costs by year": "cost each year by service and payer, undiscounted and discounted (costs.csv by year)",
    "Costs by payer": "cost each year by payer",
    "Activity by year": "admissions, bed days, people and costs each year (yearly.csv, whole population)",
    "Parameters": "every parameter, its distribution if uncertain, and its source note",
}


def _mean_over_replications(frame: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Sums by replication and `keys`, then their mean over replications (a stock-flow run has one)."""
    sums = frame.groupby([REPLICATION, *keys], as_index=False, sort=False, observed=True)[values].sum()
    return sums.groupby(keys, as_index=False, sort=False, observed=True)[values].mean()


def yearly_costs(results: Sequence[Result]) -> pd.DataFrame:
    """Scenario, Year, Service, Payer, Cost (£), Cost discounted (£): each year's cost by service and payer."""
    parts = []
    for result in results:
        table = _mean_over_replications(result.costs, ["year", "service", "payer"], ["cost_gbp", "cost_gbp_discounted"])
        parts.append(table.assign(scenario=result.scenario.name).sort_values("year", kind="stable"))
    frame = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({
        "Scenario": frame["scenario"], "Year": frame["year"].astype("int64"), "Service": frame["service"],
        "Payer": frame["payer"].map(PAYER_LABELS), "Cost (£)": frame["cost_gbp"],
        "Cost discounted (£)": frame["cost_gbp_discounted"],
    })  # fmt: skip


def costs_by_payer(costs: pd.DataFrame) -> pd.DataFrame:
    """Scenario, Year, then each payer's cost (£), and the total undiscounted and discounted."""
    labels = [PAYER_LABELS[p] for p in PAYERS]
    wide = costs.pivot_table(index=["Scenario", "Year"], columns="Payer", values="Cost (£)", aggfunc="sum",
                             sort=False).reindex(columns=labels, fill_value=0.0).fillna(0.0)  # fmt: skip
    wide.columns = [f"{c} (£)" for c in wide.columns]
    totals = costs.groupby(["Scenario", "Year"], sort=False)[["Cost (£)", "Cost discounted (£)"]].sum()
    wide["All payers (£)"] = totals["Cost (£)"]
    wide["All payers discounted (£)"] = totals["Cost discounted (£)"]
    return wide.reset_index()


def activity_by_year(results: Sequence[Result], tables: Sequence[pd.DataFrame] | None = None) -> pd.DataFrame:
    """Scenario, Year, then each yearly.csv metric for the whole population ('Label (unit)'), replications averaged.

    `tables`: each result's `analysis.yearly` table, when the caller has them already (they are computed if not)."""
    parts = []
    for i, result in enumerate(results):
        table = yearly(result) if tables is None else tables[i]
        table = table[table["age_band"] == ALL_BANDS]
        table = table.groupby(["year", "metric"], sort=False, as_index=False)["value"].mean()
        wide = table.pivot(index="year", columns="metric", values="value")[list(dict.fromkeys(table["metric"]))]
        wide.columns = [_headed(m) for m in wide.columns]
        parts.append(wide.reset_index().rename(columns={"year": "Year"}).assign(Scenario=result.scenario.name))
    frame = pd.concat(parts, ignore_index=True)
    return frame[["Scenario", *[c for c in frame.columns if c != "Scenario"]]]


def _headed(metric: str) -> str:
    found = measure(metric)
    return f"{found.label} ({'£' if found.unit == 'GBP' else found.unit})"


def comparison_table(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """comparison.csv's rows with readable headers and a Measure column."""
    rows = pd.concat([comparison_rows(c) for c in comparisons], ignore_index=True)
    activity = rows["baseline_value"].notna()
    names = rows["metric"].astype(str)
    labels = [measure(m).label if a else comparison_measure(m).label for m, a in zip(names, activity, strict=True)]
    out = pd.DataFrame({"Scenario": rows["scenario"], "Baseline": rows["baseline"], "Measure": labels,
                        "Metric": names, "Value": rows["value"], "Baseline value": rows["baseline_value"],
                        "Difference": rows["difference"], "Unit": rows["unit"]})  # fmt: skip
    if "ci95_low" in rows:
        out["95% CI low"], out["95% CI high"] = rows["ci95_low"], rows["ci95_high"]
    return out


def savings_by_year(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Scenario, Year, then cumulative discounted net savings to each payer and to all (£), at each year's end."""
    parts = []
    for c in comparisons:
        frame = c.cumulative_net_savings.groupby(["year", "payer"], as_index=False)["net_savings_gbp_discounted"].mean()
        wide = frame.pivot(index="year", columns="payer", values="net_savings_gbp_discounted")
        wide = wide.reindex(columns=[*PAYERS, "all"], fill_value=0.0).fillna(0.0)
        wide.columns = [f"{PAYER_LABELS[p]} (£)" for p in wide.columns]
        parts.append(wide.reset_index().rename(columns={"year": "Year"}).assign(Scenario=c.scenario))
    frame = pd.concat(parts, ignore_index=True)
    return frame[["Scenario", *[c for c in frame.columns if c != "Scenario"]]]


def parameters(scenarios: Sequence[Any]) -> pd.DataFrame:
    """Parameter, a value column per scenario (a number, or 'band: value' lines), Distribution, Source."""
    table = parameter_table(scenarios)
    out = pd.DataFrame({"Parameter": table["parameter"]})
    for i, s in enumerate(scenarios):
        name = s.name if len(scenarios) > 1 else "Value"
        name = name if name not in ("Parameter", "Distribution", "Source") else f"{name} ({i + 1})"
        out[name] = [_shown(v) for v in table[f"value_{i}"]]
    out["Distribution"] = [_distribution(p, scenarios) for p in table["parameter"]]
    out["Source"] = table["source"]
    return out


def _shown(value: Any) -> Any:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v:g}" if isinstance(v, int | float) else f"{k}: {v}" for k, v in value.items())
    return value


def _distribution(path: str, scenarios: Sequence[Any]) -> str:
    """The distribution of an uncertain parameter (of each uncertain band of a by-band one), as the scenario says."""
    found: dict[str, str] = {}
    for s in scenarios:
        for key, dist in s.uncertainty.items():
            if key == path:
                found.setdefault(key, dist.describe())
            elif key.startswith((path + ".", path + "[")):
                found.setdefault(key, f"{key[len(path) + 1 :].rstrip(']')}: {dist.describe()}")
    return "\n".join(found.values())


# The Summary sheet -------------------------------------------------------------------------------------


def _facts(sheet: Any, row: int, summaries: Sequence[dict[str, Any]]) -> int:
    put(sheet, row, 1, "Assumptions").font = BOLD
    for c, s in enumerate(summaries, start=2):
        put(sheet, row, c, s.get("scenario")).font = BOLD
    for key, text in FACTS:
        if not any(key in s for s in summaries):
            continue
        row += 1
        put(sheet, row, 1, text)
        number = {"discount_rate": excel.PERCENT, "start_year": YEAR}.get(key)
        for c, s in enumerate(summaries, start=2):
            put(sheet, row, c, s.get(key), number)
    return row + 2


def _comparison_headline(sheet: Any, row: int, comparisons: Sequence[Comparison]) -> int:
    replicated = any(c.replicated for c in comparisons)
    put(sheet, row, 1, "Headline figures over the horizon (discounted unless marked)").font = BOLD
    row += 1
    heads = ["Measure", "Unit"]
    for c in comparisons:
        heads += [c.scenario, "95% CI low", "95% CI high"] if replicated else [c.scenario]
    for col, text in enumerate(heads, start=1):
        put(sheet, row, col, text).font = BOLD
    figures = [over_replications(c)[1] for c in comparisons]
    intervals = [headline_intervals(c) if c.replicated else None for c in comparisons]
    for name in SUMMARY_FIGURES:
        row += 1
        found = comparison_measure(name)
        put(sheet, row, 1, found.label)
        put(sheet, row, 2, found.unit)
        col = 3
        for values, ci in zip(figures, intervals, strict=True):
            cells = [values.get(name)]
            if name == "payback_year" and pd.isna(cells[0]):
                cells = ["none within the horizon"]
            if replicated:
                cells += list(ci.loc[name]) if ci is not None and name in ci.index else [None, None]
            for value in cells:
                put(sheet, row, col, value, number_format(found.unit))
                col += 1
    return row + 2


def _run_headline(sheet: Any, row: int, summary: dict[str, Any]) -> int:
    replicated = "replications" in summary
    put(sheet, row, 1, "Totals over the horizon").font = BOLD
    row += 1
    heads = ["Measure", "Unit", *(["Mean", "95% CI low", "95% CI high"] if replicated else ["Total"])]
    for col, text in enumerate(heads, start=1):
        put(sheet, row, col, text).font = BOLD
    for name, entry in summary["metrics"].items():
        row += 1
        put(sheet, row, 1, MEASURES[name].label if name in MEASURES else name)
        put(sheet, row, 2, entry["unit"])
        values = [entry["mean"], entry["ci95_low"], entry["ci95_high"]] if replicated else [entry["value"]]
        for col, value in enumerate(values, start=3):
            put(sheet, row, col, value, number_format(entry["unit"]))
    return row + 2


def _notes(sheet: Any, row: int, sheets: Sequence[str], replicated: bool) -> None:
    put(sheet, row, 1, "Sheets").font = BOLD
    for name in sheets:
        row += 1
        put(sheet, row, 1, name)
        put(sheet, row, 2, SHEETS[name])
    if replicated:
        put(sheet, row + 2, 1, "With replications every figure is the mean over replications (the payback year "
            "the median), with its 95% confidence interval where shown.")  # fmt: skip


def _summary_sheet(book: Workbook, title: str, summaries: Sequence[dict[str, Any]]) -> Any:
    sheet = book.create_sheet("Summary")
    put(sheet, 1, 1, title).font = excel.TITLE
    first = summaries[0]
    prices = f"at {first['price_base']} prices" if first.get("price_base") else "at the scenarios' prices"
    put(sheet, 2, 1, f"Written by leftshift {first.get('leftshift_version', '')}. Costs in pounds {prices}, "
        f"discounted at {first.get('discount_rate', 0):.1%} a year where marked.")  # fmt: skip
    sheet.column_dimensions["A"].width = 58
    for letter in "BCDEFGHIJ":
        sheet.column_dimensions[letter].width = 18
    return sheet


def _save(book: Workbook, directory: str | Path) -> Path:
    return write_bytes_atomic(Path(directory) / WORKBOOK, excel.deterministic_bytes(book))


def comparison_workbook(
    results: Sequence[Result], comparisons: Sequence[Comparison], summaries: Sequence[dict[str, Any]],
    yearlies: Sequence[pd.DataFrame] | None = None,
) -> Workbook:  # fmt: skip
    """The workbook of `leftshift compare`: the baseline is results[0]; `yearlies`: each result's
    `analysis.yearly` table, if the caller has them (computed if not)."""
    book = excel.new_workbook()
    sheet = _summary_sheet(book, f"{', '.join(c.scenario for c in comparisons)} against {comparisons[0].baseline}",
                           summaries)  # fmt: skip
    row = 4
    put(sheet, row, 1, "Verdict").font = BOLD
    for c in comparisons:
        row += 1
        put(sheet, row, 1, c.scenario)
        put(sheet, row, 2, verdict(c))
    row = _comparison_headline(sheet, row + 2, comparisons)
    row = _facts(sheet, row, summaries)
    costs = yearly_costs(results)
    add_table(book, "Comparison", comparison_table(comparisons), unit_column="Unit")
    savings = savings_by_year(comparisons)
    add_table(book, "Savings by year", savings, {"Year": YEAR, **_gbp_columns(savings)})
    _yearly_sheets(book, results, costs, yearlies)
    add_table(book, "Parameters", parameters([r.scenario for r in results]), wrap=["Distribution", "Source"])
    _notes(sheet, row, [s.title for s in book.worksheets[1:]], any(c.replicated for c in comparisons))
    return book


def run_workbook(result: Result, summary: dict[str, Any], yearly_table: pd.DataFrame | None = None) -> Workbook:
    """The workbook of `leftshift run` (`yearly_table`: the result's `analysis.yearly` table, if the caller has it)."""
    book = excel.new_workbook()
    sheet = _summary_sheet(book, f"{result.scenario.name}: results", [summary])
    row = _run_headline(sheet, 4, summary)
    row = _facts(sheet, row, [summary])
    _yearly_sheets(book, [result], yearly_costs([result]), None if yearly_table is None else [yearly_table])
    add_table(book, "Parameters", parameters([result.scenario]), wrap=["Distribution", "Source"])
    _notes(sheet, row, [s.title for s in book.worksheets[1:]], result.replicated)
    return book


def _gbp_columns(frame: pd.DataFrame) -> dict[str, str]:
    return {c: GBP for c in frame.columns if "(£)" in c}


def _yearly_sheets(
    book: Workbook, results: Sequence[Result], costs: pd.DataFrame, yearlies: Sequence[pd.DataFrame] | None
) -> None:
    add_table(book, "Costs by year", costs, {"Year": YEAR, **_gbp_columns(costs)})
    by_payer = costs_by_payer(costs)
    add_table(book, "Costs by payer", by_payer, {"Year": YEAR, **_gbp_columns(by_payer)})
    activity = activity_by_year(results, yearlies)
    formats = {_headed(m): number_format(measure(m).unit) for m in DEFINITIONS}
    add_table(book, "Activity by year", activity, {"Year": YEAR, **formats})


def write_run_workbook(
    directory: str | Path, result: Result, summary: dict[str, Any], yearly_table: pd.DataFrame | None = None
) -> Path:
    """results.xlsx for one run, written atomically into `directory`; returns its path."""
    return _save(run_workbook(result, summary, yearly_table), directory)


def write_comparison_workbook(
    directory: str | Path, results: Sequence[Result], comparisons: Sequence[Comparison],
    summaries: Sequence[dict[str, Any]], yearlies: Sequence[pd.DataFrame] | None = None,
) -> Path:  # fmt: skip
    """results.xlsx for a baseline (results[0]) and scenarios, written atomically into `directory`."""
    return _save(comparison_workbook(results, comparisons, summaries, yearlies), directory)


__all__ = [
    "WORKBOOK", "activity_by_year", "comparison_table", "comparison_workbook", "costs_by_payer", "parameters",
    "run_workbook", "savings_by_year", "write_comparison_workbook", "write_run_workbook", "yearly_costs",
]  # fmt: skip
