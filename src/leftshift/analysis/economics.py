"""Scenario against baseline: avoided cost, net savings by payer, return on investment, payback.

Definitions (docs/design.md): net savings = avoided downstream cost - extra intervention spend;
ROI = (avoided downstream cost - extra intervention spend) / extra intervention spend; payback year
= the first simulated year from which cumulative discounted net savings stay at or above zero to the
horizon (NaN if they end below zero); `payback_reversed` = 1 when they were at or above zero in some
year and below zero in a later one (they paid back, then fell back), else 0. A scenario's `risk_share:`
agreements move avoided cost between payers year by year (`analysis.risk_share`): the totals stay, the split
by payer changes, and the headline keeps the split without them too.

Those rules are written once, in `headline_figures` and `payback_years`, for arrays with one value per
replication (here) or per member of a batch (`leftshift.analysis.batch`); each caller only adds up its own
tables or arrays into the totals the rules need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.analysis.metrics import REPLICATION, annual_costs, compute
from leftshift.analysis.risk_share import share_totals, share_yearly
from leftshift.engines.pricing import fixed_place_costs, fixed_share_of
from leftshift.result import Result
from leftshift.scenario.model import PAYERS

AVOIDED = {  # metric -> (comparison name, sign: +1 when a fall is good)
    "emergency_admissions": ("emergency_admissions_avoided", 1),
    "acute_bed_days": ("acute_bed_days_avoided", 1),
    "care_home_admissions": ("care_home_admissions_avoided", 1),
    "delayed_discharge_bed_days": ("delayed_discharge_bed_days_avoided", 1),
    "person_years_at_home": ("person_years_at_home_gained", -1),
}
SUFFIXES = ("", "_discounted")
RELEASED = ("cash_releasing_savings", "capacity_freed")
"""Avoided downstream cost split (discounted, by payer): cash-releasing = variable cost avoided + fixed cost
of places closed; capacity freed = fixed cost of avoided person-weeks not matched by closed places."""
COMPARISON_COLUMNS = (
    *(name for name, _ in AVOIDED.values()),
    *(f"{what}{suffix}" for suffix in SUFFIXES
      for what in ("intervention_spend_gbp", "avoided_downstream_cost_gbp", "net_savings_gbp")),
    *(f"net_savings_gbp_discounted_{p}" for p in PAYERS), "roi", "payback_year", "payback_reversed",
    *(f"{what}_gbp_discounted{payer}" for what in RELEASED for payer in ("", *(f"_{p}" for p in PAYERS))),
)  # fmt: skip
"""The names (and order) of the figures of `Comparison.headline` (after `replication`)."""
BEFORE_SHARING = "_before_risk_share"
"""A scenario with `risk_share:` agreements adds each payer's net savings without them to its headline, as
`net_savings_gbp_discounted_<payer>_before_risk_share` (the payer columns above are after them)."""


@dataclass(frozen=True)
class Comparison:
    """One scenario against the baseline, per replication (a stock-flow comparison is replication 0).
    `metrics`: replication, metric, value, baseline_value, difference, unit (difference = scenario -
    baseline); `headline`: replication and the figures a director asks for (`COMPARISON_COLUMNS`)."""

    scenario: str
    baseline: str
    metrics: pd.DataFrame
    headline: pd.DataFrame
    cumulative_net_savings: pd.DataFrame  # replication, year, payer (incl. 'all'), net_savings_gbp_discounted
    replicated: bool = False
    """Whether the rows are replications of a stochastic engine (see `Result.replicated`)."""


def over_replications(comparison: Comparison) -> tuple[pd.DataFrame, pd.Series]:
    """The comparison as comparison.csv and the terminal report it: each metric's mean over replications
    (metric, value, baseline_value, difference, unit; a discrete-event comparison's files have always put
    `unit` second), and each headline figure's mean, the payback year's median."""
    values = ["value", "baseline_value", "difference"]
    metrics = comparison.metrics.groupby(["metric", "unit"], as_index=False, sort=False)[values].mean()
    if not comparison.replicated:
        metrics = metrics[["metric", *values, "unit"]]
    figures = [c for c in comparison.headline.columns if c != REPLICATION]
    rule = {c: "median" if c == "payback_year" else "mean" for c in figures}
    return metrics, comparison.headline[figures].agg(rule).astype(float)


def headline_intervals(comparison: Comparison) -> pd.DataFrame:
    """A t-based 95% confidence interval for the mean over replications of each headline figure (index; columns
    ci95_low, ci95_high), from the replications where it is defined; none (NaN) for the payback year, which is
    reported as a median, or for a figure defined in fewer than two replications."""
    from leftshift.analysis.summary import spread

    rows = {}
    for column in (c for c in comparison.headline.columns if c != REPLICATION):
        values = comparison.headline[column].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if column == "payback_year" or len(values) < 2:
            rows[column] = (np.nan, np.nan)
            continue
        figure = spread(values)
        rows[column] = (figure["ci95_low"], figure["ci95_high"])
    return pd.DataFrame.from_dict(rows, orient="index", columns=["ci95_low", "ci95_high"])


def comparison_rows(comparison: Comparison) -> pd.DataFrame:
    """comparison.csv's rows: activity metrics with baseline values, then the economic headline figures
    (over replications: the mean, and the median payback year, as summary.json and the terminal give them). A
    replicated comparison adds `ci95_low` and `ci95_high`: the 95% confidence interval of the mean difference
    over replications (for an economic figure, of the figure; `headline_intervals`)."""
    from leftshift.analysis.measures import comparison_measure
    from leftshift.analysis.summary import spread

    metrics, headline = over_replications(comparison)
    econ = headline.rename("value").rename_axis("metric").reset_index()
    econ["baseline_value"] = float("nan")
    econ["difference"] = econ["value"]
    econ["unit"] = [comparison_measure(m).unit for m in econ["metric"]]
    if comparison.replicated:
        by_metric = comparison.metrics.groupby(["metric", "unit"], sort=False)["difference"]
        activity = [spread(group) for _, group in by_metric]
        metrics["ci95_low"] = [a["ci95_low"] for a in activity]
        metrics["ci95_high"] = [a["ci95_high"] for a in activity]
        econ = econ.join(headline_intervals(comparison), on="metric")
    rows = pd.concat([metrics, econ], ignore_index=True)
    rows.insert(0, "scenario", comparison.scenario)
    rows.insert(1, "baseline", comparison.baseline)
    return rows


def headline_figures(
    differences: Mapping[str, np.ndarray],
    spend: Mapping[str, np.ndarray],
    avoided: Mapping[str, np.ndarray],
    net_by_payer: Mapping[str, np.ndarray],
    years: np.ndarray,
    cumulative: np.ndarray,
    freed_by_payer: Mapping[str, np.ndarray],
    avoided_by_payer: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every figure of a comparison's headline, one value per replication or batch member (the last axis).

    `differences`: scenario - baseline for each metric of `AVOIDED`; `spend` and `avoided`, by suffix ('' and
    '_discounted'): extra intervention spend and avoided downstream cost over the horizon; `net_by_payer`:
    discounted net savings landing with each payer; `cumulative`: (year, member) cumulative discounted net
    savings at the end of each of `years`; `freed_by_payer` and `avoided_by_payer`: discounted capacity freed
    and avoided downstream cost by payer (cash-releasing savings are the difference)."""
    out: dict[str, np.ndarray] = {}
    for payer in PAYERS:
        freed = np.asarray(freed_by_payer[payer], dtype=float)
        out[f"capacity_freed_gbp_discounted_{payer}"] = freed
        out[f"cash_releasing_savings_gbp_discounted_{payer}"] = np.asarray(avoided_by_payer[payer]) - freed
    for what in RELEASED:
        out[f"{what}_gbp_discounted"] = sum(out[f"{what}_gbp_discounted_{p}"] for p in PAYERS)
    for metric, (name, sign) in AVOIDED.items():
        out[name] = -sign * np.asarray(differences[metric])
    for suffix in SUFFIXES:
        out[f"intervention_spend_gbp{suffix}"] = spend[suffix]
        out[f"avoided_downstream_cost_gbp{suffix}"] = avoided[suffix]
        out[f"net_savings_gbp{suffix}"] = avoided[suffix] - spend[suffix]
    for payer in PAYERS:
        out[f"net_savings_gbp_discounted_{payer}"] = net_by_payer[payer]
    paying = np.asarray(spend["_discounted"]) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        net, cost = out["net_savings_gbp_discounted"], np.where(paying, spend["_discounted"], 1)
        out["roi"] = np.where(paying, net / cost, np.nan)
    year, reversed_ = payback_years(years, cumulative)
    out["payback_year"] = np.where(paying, year, np.nan)  # no extra spend: nothing to pay back
    out["payback_reversed"] = np.where(paying, reversed_, np.nan)
    return {name: np.asarray(out[name], dtype=float) for name in COMPARISON_COLUMNS}


def payback_years(years: np.ndarray, cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(payback year, reversed) for every column of (year, member) cumulative discounted net savings.

    The payback year is the first year from which the cumulative stays at or above zero to the horizon
    (NaN if it ends below zero): a year in which it touches zero and then falls back is not a payback.
    `reversed` is 1.0 when it was at or above zero in some year and below zero in a later one."""
    paid = np.asarray(cumulative) >= 0
    n_years = paid.shape[0]
    if not n_years:
        return np.full(paid.shape[1:], np.nan), np.zeros(paid.shape[1:])
    short = ~paid
    first_paid = paid.argmax(axis=0)
    last_short = n_years - 1 - short[::-1].argmax(axis=0)  # meaningful where short.any(axis=0)
    start = np.where(short.any(axis=0), last_short + 1, 0)
    payback = np.where(paid[-1], np.asarray(years)[np.minimum(start, n_years - 1)].astype(float), np.nan)
    reversed_ = paid.any(axis=0) & short.any(axis=0) & (last_short > first_paid)
    return payback, reversed_.astype(float)


def payback(years: np.ndarray, cumulative: np.ndarray) -> tuple[float, float]:
    """`payback_years` for one series of cumulative discounted net savings by year."""
    year, reversed_ = payback_years(np.asarray(years), np.asarray(cumulative, dtype=float)[:, None])
    return float(year[0]), float(reversed_[0])


def compare(baseline: Result, scenario: Result) -> Comparison:
    """The scenario against the baseline, replication by replication (the same replication numbers in both
    give paired differences: the discrete-event engine's common random numbers make them less noisy)."""
    base_m, scen_m = compute(baseline), compute(scenario)
    keys = [REPLICATION, "metric", "unit"]
    merged = scen_m.merge(base_m, on=keys, suffixes=("", "_baseline"))
    merged = merged.rename(columns={"value_baseline": "baseline_value"})
    merged["difference"] = merged["value"] - merged["baseline_value"]
    metrics = merged[[REPLICATION, "metric", "value", "baseline_value", "difference", "unit"]]
    unshared = _net_by_year(baseline, scenario)
    yearly = share_yearly(unshared, scenario.scenario)  # risk-share agreements (analysis.risk_share)
    # one row per replication even when a replication has no costs at all (no costs in the scenario)
    reps = sorted(scen_m[REPLICATION].unique())
    totals = [_totals(yearly[yearly[REPLICATION] == r], metrics[metrics[REPLICATION] == r]) for r in reps]
    years, cumulative = _cumulative_by_replication(yearly, reps)
    figures = headline_figures(
        {m: np.array([t["differences"][m] for t in totals]) for m in AVOIDED},
        {s: np.array([t["spend"][s] for t in totals]) for s in SUFFIXES},
        {s: np.array([t["avoided"][s] for t in totals]) for s in SUFFIXES},
        {p: np.array([t["payers"][p] for t in totals]) for p in PAYERS},
        years,
        cumulative,
        freed_by_payer=share_totals(_capacity_freed(baseline, scenario, reps), scenario.scenario),
        avoided_by_payer={p: np.array([t["avoided_by_payer"][p] for t in totals]) for p in PAYERS},
    )
    if scenario.scenario.risk_share:  # the split the agreements changed, as it was without them
        for payer in PAYERS:
            figures[f"net_savings_gbp_discounted_{payer}{BEFORE_SHARING}"] = np.array(
                [_totals(unshared[unshared[REPLICATION] == r], metrics[metrics[REPLICATION] == r])["payers"][payer]
                 for r in reps])  # fmt: skip
    comparison = Comparison(
        scenario=scenario.scenario.name,
        baseline=baseline.scenario.name,
        metrics=metrics.reset_index(drop=True),
        headline=pd.DataFrame({REPLICATION: np.asarray(reps, dtype=np.int64), **figures}),
        cumulative_net_savings=_cumulative(yearly),
        replicated=scenario.replicated,
    )
    return comparison


def _totals(frame: pd.DataFrame, diff: pd.DataFrame) -> dict[str, dict[str, float]]:
    """One replication's totals over the horizon, added up from its yearly rows as they always were."""
    by_metric = diff.set_index("metric")["difference"]
    payers = {}
    for payer in PAYERS:
        mine = frame[frame["payer"] == payer]
        payers[payer] = float(mine["avoided_gbp_discounted"].sum() - mine["extra_spend_gbp_discounted"].sum())
    return {
        "differences": {m: float(by_metric[m]) for m in AVOIDED},
        "spend": {s: float(frame[f"extra_spend_gbp{s}"].sum()) for s in SUFFIXES},
        "avoided": {s: float(frame[f"avoided_gbp{s}"].sum()) for s in SUFFIXES},
        "payers": payers,
        "avoided_by_payer": {p: float(frame.loc[frame["payer"] == p, "avoided_gbp_discounted"].sum()) for p in PAYERS},
    }


def unused_fixed_cost(result: Result) -> pd.DataFrame:
    """Per replication and payer, discounted: the fixed cost of the places open (`pricing.fixed_place_costs`)
    minus the fixed part of the weekly costs of the person-weeks used (`costs.fixed_share`), i.e. the fixed
    cost of empty places. Its rise from baseline to scenario is the capacity freed: fixed cost of person-weeks
    avoided that no closed place matches (for a state without places, all of the fixed part avoided)."""
    costs = result.costs
    services = costs["service"].astype(object)
    share = services.map({v: fixed_share_of(result.scenario, v) for v in services.unique()}).astype(float)
    paid = costs.assign(gap=costs["cost_gbp_discounted"].to_numpy() * share.to_numpy())
    gap = paid.groupby([REPLICATION, "payer"], observed=True)["gap"].sum()
    _, _, places = fixed_place_costs([result.scenario])
    total = places[:, :, 0].sum(axis=0)
    reps = sorted(costs[REPLICATION].unique()) or [0]
    rows = [(r, p, total[i] - float(gap.get((r, p), 0.0))) for r in reps for i, p in enumerate(PAYERS)]
    return pd.DataFrame(rows, columns=[REPLICATION, "payer", "unused_fixed_gbp_discounted"])


def _capacity_freed(baseline: Result, scenario: Result, reps: list[int]) -> dict[str, np.ndarray]:
    """Capacity freed by payer, one value per replication: the rise in the fixed cost of empty places (a
    single-replication baseline is paired with every replication)."""
    base = unused_fixed_cost(baseline).set_index([REPLICATION, "payer"])["unused_fixed_gbp_discounted"]
    scen = unused_fixed_cost(scenario).set_index([REPLICATION, "payer"])["unused_fixed_gbp_discounted"]
    base_reps = sorted({r for r, _ in base.index})
    out = {}
    for payer in PAYERS:
        b = np.array([base.get((r if r in base_reps else base_reps[0], payer), 0.0) for r in reps])
        s = np.array([scen.get((r, payer), 0.0) for r in reps])
        out[payer] = s - b
    return out


def _cumulative_by_replication(yearly: pd.DataFrame, reps: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(years, (year, replication) cumulative discounted net savings of the whole system)."""
    years = np.array(sorted(yearly["year"].unique()))
    cumulative = np.zeros((len(years), len(reps)))
    for j, rep in enumerate(reps):
        mine = yearly[yearly[REPLICATION] == rep]
        per_year = mine.groupby("year")[["avoided_gbp_discounted", "extra_spend_gbp_discounted"]].sum()
        net = (per_year["avoided_gbp_discounted"] - per_year["extra_spend_gbp_discounted"]).cumsum()
        cumulative[:, j] = net.reindex(years).ffill().fillna(0.0).to_numpy()
    return years, cumulative


def _net_by_year(baseline: Result, scenario: Result) -> pd.DataFrame:
    """Per replication, year and payer: avoided downstream cost and extra intervention spend (scenario - baseline)."""
    base, scen = _plain_keys(annual_costs(baseline)), _plain_keys(annual_costs(scenario))
    keys = [REPLICATION, "year", "payer", "kind"]
    both = scen.merge(base, on=keys, how="outer", suffixes=("", "_baseline")).fillna(0.0)
    out = []
    for suffix in SUFFIXES:
        delta = both[f"cost_gbp{suffix}"] - both[f"cost_gbp{suffix}_baseline"]
        both[f"avoided_gbp{suffix}"] = np.where(both["kind"] == "downstream", -delta, 0.0)
        both[f"extra_spend_gbp{suffix}"] = np.where(both["kind"] == "intervention", delta, 0.0)
        out += [f"avoided_gbp{suffix}", f"extra_spend_gbp{suffix}"]
    return both.groupby([REPLICATION, "year", "payer"], as_index=False)[out].sum()


def _plain_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Text keys as plain objects: pandas cannot merge two empty arrow-backed string columns (a scenario
    with no costs at all has an empty cost table)."""
    return frame.astype({"payer": object, "kind": object})


def _cumulative(yearly: pd.DataFrame) -> pd.DataFrame:
    net = yearly.assign(net=yearly["avoided_gbp_discounted"] - yearly["extra_spend_gbp_discounted"])
    every = net.groupby([REPLICATION, "year"], as_index=False)["net"].sum().assign(payer="all")
    frame = pd.concat([net[[REPLICATION, "year", "payer", "net"]], every], ignore_index=True)
    frame = frame.sort_values([REPLICATION, "payer", "year"])
    frame["net_savings_gbp_discounted"] = frame.groupby([REPLICATION, "payer"])["net"].cumsum()
    return frame.drop(columns="net").reset_index(drop=True)
