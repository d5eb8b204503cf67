"""yearly.csv: every summary metric year by year, by age band where it has one; and the same figures for every
member of a stock-flow batch at once, which `leftshift calibrate` compares with observed data.

Long format, one row per metric x age band x year: `year, metric, age_band, value, unit` (a discrete-event run
adds `replication` first, as its other tables do). `age_band` is `all` for the whole population: every metric
has `all` rows; metrics that count people or moves (from the timeseries and flows tables) also have one row per
age band of the scenario, and those add up to the `all` row. Costs and programme figures have no bands.

A year's value is the metric's `analysis.metrics` definition summed over the steps that end in that calendar
year (so the years add up to summary.json's total), except `population_end`: the people alive at the end of
the year. Both paths below add up the rows that the same row sets choose, so they agree
(tests/unit/analysis/test_yearly.py), and neither depends on how often the tables report (`--resolution`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.analysis.batch import BatchRows, flow_sum, summarise
from leftshift.analysis.metrics import DEFINITIONS, METRICS, Definition, row_sets
from leftshift.engines.stockflow.engine import Trajectory
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import Scenario

ALL_BANDS = "all"
"""The `age_band` of a figure for the whole population."""
YEARLY_COLUMNS = ["year", "metric", "age_band", "value", "unit"]
BANDED_TABLES = ("timeseries", "flows")


def by_band(metric: str) -> bool:
    """Whether the metric has a row per age band (it counts people or moves, not money or programme places)."""
    return DEFINITIONS[metric].table in BANDED_TABLES


def series_keys(scenario: Scenario) -> list[tuple[str, str]]:
    """(metric, age band) of every yearly series, in the order of yearly.csv: each metric's `all` first."""
    keys = []
    for name in DEFINITIONS:
        keys.append((name, ALL_BANDS))
        if by_band(name):
            keys.extend((name, band) for band in scenario.age_bands)
    return keys


# From a Result's tidy tables ------------------------------------------------------------------------------


def _at_year_end(frame: pd.DataFrame) -> np.ndarray:
    """Rows at the last reported time of their year (and replication)."""
    last = frame.groupby([REPLICATION, "year"])["time"].transform("max").to_numpy()
    return frame["time"].to_numpy() == last


def _sums(rows: pd.DataFrame, column: str, keys: list[str], index: pd.MultiIndex, factor: float) -> np.ndarray:
    """Sum of `column` by `keys`, on every combination of `index` (0 where no row falls)."""
    totals = rows.groupby(keys)[column].sum()
    return totals.reindex(index, fill_value=0.0).to_numpy(dtype=float) * factor


def yearly(result: Result) -> pd.DataFrame:
    """One row per replication, metric, age band and year: replication, year, metric, age_band, value, unit."""
    masks = {table: row_sets(result, table) for table in ("timeseries", "flows", "costs", "programmes")}
    years = np.sort(result.timeseries["year"].unique()).astype(np.int64)
    replications = result.replications.to_numpy()
    bands = list(result.scenario.age_bands)
    parts = []
    for name, definition in DEFINITIONS.items():
        frame = getattr(result, definition.table)
        mask = masks[definition.table][definition.rows]
        if definition.at_end:
            mask = mask & _at_year_end(frame)
        rows = frame.loc[mask]
        groups = [([ALL_BANDS], [REPLICATION, "year"])]
        if by_band(name):
            groups.append((bands, [REPLICATION, "age_band", "year"]))
        for labels, keys in groups:
            grid = pd.MultiIndex.from_product([replications, labels, years], names=[REPLICATION, "age_band", "year"])
            index = grid.droplevel("age_band") if len(keys) == 2 else grid
            values = _sums(rows, definition.column, keys, index, definition.factor)
            parts.append(pd.DataFrame({REPLICATION: grid.get_level_values(0), "year": grid.get_level_values(2),
                                       "metric": name, "age_band": grid.get_level_values(1), "value": values,
                                       "unit": METRICS[name].unit}))  # fmt: skip
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(REPLICATION, kind="stable", ignore_index=True)
    return table.astype({REPLICATION: "int64", "year": "int64", "metric": object, "age_band": object, "unit": object})


# From a stock-flow batch ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearlyBatch:
    """Every yearly series of every member of a batch: `values[year, series, member]`."""

    years: np.ndarray  # (P,) calendar years
    keys: list[tuple[str, str]]  # (metric, age band) of each series
    values: np.ndarray  # (P, K, N)


def _series(traj: Trajectory, ix: BatchRows, definition: Definition, band: str) -> np.ndarray:
    """(year, member) one metric in one age band, from a batch recorded year by year."""
    d = definition
    if d.table == "timeseries":
        stocks = ix.stocks[d.rows] & (ix.band_of_stock == band)
        held = traj.stocks[1:] if d.at_end else traj.person_years  # stocks at each year's end, or time spent
        return held[:, stocks].sum(axis=1) * d.factor
    return flow_sum(traj, ix, ix.flows[d.rows] & (ix.band_of_flow == band)) * d.factor


def batch_yearly(traj: Trajectory) -> YearlyBatch:
    """Every series of `yearly` for every member of a batch simulated with `record="yearly"`."""
    years = traj.grid.period_years(traj.scenarios[0].start_year)
    if len(np.unique(years)) != len(years):
        raise ValueError("batch_yearly needs a batch recorded year by year (simulate(..., record='yearly'))")
    ix, summary = BatchRows(traj), summarise(traj)
    keys = series_keys(traj.scenarios[0])
    out = np.empty((len(years), len(keys), traj.stocks.shape[-1]))
    for k, (name, band) in enumerate(keys):
        definition = DEFINITIONS[name]
        if band != ALL_BANDS:
            out[:, k] = _series(traj, ix, definition, band)
        elif definition.at_end:
            out[:, k] = traj.stocks[1:, ix.stocks[definition.rows]].sum(axis=1) * definition.factor
        else:
            out[:, k] = summary.series[name]
    return YearlyBatch(np.asarray(years, dtype=np.int64), keys, out)


__all__ = ["ALL_BANDS", "YEARLY_COLUMNS", "YearlyBatch", "batch_yearly", "by_band", "series_keys", "yearly"]
