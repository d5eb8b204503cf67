"""Scenario against baseline: avoided cost, net savings by payer, return on investment, payback.

Definitions (docs/design.md): net savings = avoided downstream cost - extra intervention spend;
ROI = (avoided downstream cost - extra intervention spend) / extra intervention spend; payback year
= the first simulated year in which cumulative discounted net savings reach zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.metrics import GROUP, annual_costs, compute
from leftshift.result import Result
from leftshift.scenario import PAYERS

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
    groups = _by_group(yearly)
    headline_rows = []
    for group_key, frame in yearly.groupby(GROUP) if groups else [(None, yearly)]:
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
        row["payback_year"] = _payback_year(frame) if spend > 0 else np.nan
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
    base, scen = annual_costs(baseline), annual_costs(scenario)
    keys = [*_by_group(scen), "year", "payer", "kind"]
    both = scen.merge(base, on=keys, how="outer", suffixes=("", "_baseline")).fillna(0.0)
    out = []
    for suffix in ("", "_discounted"):
        delta = both[f"cost_gbp{suffix}"] - both[f"cost_gbp{suffix}_baseline"]
        both[f"avoided_gbp{suffix}"] = np.where(both["kind"] == "downstream", -delta, 0.0)
        both[f"extra_spend_gbp{suffix}"] = np.where(both["kind"] == "intervention", delta, 0.0)
        out += [f"avoided_gbp{suffix}", f"extra_spend_gbp{suffix}"]
    return both.groupby([*_by_group(both), "year", "payer"], as_index=False)[out].sum()


def _payback_year(frame: pd.DataFrame) -> float:
    per_year = frame.groupby("year")[["avoided_gbp_discounted", "extra_spend_gbp_discounted"]].sum()
    cumulative = (per_year["avoided_gbp_discounted"] - per_year["extra_spend_gbp_discounted"]).cumsum()
    reached = cumulative.index[cumulative.to_numpy() >= 0]
    return float(reached[0]) if len(reached) else np.nan


def _cumulative(yearly: pd.DataFrame) -> pd.DataFrame:
    groups = _by_group(yearly)
    net = yearly.assign(net=yearly["avoided_gbp_discounted"] - yearly["extra_spend_gbp_discounted"])
    every = net.groupby([*groups, "year"], as_index=False)["net"].sum().assign(payer="all")
    frame = pd.concat([net[[*groups, "year", "payer", "net"]], every], ignore_index=True)
    frame = frame.sort_values([*groups, "payer", "year"])
    frame["net_savings_gbp_discounted"] = frame.groupby([*groups, "payer"])["net"].cumsum()
    return frame.drop(columns="net").reset_index(drop=True)
