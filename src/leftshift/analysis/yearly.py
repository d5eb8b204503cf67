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


def _positions(values: pd.Series, labels: np.ndarray) -> np.ndarray:
    """Position of each value in `labels` (-1 where it is not one of them), computed once per distinct value."""
    codes, uniques = pd.factorize(values)
    where = pd.Index(labels).get_indexer(pd.Index(uniques))
    return where[codes] if len(codes) else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _Cells:
    """Each row's cell of the yearly grid, by replication and year (`whole`) and by replication, age band and year
    (`banded`; -1: a row outside the grid), computed once per table instead of once per metric."""

    whole: np.ndarray
    banded: np.ndarray | None

    @staticmethod
    def of(frame: pd.DataFrame, replications: np.ndarray, bands: list[str], years: np.ndarray, banded: bool) -> _Cells:
        rep, year = _positions(frame[REPLICATION], replications), _positions(frame["year"], years)
        inside = (rep >= 0) & (year >= 0)
        whole = np.where(inside, rep * len(years) + year, -1)
        if not banded:
            return _Cells(whole, None)
        band = _positions(frame["age_band"], np.asarray(bands, dtype=object))
        cell = (rep * len(bands) + band) * len(years) + year
        return _Cells(whole, np.where(inside & (band >= 0), cell, -1))


def _sums(values: np.ndarray, cells: np.ndarray, mask: np.ndarray, size: int, factor: float) -> np.ndarray:
    """Sum of `values` over the rows in `mask` by grid cell (0 where no row falls): pandas' compensated group
    sum over the same rows in the same order as a groupby on the key columns, so every bit is the same."""
    chosen = mask & (cells >= 0)
    totals = pd.Series(values[chosen]).groupby(cells[chosen]).sum()
    out = np.zeros(size, dtype=float)
    out[totals.index.to_numpy()] = totals.to_numpy(dtype=float)
    return out * factor


def _grid(replications: np.ndarray, labels: list[str], years: np.ndarray) -> list[pd.Index]:
    """Replication, age band and year of every cell of a grid, in the order of yearly.csv's rows."""
    grid = pd.MultiIndex.from_product([replications, labels, years], names=[REPLICATION, "age_band", "year"])
    return [grid.get_level_values(i) for i in range(3)]


def yearly(result: Result) -> pd.DataFrame:
    """One row per replication, metric, age band and year: replication, year, metric, age_band, value, unit."""
    masks = {table: row_sets(result, table) for table in ("timeseries", "flows", "costs", "programmes")}
    years = np.sort(result.timeseries["year"].unique()).astype(np.int64)
    replications = result.replications.to_numpy()
    bands = list(result.scenario.age_bands)
    cells = {table: _Cells.of(getattr(result, table), replications, bands, years, table in BANDED_TABLES)
             for table in masks}  # fmt: skip
    whole, banded = (_grid(replications, labels, years) for labels in ([ALL_BANDS], bands))
    parts = []
    for name, definition in DEFINITIONS.items():
        frame = getattr(result, definition.table)
        mask = masks[definition.table][definition.rows]
        if definition.at_end:
            mask = mask & _at_year_end(frame)
        values = frame[definition.column].to_numpy()
        groups = [(whole, cells[definition.table].whole)]
        if by_band(name):
            groups.append((banded, cells[definition.table].banded))
        for (rep, band, year), cell in groups:
            sums = _sums(values, cell, mask, len(rep), definition.factor)
            parts.append(pd.DataFrame({REPLICATION: rep, "year": year, "metric": name, "age_band": band,
                                       "value": sums, "unit": METRICS[name].unit}))  # fmt: skip
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
