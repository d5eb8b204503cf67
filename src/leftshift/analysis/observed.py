"""Observed figures to calibrate against (`leftshift calibrate --observed observed.csv`), checked against what the
model reports year by year (`analysis.yearly`) before any fitting starts.

observed.csv is tidy, one row per figure: `year`, `metric` (a name of yearly.csv, e.g. emergency_admissions),
`value`, and optionally `age_band` (empty or `all`: the whole population), `weight` (how much the row counts,
1 by default) and `unit` (checked against the metric's, if given). A yearly.csv written by `leftshift run` is
a valid observed.csv once rows with a value of 0 are left out. Every problem is reported with the file, line
and column, all at once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

import pandas as pd

from leftshift.analysis.metrics import DEFINITIONS, METRICS
from leftshift.analysis.yearly import ALL_BANDS, by_band
from leftshift.errors import LeftshiftError, Problem

REQUIRED = ("year", "metric", "value")
OPTIONAL = ("age_band", "weight", "unit")
OBSERVED_COLUMNS = ["year", "metric", "age_band", "value", "weight", "line"]
"""A checked observed table: `line` is the row's line in the file (the header is line 1)."""
HINT = "observed.csv needs columns year, metric, value (and optionally age_band, weight, unit); docs/calibration.md"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _metric_problem(metric: str) -> str:
    close = difflib.get_close_matches(metric, list(DEFINITIONS), n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; the metrics are {', '.join(DEFINITIONS)}"
    return f"unknown metric '{metric}'{hint}"


def _row_problems(row: dict[str, str], years: Sequence[int], bands: Sequence[str]) -> list[tuple[str, str]]:
    """(column, message) for everything wrong with one row."""
    problems = []
    year = _number(row["year"])
    if year is None or not year.is_integer():
        problems.append(("year", f"'{row['year']}' is not a year"))
    elif int(year) not in years:
        problems.append(("year", f"{int(year)} is not simulated (the scenario runs {years[0]} to {years[-1]})"))
    metric, band = row["metric"], row["age_band"]
    if metric not in DEFINITIONS:
        problems.append(("metric", _metric_problem(metric)))
    elif band != ALL_BANDS and not by_band(metric):
        problems.append(("age_band", f"{metric} is not reported by age band; leave age_band empty"))
    if band != ALL_BANDS and band not in bands:
        problems.append(("age_band", f"unknown age band '{band}'; the scenario's are {', '.join(bands)} (or all)"))
    value = _number(row["value"])
    if value is None or value <= 0:
        problems.append(("value", f"'{row['value']}' is not a number above 0 (residuals are relative to it)"))
    weight = _number(row["weight"]) if row["weight"] else 1.0
    if weight is None or weight <= 0:
        problems.append(("weight", f"'{row['weight']}' is not a number above 0"))
    if row["unit"] and metric in METRICS and row["unit"] != METRICS[metric].unit:
        problems.append(("unit", f"{metric} is measured in {METRICS[metric].unit}, not '{row['unit']}'"))
    return problems


def check_observed(raw: pd.DataFrame, source: str, years: Sequence[int], bands: Sequence[str]) -> pd.DataFrame:
    """The observed rows (read as text) as numbers, or a LeftshiftError naming every problem by file, line and
    column. `years` and `bands`: what the scenario simulates."""
    columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in (*REQUIRED, *OPTIONAL)]
    if missing or unknown:
        what = "; ".join([*([f"missing column(s) {', '.join(missing)}"] if missing else []),
                          *([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])])  # fmt: skip
        raise LeftshiftError([Problem(what, file=source, line=1)], hint=HINT)
    if raw.empty:
        raise LeftshiftError([Problem("no observations (the file has a header but no rows)", file=source)], hint=HINT)
    text = raw.set_axis(columns, axis=1).reindex(columns=[*REQUIRED, *OPTIONAL], fill_value="").astype(object)
    text = text.where(text.notna(), "").astype(str)
    text = text.apply(lambda column: column.str.strip())
    text["age_band"] = text["age_band"].replace("", ALL_BANDS)
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    for i, row in enumerate(text.to_dict("records")):
        line = i + 2
        problems += [Problem(message, column, source, line) for column, message in _row_problems(row, years, bands)]
        key = (_number(row["year"]) or row["year"], row["metric"], row["age_band"])
        if key in seen:
            problems.append(Problem(f"the same year, metric and age band as line {seen[key]}", "year", source, line))
        seen.setdefault(key, line)
    if problems:
        raise LeftshiftError(problems, hint=HINT)
    weight = text["weight"].where(text["weight"] != "", "1")
    return pd.DataFrame({"year": text["year"].astype(float).astype("int64"), "metric": text["metric"].astype(object),
                         "age_band": text["age_band"].astype(object), "value": text["value"].astype(float),
                         "weight": weight.astype(float), "line": range(2, len(text) + 2)})  # fmt: skip


__all__ = ["OBSERVED_COLUMNS", "check_observed"]
