"""Headline numbers from a Result's tidy tables: admissions, bed days, waiting, people at home, costs.

Each metric is defined once, in `DEFINITIONS`: the sum of one column over the rows of one table that a named
row set selects (the row sets are `stock_rows`, `flow_rows`, `cost_rows`), times a factor. `compute` adds those
rows up in a Result's tidy tables; `leftshift.analysis.batch` adds up the same rows, chosen by the same
functions, in a stock-flow batch's arrays. So the two cannot disagree about what a metric counts; each keeps
its own order of adding up, so that the numbers in files stay the same to the last bit.

Every metric is computed per replication (a stock-flow run is replication 0); `leftshift.analysis.summary`
reports the mean, spread and confidence interval across the replications of a discrete-event run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.analysis.measures import RUN_MEASURES
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import DAYS_PER_YEAR, DEAD, Scenario

INTERVENTION_PREFIX = "intervention:"
ADMITTING_KINDS = ("transition", "queue_admit")
"""Flow kinds that admit people to a state: a move, or leaving a queue for the place awaited."""

METRICS = {m.name: m for m in RUN_MEASURES}
"""The measures `compute` reports, in its order (labels and units live in `analysis.measures`)."""


@dataclass(frozen=True)
class Definition:
    """A metric: `column` of `table`, summed over the rows in the row set `rows`, times `factor`. With
    `at_end`, only the rows at the last reported time count (people alive at the horizon)."""

    table: str
    column: str
    rows: str
    factor: float = 1.0
    at_end: bool = False


def _costs(rows: str) -> dict[str, Definition]:
    return {
        "": Definition("costs", "cost_gbp", rows),
        "_discounted": Definition("costs", "cost_gbp_discounted", rows),
    }


DEFINITIONS: dict[str, Definition] = {
    "emergency_admissions": Definition("flows", "people", "emergency_admissions"),
    "care_home_admissions": Definition("flows", "people", "care_home_admissions"),
    "home_care_admissions": Definition("flows", "people", "home_care_admissions"),
    "acute_bed_days": Definition("timeseries", "person_years", "in_hospital", DAYS_PER_YEAR),
    "delayed_discharge_bed_days": Definition("timeseries", "person_years", "delayed_discharge", DAYS_PER_YEAR),
    "waiting_at_home_person_years": Definition("timeseries", "person_years", "waiting_at_home"),
    "person_years_at_home": Definition("timeseries", "person_years", "at_home"),
    "deaths": Definition("flows", "people", "deaths"),
    "population_end": Definition("timeseries", "people", "alive", at_end=True),
    "participant_years": Definition("timeseries", "person_years", "in_programme"),
    "programme_starts": Definition("programmes", "starts", "all"),
    "referrals_turned_away": Definition("programmes", "turned_away", "all"),
    **{f"intervention_spend_gbp{k}": d for k, d in _costs("intervention").items()},
    **{f"downstream_cost_gbp{k}": d for k, d in _costs("downstream").items()},
    **{f"total_cost_gbp{k}": d for k, d in _costs("all").items()},
}
"""Every metric of `compute`, in the order of `METRICS`."""

YEARLY_STOCKS = {"home_care_clients": "home_care", "people_waiting": "waiting"}
"""Demand measured as people in a stock on average over each year (`mean_stock_by_year`): measure -> row set."""


def _text(values: Sequence[str] | np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def waiting_origin(state: Sequence[str] | np.ndarray | pd.Series) -> np.ndarray:
    """Where the people in each stock wait: 'waiting:acute->residential' -> 'acute'; other stocks -> ''."""
    names = _text(state)
    waiting = names.str.startswith("waiting:")
    return names.str.removeprefix("waiting:").str.split("->").str[0].where(waiting, "").to_numpy(dtype=object)


def stock_rows(scenario: Scenario, state: np.ndarray, programme: np.ndarray) -> dict[str, np.ndarray]:
    """Row sets over stocks, given each stock's (or timeseries row's) state and programme layer.

    People waiting are physically where they came from: in hospital (a delayed discharge, in a bed) or at
    home (waiting for home care or a care home place)."""
    state = np.asarray(state, dtype=object)
    origin = waiting_origin(state)
    waiting = origin != ""
    emergency, home = scenario.hospital_state, list(scenario.at_home)
    alive = state != DEAD
    names = [iv.name for iv in scenario.interventions]
    return {
        "in_hospital": (state == emergency) | (origin == emergency),
        "delayed_discharge": waiting & (origin == emergency),
        "waiting_at_home": waiting & np.isin(origin, home),
        "at_home": np.isin(state, home) | (waiting & np.isin(origin, home)),
        "alive": alive,
        "in_programme": np.isin(np.asarray(programme, dtype=object), names) & alive,
        "home_care": state == scenario.home_care_state,
        "waiting": waiting,
    }


def flow_rows(scenario: Scenario, kind: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """Row sets over flows, given each flow's kind and target stock."""
    kind, target = np.asarray(kind, dtype=object), np.asarray(target, dtype=object)
    admitted = np.isin(kind, ADMITTING_KINDS)
    return {
        "emergency_admissions": admitted & (target == scenario.hospital_state),
        "care_home_admissions": admitted & (target == scenario.care_home_state),
        "home_care_admissions": admitted & (target == scenario.home_care_state),
        "deaths": (kind == "transition") & (target == DEAD),
    }


def is_intervention(service: Sequence[str] | np.ndarray | pd.Series) -> np.ndarray:
    """Which cost lines are programme spend; every other line is downstream care and hospital."""
    return _text(service).str.startswith(INTERVENTION_PREFIX).to_numpy(dtype=bool)


def cost_rows(service: np.ndarray) -> dict[str, np.ndarray]:
    """Row sets over cost lines: programme spend, downstream care and hospital, and all of it."""
    intervention = is_intervention(service)
    return {"intervention": intervention, "downstream": ~intervention, "all": np.ones(len(intervention), bool)}


def row_sets(result: Result, table: str) -> dict[str, np.ndarray]:
    """The row sets of one of a Result's tables, as boolean masks over its rows."""
    s, frame = result.scenario, getattr(result, table)
    if table == "timeseries":
        return _by_unique(frame, ["state", "programme"], lambda u: stock_rows(s, u["state"], u["programme"]))
    if table == "flows":
        return _by_unique(frame, ["kind", "target"], lambda u: flow_rows(s, u["kind"], u["target"]))
    if table == "costs":
        return _by_unique(frame, ["service"], lambda u: cost_rows(u["service"]))
    return {"all": np.ones(len(frame), dtype=bool)}


def _by_unique(
    frame: pd.DataFrame, keys: list[str], rows: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Row sets computed once per distinct key combination (a table has millions of rows, a few hundred keys)."""
    pair = np.zeros(len(frame), dtype=np.int64)
    levels = []
    for key in keys:
        codes, uniques = pd.factorize(frame[key])
        pair = pair * max(len(uniques), 1) + codes
        levels.append(np.asarray(uniques, dtype=object))
    rows_of, combos = pd.factorize(pair)  # (hashed: no sorted copies of a long table's codes)
    values, rest = {}, combos
    for key, level in zip(reversed(keys), reversed(levels), strict=True):
        size = max(len(level), 1)
        values[key] = level[rest % size] if len(level) else np.zeros(0, dtype=object)
        rest = rest // size
    return {name: np.asarray(mask, dtype=bool)[rows_of] for name, mask in rows(values).items()}


def per_replication(result: Result, frame: pd.DataFrame, mask: np.ndarray, column: str) -> pd.Series:
    """Sum of `column` over the rows in `mask`, per replication of the Result (0 where a replication has no
    such rows). One deterministic run is added up with numpy's pairwise sum, replications with pandas'
    compensated group sums: the ways each has always been added up, so the files keep every bit."""
    every = result.replications
    if not result.replicated:
        return pd.Series([float(frame.loc[mask, column].sum())], index=every)
    rows = frame.loc[mask, [REPLICATION, column]]  # (two columns, not every row of a large table copied whole)
    return rows.groupby(REPLICATION)[column].sum().reindex(every, fill_value=0.0).astype(float)


def evaluate(result: Result, definition: Definition, masks: dict[str, np.ndarray] | None = None) -> pd.Series:
    """One metric per replication, from the Result's tables."""
    frame = getattr(result, definition.table)
    mask = (masks or row_sets(result, definition.table))[definition.rows]
    if definition.at_end:
        mask = mask & (frame["time"] == frame["time"].max()).to_numpy()
    return per_replication(result, frame, mask, definition.column) * definition.factor


def compute(result: Result) -> pd.DataFrame:
    """One row per replication and metric: replication, metric, value, unit."""
    masks = {table: row_sets(result, table) for table in ("timeseries", "flows", "costs", "programmes")}
    rows = []
    for name, definition in DEFINITIONS.items():
        series = evaluate(result, definition, masks[definition.table])
        rows.append(pd.DataFrame({REPLICATION: series.index.to_numpy(), "metric": name,
                                  "value": series.to_numpy(dtype=float), "unit": METRICS[name].unit}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def by_year(result: Result, names: Sequence[str]) -> pd.DataFrame:
    """Metrics summed within each calendar year: replication, year, then one column per metric."""
    parts, masks = [], {}
    for name in names:
        definition = DEFINITIONS[name]
        frame = getattr(result, definition.table)
        if definition.table not in masks:  # (each table's row sets once, not once per metric)
            masks[definition.table] = row_sets(result, definition.table)
        mask = masks[definition.table][definition.rows]
        sums = frame[mask].groupby([REPLICATION, "year"])[definition.column].sum() * definition.factor
        parts.append(sums.rename(name))
    return pd.concat(parts, axis=1).fillna(0.0).reset_index()


def mean_stock_by_year(result: Result, name: str, masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """People in the stocks of a `YEARLY_STOCKS` measure, averaged over each year's reported times (after
    the start): replication, year, value. `masks`: the timeseries' `row_sets`, if the caller has them."""
    ts = result.timeseries
    mask = (masks or row_sets(result, "timeseries"))[YEARLY_STOCKS[name]] & (ts["time"] > 0).to_numpy()
    at_time = ts[mask].groupby([REPLICATION, "year", "time"])["people"].sum()
    return at_time.groupby([REPLICATION, "year"]).mean().rename("value").reset_index()


def annual_costs(result: Result) -> pd.DataFrame:
    """Cost per replication, simulated year and payer, split into downstream care and intervention spend."""
    costs = result.costs.assign(kind=np.where(is_intervention(result.costs["service"]), "intervention", "downstream"))
    keys = [REPLICATION, "year", "payer", "kind"]
    return costs.groupby(keys, as_index=False)[["cost_gbp", "cost_gbp_discounted"]].sum()


def costs_by(result: Result, column: str) -> pd.DataFrame:
    """Total cost over the horizon by replication and `service` or `payer`, undiscounted and discounted."""
    keys = [REPLICATION, column]
    return result.costs.groupby(keys, as_index=False)[["cost_gbp", "cost_gbp_discounted"]].sum()
