"""Headline numbers from a Result's tidy tables: admissions, bed days, waiting, people at home, costs.

Works for every engine: when a table has a `replication` column, each metric is computed per
replication (and `leftshift.analysis.summary` reports mean, spread and confidence interval across them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leftshift.analysis.measures import RUN_MEASURES
from leftshift.result import Result
from leftshift.scenario.model import DAYS_PER_YEAR, DEAD, Scenario

GROUP = "replication"
INTERVENTION_PREFIX = "intervention:"


METRICS = {m.name: m for m in RUN_MEASURES}
"""The measures `compute` reports, in its order (labels and units live in `analysis.measures`)."""


def _groups(frame: pd.DataFrame) -> list[str]:
    return [GROUP] if GROUP in frame.columns else []


def _sum(frame: pd.DataFrame, mask: pd.Series, column: str, every: pd.Index | None) -> pd.Series:
    """Sum of `column` over rows in `mask`, per replication in `every` (a one-row Series when there is
    none). `every` comes from the time series, so a table with no rows (no costs, no programmes) still
    gives a 0 for every replication rather than no row at all."""
    if every is not None:
        if GROUP not in frame.columns or frame.empty:
            return pd.Series(0.0, index=every)
        return frame[mask].groupby(GROUP)[column].sum().reindex(every, fill_value=0.0).astype(float)
    return pd.Series([float(frame.loc[mask, column].sum())])


def replications(result: Result) -> pd.Index | None:
    """The replication numbers of a discrete-event result (None for the stock-flow engine)."""
    ts = result.timeseries
    return pd.Index(sorted(ts[GROUP].unique()), name=GROUP) if GROUP in ts.columns else None


def _origin(stock: pd.Series) -> pd.Series:
    return stock.str.removeprefix("waiting:").str.split("->").str[0]


def _admissions(flows: pd.DataFrame, state: str, every: pd.Index | None) -> pd.Series:
    moves = flows["kind"].isin(["transition", "queue_admit"])
    return _sum(flows, moves & (flows["target"] == state), "people", every)


def compute(result: Result) -> pd.DataFrame:
    """One row per metric (and replication): metric, value, unit."""
    s: Scenario = result.scenario
    ts, flows, costs = result.timeseries, result.flows, result.costs
    waiting = ts["state"].str.startswith("waiting:")
    origin = _origin(ts["state"].where(waiting, ""))
    emergency = s.emergency_state
    home = set(s.at_home)
    bed_stocks = (ts["state"] == emergency) | (waiting & (origin == emergency))
    at_home = ts["state"].isin(home) | (waiting & origin.isin(home))
    last = ts["time"] == ts["time"].max()
    in_programme = ts["programme"].isin([iv.name for iv in s.interventions]) & (ts["state"] != DEAD)
    is_intervention = costs["service"].str.startswith(INTERVENTION_PREFIX)
    everything = pd.Series(True, index=costs.index)
    programmes = result.programmes
    reps = replications(result)

    def total(frame: pd.DataFrame, mask: pd.Series, column: str) -> pd.Series:
        return _sum(frame, mask, column, reps)

    values = {
        "emergency_admissions": _admissions(flows, emergency, reps),
        "care_home_admissions": _admissions(flows, "residential", reps),
        "home_care_admissions": _admissions(flows, "home_care", reps),
        "acute_bed_days": total(ts, bed_stocks, "person_years") * DAYS_PER_YEAR,
        "delayed_discharge_bed_days": total(ts, waiting & (origin == emergency), "person_years") * DAYS_PER_YEAR,
        "waiting_at_home_person_years": total(ts, waiting & origin.isin(home), "person_years"),
        "person_years_at_home": total(ts, at_home, "person_years"),
        "deaths": total(flows, (flows["target"] == DEAD) & flows["kind"].eq("transition"), "people"),
        "population_end": total(ts, last & (ts["state"] != DEAD), "people"),
        "participant_years": total(ts, in_programme, "person_years"),
        "programme_starts": total(programmes, pd.Series(True, index=programmes.index), "starts"),
        "referrals_turned_away": total(programmes, pd.Series(True, index=programmes.index), "turned_away"),
        "intervention_spend_gbp": total(costs, is_intervention, "cost_gbp"),
        "intervention_spend_gbp_discounted": total(costs, is_intervention, "cost_gbp_discounted"),
        "downstream_cost_gbp": total(costs, ~is_intervention, "cost_gbp"),
        "downstream_cost_gbp_discounted": total(costs, ~is_intervention, "cost_gbp_discounted"),
        "total_cost_gbp": total(costs, everything, "cost_gbp"),
        "total_cost_gbp_discounted": total(costs, everything, "cost_gbp_discounted"),
    }
    rows = []
    for name, series in values.items():
        frame = series.rename("value").reset_index()
        if GROUP not in frame.columns:
            frame = frame.drop(columns="index")
        frame.insert(0, "metric", name)
        frame["unit"] = METRICS[name].unit
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    return out[[*([GROUP] if GROUP in out.columns else []), "metric", "value", "unit"]]


def annual_costs(result: Result) -> pd.DataFrame:
    """Cost per simulated year by payer, split into downstream care and intervention spend."""
    costs = result.costs.assign(
        kind=np.where(result.costs["service"].str.startswith(INTERVENTION_PREFIX), "intervention", "downstream")
    )
    keys = [*_groups(costs), "year", "payer", "kind"]
    return costs.groupby(keys, as_index=False)[["cost_gbp", "cost_gbp_discounted"]].sum()


def costs_by(result: Result, column: str) -> pd.DataFrame:
    """Total cost over the horizon by `service` or `payer` (and replication), undiscounted and discounted."""
    keys = [*_groups(result.costs), column]
    return result.costs.groupby(keys, as_index=False)[["cost_gbp", "cost_gbp_discounted"]].sum()
