"""Tidy tables reshaped for charts: averaged over replications, thinned in time, summed by year.

Charts do not need every weekly step: stocks are sampled (about monthly) and flows summed by year, which
keeps a 20-year report small without changing what it shows. These helpers work for every engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from leftshift.analysis import metrics
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import DAYS_PER_YEAR, DEAD

MOVE_KINDS = ("transition", "queue_join", "queue_admit", "entry", "return", "deconditioning")
"""Flow kinds that move people between stocks (ageing and programme moves stay within a state)."""


def replications(frame: pd.DataFrame) -> int:
    """How many replications a table holds (1 for a stock-flow run, or a table with no rows)."""
    return int(frame[REPLICATION].nunique()) if len(frame) else 1


def replication_mean(frame: pd.DataFrame, keys: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Sum `values` by `keys`, averaged over replications (a replication with no row counts as zero)."""
    keys, values = list(keys), list(values)
    totals = frame.groupby(keys, as_index=False, sort=True)[values].sum()
    totals[values] = totals[values] / replications(frame)
    return totals


def sample_times(times: pd.Series | np.ndarray, per_year: int = 12) -> np.ndarray:
    """The reporting times nearest to a grid of `per_year` points a year (first and last kept)."""
    unique = np.unique(np.asarray(times, dtype=float))
    if len(unique) <= 2 or per_year <= 0:
        return unique
    grid = np.append(np.arange(unique[0], unique[-1], 1.0 / per_year), unique[-1])
    pos = np.clip(np.searchsorted(unique, grid), 1, len(unique) - 1)
    nearest = np.where(np.abs(unique[pos - 1] - grid) <= np.abs(unique[pos] - grid), pos - 1, pos)
    return unique[np.unique(nearest)]


def dates(start_year: int, times: pd.Series | np.ndarray) -> list[str]:
    """Years from the start (1 January of `start_year`) as ISO dates, which Plotly shows as a date axis."""
    start = pd.Timestamp(year=start_year, month=1, day=1)
    stamps = start + pd.to_timedelta(np.asarray(times, dtype=float) * DAYS_PER_YEAR, unit="D")
    return [str(s) for s in stamps.strftime("%Y-%m-%d")]  # (formatted at once: 20 charts, thousands of points)


def waiting_origin(names: pd.Series) -> pd.Series:
    """'waiting:acute->residential' -> 'acute'; other names -> '' (`metrics.waiting_origin`, row by row)."""
    unique = names.unique()
    return names.map(dict(zip(unique, metrics.waiting_origin(unique), strict=True)))


def stock_categories(result: Result, timeseries: pd.DataFrame, programmes: bool = True) -> pd.Series:
    """What a row of the timeseries counts as in a chart of people: its state, `programme:<name>` while
    taking part in a programme (unless `programmes=False`: then the state), or one of two queues:
    `waiting:hospital` and `waiting:home`."""
    scenario = result.scenario
    names = {iv.name for iv in scenario.interventions}
    state = timeseries["state"].astype(str)
    origin = waiting_origin(state)
    category = state.where(
        origin == "", np.where(origin == scenario.emergency_state, "waiting:hospital", "waiting:home")
    )
    if not programmes:
        return category
    taking_part = timeseries["programme"].isin(names) & (state != DEAD)
    return category.where(~taking_part, "programme:" + timeseries["programme"].astype(str))


def flow_totals(result: Result) -> pd.DataFrame:
    """People moved between stocks over the whole horizon: source, target, people (mean over replications)."""
    flows = result.flows
    moving = flows["kind"].isin(MOVE_KINDS) & (flows["source"] != flows["target"])
    moves = flows.loc[moving, [REPLICATION, "source", "target", "people"]]  # (not every column of a long table)
    return replication_mean(moves, ["source", "target"], ["people"])


def flow_totals_once() -> Callable[[Result], pd.DataFrame]:
    """`flow_totals`, computing each Result's once (a comparison report draws a scenario's moves three times: its
    Sankey, the change against the baseline, the table). Callers must not change the tables it returns."""
    found: dict[int, tuple[Result, pd.DataFrame]] = {}  # (the Result kept: its id stays its own)

    def totals(result: Result) -> pd.DataFrame:
        if id(result) not in found:
            found[id(result)] = (result, flow_totals(result))
        return found[id(result)][1]

    return totals


RATES = ("emergency_admissions", "care_home_admissions", "acute_bed_days")
"""Demand counted over a year (`metrics.DEFINITIONS`); the other measures of `annual_demand` are people in a
stock on average over the year (`metrics.YEARLY_STOCKS`)."""


def annual_demand(result: Result) -> pd.DataFrame:
    """Demand a year: year, measure, value (mean over replications). Measures: emergency_admissions,
    acute_bed_days, care_home_admissions (a year: the year's count over the simulated time in it),
    home_care_clients, people_waiting (people, average over the year). Each is the metric of the same
    name (`leftshift.analysis.metrics`), year by year."""
    ts, flows = result.timeseries, result.flows
    years = sorted(set(ts.loc[ts["time"] > 0, "year"].astype(int)) | set(flows["year"].astype(int)))
    covered = year_lengths(ts).reindex(years, fill_value=1.0).to_numpy()
    n = replications(ts)
    counts = metrics.by_year(result, RATES).groupby("year")[list(RATES)].sum().reindex(years, fill_value=0.0)
    pieces = {name: counts[name].to_numpy(dtype=float) / n / covered for name in RATES}
    masks = metrics.row_sets(result, "timeseries")
    for name in metrics.YEARLY_STOCKS:
        stock = metrics.mean_stock_by_year(result, name, masks).groupby("year")["value"].sum()
        pieces[name] = stock.reindex(years, fill_value=0.0).to_numpy(dtype=float) / n
    order = ["emergency_admissions", "care_home_admissions", "acute_bed_days", *metrics.YEARLY_STOCKS]
    return pd.concat([pd.DataFrame({"year": years, "measure": name, "value": pieces[name]}) for name in order],
                     ignore_index=True)  # fmt: skip


def annual_demand_by_replication(result: Result) -> pd.DataFrame:
    """`annual_demand` for each replication (a replication with no such rows in a year counts 0): replication,
    year, measure, value."""
    ts = result.timeseries
    years = sorted(set(ts.loc[ts["time"] > 0, "year"].astype(int)) | set(result.flows["year"].astype(int)))
    covered = year_lengths(ts).reindex(years, fill_value=1.0)
    grid = pd.MultiIndex.from_product([list(result.replications), years], names=[REPLICATION, "year"])
    counts = metrics.by_year(result, RATES).set_index([REPLICATION, "year"]).reindex(grid, fill_value=0.0)
    parts = []
    for name in RATES:
        values = counts[name].to_numpy(dtype=float) / covered.reindex(grid.get_level_values("year")).to_numpy()
        parts.append(pd.DataFrame({REPLICATION: grid.get_level_values(0), "year": grid.get_level_values(1),
                                   "measure": name, "value": values}))  # fmt: skip
    masks = metrics.row_sets(result, "timeseries")
    for name in metrics.YEARLY_STOCKS:
        stock = metrics.mean_stock_by_year(result, name, masks).set_index([REPLICATION, "year"])["value"]
        values = stock.reindex(grid, fill_value=0.0).to_numpy()
        parts.append(pd.DataFrame({REPLICATION: grid.get_level_values(0), "year": grid.get_level_values(1),
                                   "measure": name, "value": values}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def year_lengths(timeseries: pd.DataFrame) -> pd.Series:
    """Years of simulated time in each calendar year: 52 weekly steps make 0.996, 53 make 1.015. Dividing a
    year's count by it gives a rate a year without a saw-tooth from 53-week years."""
    steps = timeseries.loc[timeseries["time"] > 0, ["time", "year"]].drop_duplicates("time").sort_values("time")
    lengths = np.diff(np.concatenate([[0.0], steps["time"].to_numpy(dtype=float)]))
    return pd.Series(lengths, index=steps["year"].to_numpy()).groupby(level=0).sum()
