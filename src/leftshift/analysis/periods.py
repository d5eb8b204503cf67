"""A Result's tables by month or year instead of by step, and the calendar date each row reports.

The command line writes its tables monthly by default (`--resolution`) so that they open in Excel, while the
summary, yearly.csv, the comparison and the report are computed from every step. Any engine's Result is
coarsened here, after the run, by the rules the stock-flow engine uses when it records by month or year
(`leftshift.engines.model.TimeGrid`, tests/unit/analysis/test_periods.py checks they agree): a period holds the
steps whose middle falls in it; what happened during it (person-years, moves, costs, referrals, spend, people
turned away) is summed, and what is there at its end (people, places, occupancy, queues) is the value at its
last step. A timeseries' first rows (the stocks at the start, or at the end of a warm-up) stay as they are.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd

from leftshift.engines import RESOLUTIONS, check_resolution
from leftshift.engines.model import TimeGrid
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import Scenario

AT_END = {
    "timeseries": ("people",),
    "queues": ("occupied", "capacity", "waiting", "over_capacity"),
    "programmes": ("funded_places", "places", "participants"),
}
"""Columns that are a level at the end of a period (the value at its last step); every other number is summed."""
VALUES = {
    "timeseries": ("people", "person_years"),
    "flows": ("people",),
    "costs": ("cost_gbp", "cost_gbp_discounted"),
    "queues": ("occupied", "capacity", "waiting", "turned_away", "over_capacity"),
    "programmes": ("funded_places", "places", "participants", "referrals", "starts", "turned_away", "spend_gbp"),
}
DATE = "date"
"""The column of written tables that gives each row's calendar date (ISO): the last day of its period."""
DAYS_PER_YEAR = 365.25


def step_years(scenario: Scenario) -> float:
    """The length of the engines' step in years (a whole number of steps a year: `TimeGrid`)."""
    return TimeGrid.for_scenario(scenario, "full").step_years


def _periods(scenario: Scenario, resolution: str) -> tuple[TimeGrid, TimeGrid]:
    return TimeGrid.for_scenario(scenario, "full"), TimeGrid.for_scenario(scenario, RESOLUTIONS[resolution])


def _period_end(times: np.ndarray, steps: TimeGrid, grid: TimeGrid) -> np.ndarray:
    """The end (years) of the period holding the step that ends at each of `times` (steps from 1)."""
    step = np.clip(np.rint(times / steps.step_years).astype(np.int64) - 1, 0, steps.n_steps - 1)
    return grid.period_end[grid.period_of_step[step]]


def coarsen_table(frame: pd.DataFrame, name: str, scenario: Scenario, resolution: str) -> pd.DataFrame:
    """One table (`name`: timeseries, flows, costs, queues or programmes) by period, in its own column order."""
    if resolution == "step" or frame.empty:
        return frame
    steps, grid = _periods(scenario, resolution)
    values = [c for c in VALUES[name] if c in frame.columns]
    keys = [c for c in frame.columns if c not in values and c != "time"]
    initial = np.zeros(len(frame), dtype=bool)
    if name == "timeseries":  # the stocks at the start (or at the end of a warm-up) are not a period's end
        initial = (frame["time"] == frame.groupby(REPLICATION)["time"].transform("min")).to_numpy()
    rest = frame.loc[~initial] if initial.any() else frame
    times = _period_end(rest["time"].to_numpy(dtype=float), steps, grid)
    code = _group_codes([rest[REPLICATION], times, *(rest[k] for k in keys if k != REPLICATION)])
    at_end = [c for c in values if c in AT_END.get(name, ())]
    rule = {c: "last" if c in at_end else "sum" for c in values}
    totals = rest[values].groupby(code, sort=False).agg(rule)  # (pandas' own sums and lasts, row by row)
    firsts = np.flatnonzero(np.diff(np.maximum.accumulate(code), prepend=-1))  # each group's first row, in order
    periods = rest.take(firsts).reset_index(drop=True)
    periods = periods.assign(time=times[firsts], **{c: totals[c].to_numpy() for c in values})
    out = pd.concat([frame.loc[initial], periods], ignore_index=True) if initial.any() else periods
    if not _in_order(out[REPLICATION].to_numpy(), out["time"].to_numpy()):  # (a stable sort of sorted rows: a copy)
        out = out.sort_values([REPLICATION, "time"], kind="stable", ignore_index=True)
    return out.astype(frame.dtypes.to_dict())


def _in_order(replication: np.ndarray, time: np.ndarray) -> bool:
    """Whether rows are sorted by replication, then time."""
    later = (replication[1:] > replication[:-1]) | ((replication[1:] == replication[:-1]) & (time[1:] >= time[:-1]))
    return bool(later.all())


def _group_codes(columns: list[pd.Series | np.ndarray]) -> np.ndarray:
    """A number per row, the same for rows equal in every column and counted from 0 in order of first appearance:
    what `groupby(columns, sort=False, dropna=False)` groups by, without its copies of a long table's keys."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        code = pd.factorize(code * len(uniques) + codes)[0]
    return code


def at_resolution(result: Result, resolution: str) -> Result:
    """The Result with every table reported by `resolution` (step, month or year); extra tables (a
    discrete-event run's waits, one row per attempt) as they are."""
    check_resolution(resolution)
    if resolution == "step":
        return result
    s = result.scenario
    tables = {name: coarsen_table(getattr(result, name), name, s, resolution) for name in VALUES}
    return dataclasses.replace(result, **tables)


def _month_end(year: int, month: int) -> date:
    """The last day of `month` (1-12) of `year`."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def period_dates(times: np.ndarray, resolution: str, start_year: int, step: float) -> np.ndarray:
    """ISO date of the last day of the period ending at each of `times` (years from the start of `start_year`):
    the month's or year's last day, or for a step the day it ends on (a simulated year is a whole number of
    steps, so a weekly step is 7.02 days). The stocks at time 0 (the start) are dated the first day."""
    check_resolution(resolution)
    times = np.asarray(times, dtype=float)
    unique, where = np.unique(times, return_inverse=True)
    if resolution == "step":
        start = date(start_year, 1, 1)
        days = np.floor(unique * DAYS_PER_YEAR + 1e-6).astype(np.int64)
        labels = [(start + timedelta(days=int(d) - 1)).isoformat() for d in days]
    else:
        per_year = 12 if resolution == "month" else 1
        index = np.floor((unique - step / 2) * per_year + 1e-9).astype(np.int64)  # the middle of the last step
        labels = [_month_end(start_year + int(i // per_year), int(i % per_year) * (12 // per_year) + 12 // per_year)
                  .isoformat() for i in index]  # fmt: skip
    labels = [date(start_year, 1, 1).isoformat() if t <= 0 else label for t, label in zip(unique, labels, strict=True)]
    return np.asarray(labels, dtype=object)[where.reshape(-1)]


def with_dates(frame: pd.DataFrame, resolution: str, scenario: Scenario) -> pd.DataFrame:
    """The table with a `date` column last, so that every older column keeps its place (tables without `time`
    and `year` are returned as they are)."""
    if not {"time", "year"} <= set(frame.columns) or DATE in frame.columns:
        return frame
    dates = period_dates(frame["time"].to_numpy(dtype=float), resolution, scenario.start_year, step_years(scenario))
    return frame.assign(**{DATE: pd.array(dates, dtype="str")})


__all__ = ["DATE", "at_resolution", "coarsen_table", "period_dates", "step_years", "with_dates"]
