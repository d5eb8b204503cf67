"""Scenario against baseline: avoided cost, net savings by payer, return on investment, payback.

Definitions (docs/design.md): net savings = avoided downstream cost - extra intervention spend;
ROI = (avoided downstream cost - extra intervention spend) / extra intervention spend; payback year
= the first simulated year from which cumulative discounted net savings stay at or above zero to the
horizon (NaN if they end below zero); `payback_reversed` = 1 when they were at or above zero in some
year and below zero in a later one (they paid back, then fell back), else 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.analysis.metrics import GROUP, annual_costs, compute
from leftshift.result import Result
from leftshift.scenario.model import PAYERS

AVOIDED = {  # metric -> (comparison name, sign: +1 when a fall is good)
    "emergency_admissions": ("emergency_admissions_avoided", 1),
    "acute_bed_days": ("acute_bed_days_avoided", 1),
    "care_home_admissions": ("care_home_admissions_avoided", 1),
    "delayed_discharge_bed_days": ("delayed_discharge_bed_days_avoided", 1),
    "person_years_at_home": ("person_years_at_home_gained", -1),
}


@dataclass(frozen=True)
class Comparison:
    """One scenario against the baseline. `metrics`: metric, value, baseline_value, difference, unit
    (difference = scenario - baseline); `headline`: the figures a director asks for (per replication
    when the engine ran several)."""

    scenario: str
    baseline: str
    metrics: pd.DataFrame
    headline: pd.DataFrame
    cumulative_net_savings: pd.DataFrame  # year, payer (incl. 'all'), net_savings_gbp_discounted (cumulative)


def _by_group(frame: pd.DataFrame) -> list[str]:
    return [GROUP] if GROUP in frame.columns else []


def compare(baseline: Result, scenario: Result) -> Comparison:
    base_m, scen_m = compute(baseline), compute(scenario)
    keys = [*_by_group(scen_m), "metric", "unit"]
    merged = scen_m.merge(base_m, on=keys, suffixes=("", "_baseline"))
    merged = merged.rename(columns={"value_baseline": "baseline_value"})
    merged["difference"] = merged["value"] - merged["baseline_value"]
    metrics = merged[[*_by_group(merged), "metric", "value", "baseline_value", "difference", "unit"]]

    yearly = _net_by_year(baseline, scenario)
    headline_rows = []
    # one row per replication even when a replication has no costs at all (no costs in the scenario)
    keys = sorted(scen_m[GROUP].unique()) if _by_group(scen_m) else [None]
    for group_key in keys:
        frame = yearly[yearly[GROUP] == group_key] if group_key is not None and _by_group(yearly) else yearly
        diff = metrics if group_key is None else metrics[metrics[GROUP] == group_key]
        by_metric = diff.set_index("metric")["difference"]
        row: dict[str, object] = {} if group_key is None else {GROUP: group_key}
        for metric, (name, sign) in AVOIDED.items():
            row[name] = -sign * float(by_metric[metric])
        for suffix in ("", "_discounted"):
            spend = float(frame[f"extra_spend_gbp{suffix}"].sum())
            avoided = float(frame[f"avoided_gbp{suffix}"].sum())
            row[f"intervention_spend_gbp{suffix}"] = spend
            row[f"avoided_downstream_cost_gbp{suffix}"] = avoided
            row[f"net_savings_gbp{suffix}"] = avoided - spend
        for payer in PAYERS:
            mine = frame[frame["payer"] == payer]
            row[f"net_savings_gbp_discounted_{payer}"] = float(
                mine["avoided_gbp_discounted"].sum() - mine["extra_spend_gbp_discounted"].sum()
            )
        spend = row["intervention_spend_gbp_discounted"]
        row["roi"] = (row["avoided_downstream_cost_gbp_discounted"] - spend) / spend if spend > 0 else np.nan
        year, reversed_ = _payback(frame)
        row["payback_year"] = year if spend > 0 else np.nan
        row["payback_reversed"] = reversed_ if spend > 0 else np.nan
        headline_rows.append(row)
    cumulative = _cumulative(yearly)
    return Comparison(
        scenario=scenario.scenario.name,
        baseline=baseline.scenario.name,
        metrics=metrics.reset_index(drop=True),
        headline=pd.DataFrame(headline_rows),
        cumulative_net_savings=cumulative,
    )


def _net_by_year(baseline: Result, scenario: Result) -> pd.DataFrame:
    """Per year and payer: avoided downstream cost and extra intervention spend (scenario - baseline)."""
    base, scen = _plain_keys(annual_costs(baseline)), _plain_keys(annual_costs(scenario))
    keys = [*_by_group(scen), "year", "payer", "kind"]
    both = scen.merge(base, on=keys, how="outer", suffixes=("", "_baseline")).fillna(0.0)
    out = []
    for suffix in ("", "_discounted"):
        delta = both[f"cost_gbp{suffix}"] - both[f"cost_gbp{suffix}_baseline"]
        both[f"avoided_gbp{suffix}"] = np.where(both["kind"] == "downstream", -delta, 0.0)
        both[f"extra_spend_gbp{suffix}"] = np.where(both["kind"] == "intervention", delta, 0.0)
        out += [f"avoided_gbp{suffix}", f"extra_spend_gbp{suffix}"]
    return both.groupby([*_by_group(both), "year", "payer"], as_index=False)[out].sum()


def _plain_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Text keys as plain objects: pandas cannot merge two empty arrow-backed string columns (a scenario
    with no costs at all has an empty cost table)."""
    return frame.astype({"payer": object, "kind": object})


def payback(years: np.ndarray, cumulative: np.ndarray) -> tuple[float, float]:
    """(payback year, reversed) from cumulative discounted net savings by year.

    The payback year is the first year from which the cumulative stays at or above zero to the horizon
    (NaN if it ends below zero): a year in which it touches zero and then falls back is not a payback.
    `reversed` is 1.0 when it was at or above zero in some year and below zero in a later one."""
    paid = np.asarray(cumulative) >= 0
    if not len(paid):
        return np.nan, 0.0
    short = np.flatnonzero(~paid)
    first_paid = int(np.argmax(paid)) if paid.any() else None
    reversed_ = float(first_paid is not None and len(short) > 0 and short[-1] > first_paid)
    if not paid[-1]:
        return np.nan, reversed_
    start = 0 if not len(short) else int(short[-1]) + 1
    return float(years[start]), reversed_


def _payback(frame: pd.DataFrame) -> tuple[float, float]:
    per_year = frame.groupby("year")[["avoided_gbp_discounted", "extra_spend_gbp_discounted"]].sum()
    cumulative = (per_year["avoided_gbp_discounted"] - per_year["extra_spend_gbp_discounted"]).cumsum()
    return payback(cumulative.index.to_numpy(), cumulative.to_numpy())


def _cumulative(yearly: pd.DataFrame) -> pd.DataFrame:
    groups = _by_group(yearly)
    net = yearly.assign(net=yearly["avoided_gbp_discounted"] - yearly["extra_spend_gbp_discounted"])
    every = net.groupby([*groups, "year"], as_index=False)["net"].sum().assign(payer="all")
    frame = pd.concat([net[[*groups, "year", "payer", "net"]], every], ignore_index=True)
    frame = frame.sort_values([*groups, "payer", "year"])
    frame["net_savings_gbp_discounted"] = frame.groupby([*groups, "payer"])["net"].cumsum()
    return frame.drop(columns="net").reset_index(drop=True)
