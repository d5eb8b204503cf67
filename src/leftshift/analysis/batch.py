"""Headline metrics for every member of a stock-flow batch at once, straight from a Trajectory.

A 10,000-point sweep cannot afford a tidy pandas table per point, so this module computes the
same numbers as `leftshift.analysis.metrics.compute` and `leftshift.analysis.economics.compare`, with the same
definitions, as numpy reductions over the batch axis. tests/unit/test_batch_metrics.py checks that
the two agree; change both together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leftshift.analysis.economics import AVOIDED
from leftshift.analysis.metrics import INTERVENTION_PREFIX, METRICS
from leftshift.engines.model import QUEUE_HAZARD, TRANSITION
from leftshift.engines.stockflow.engine import Trajectory
from leftshift.scenario.model import DAYS_PER_YEAR, DEAD, PAYERS

DOWNSTREAM, INTERVENTION = 0, 1
COMPARISON_COLUMNS = (
    *(name for name, _ in AVOIDED.values()),
    "intervention_spend_gbp", "avoided_downstream_cost_gbp", "net_savings_gbp",
    "intervention_spend_gbp_discounted", "avoided_downstream_cost_gbp_discounted", "net_savings_gbp_discounted",
    *(f"net_savings_gbp_discounted_{p}" for p in PAYERS), "roi", "payback_year", "payback_reversed",
)  # fmt: skip
"""The names (and order) of `economics.compare(...).headline`."""


class _Index:
    """Which stocks, edges and services each metric adds up, for one layout."""

    def __init__(self, traj: Trajectory) -> None:
        layout, s = traj.layout, traj.scenarios[0]
        comp = np.array(layout.compartments, dtype=object)
        c_stock, _, k_stock = layout.unravel(np.arange(layout.n_stocks))
        waiting = np.array([c.startswith("waiting:") for c in comp])
        origin = np.array([c.removeprefix("waiting:").split("->")[0] if c.startswith("waiting:") else "" for c in comp])
        home = set(s.at_home)
        emergency = s.emergency_state
        self.state_of_stock = comp[c_stock]
        self.bed = (comp == emergency)[c_stock] | (waiting & (origin == emergency))[c_stock]
        self.delayed = (waiting & (origin == emergency))[c_stock]
        self.waiting_home = (waiting & np.isin(origin, list(home)))[c_stock]
        self.at_home = (np.isin(comp, list(home)) | (waiting & np.isin(origin, list(home))))[c_stock]
        self.alive = comp[c_stock] != DEAD
        programmes = {iv.name for iv in s.interventions}
        self.in_programme = np.isin(np.array(layout.layers, dtype=object)[k_stock], list(programmes)) & self.alive
        moves = (layout.kind == TRANSITION) | (layout.kind == QUEUE_HAZARD)
        self.edge_target = comp[layout.unravel(layout.dst)[0]]
        self.moves = moves
        targets = [r.queue_targets for r in layout.resources]
        self.queue_target = (comp[layout.unravel(np.concatenate(targets))[0]] if sum(map(len, targets))
                             else np.zeros(0, dtype=object))  # fmt: skip
        turned, start = [], 0
        for i, r in enumerate(layout.resources):
            if i >= layout.n_capacity:
                turned.extend(start + np.flatnonzero(r.join_queue < 0))
            start += len(r.admissions)
        self.programme_turned = np.array(turned, dtype=np.int64)
        self.intervention_service = np.array([svc.startswith(INTERVENTION_PREFIX) for svc in traj.services])
        self.emergency = emergency

    def admissions_edges(self, state: str) -> tuple[np.ndarray, np.ndarray]:
        return self.moves & (self.edge_target == state), self.queue_target == state


@dataclass(frozen=True)
class BatchSummary:
    """Per-member totals and yearly figures of one batch (arrays have the batch on the last axis)."""

    metrics: dict[str, np.ndarray]  # metric name -> (N,), as metrics.compute
    years: np.ndarray  # (P,) calendar year of each simulated year
    annual: np.ndarray  # (P, payer, kind, N) GBP; kind 0 = downstream care, 1 = intervention spend
    annual_discounted: np.ndarray  # (P, payer, kind, N)
    series: dict[str, np.ndarray]  # name -> (P, N) yearly figures for fan charts

    @property
    def n_members(self) -> int:
        return self.annual.shape[-1]

    def member(self, i: int) -> BatchSummary:
        """One member, keeping the batch axis (length 1): a fixed baseline to compare a batch with."""
        pick = slice(i, i + 1)
        return BatchSummary(
            {k: v[pick] for k, v in self.metrics.items()}, self.years, self.annual[..., pick],
            self.annual_discounted[..., pick], {k: v[..., pick] for k, v in self.series.items()},
        )  # fmt: skip


def _years(traj: Trajectory) -> np.ndarray:
    grid, start = traj.grid, traj.scenarios[0].start_year
    first_step = np.array([np.flatnonzero(grid.period_of_step == p)[0] for p in range(len(grid.period_end))])
    return start + np.floor((first_step + 0.5) * grid.step_years).astype(int)


def summarise(traj: Trajectory) -> BatchSummary:
    """Every metric of `metrics.compute`, and the yearly costs `economics.compare` needs, for all members."""
    ix = _Index(traj)
    flows, py = traj.flows, traj.person_years

    def admissions(state: str) -> np.ndarray:
        edges, queues = ix.admissions_edges(state)
        yearly = flows[:, edges].sum(axis=1)
        if queues.any():
            yearly = yearly + traj.queue_admits[:, queues].sum(axis=1)
        return yearly

    referrals = traj.referrals.sum(axis=1)
    turned = traj.blocked[:, ix.programme_turned].sum(axis=1)
    costs, costs_d = traj.costs, traj.costs_discounted
    iv = ix.intervention_service
    annual = np.stack([costs[:, ~iv].sum(axis=1), costs[:, iv].sum(axis=1)], axis=2)  # (P, payer, kind, N)
    annual_d = np.stack([costs_d[:, ~iv].sum(axis=1), costs_d[:, iv].sum(axis=1)], axis=2)
    yearly = {
        "emergency_admissions": admissions(ix.emergency),
        "care_home_admissions": admissions("residential"),
        "home_care_admissions": admissions("home_care"),
        "acute_bed_days": py[:, ix.bed].sum(axis=1) * DAYS_PER_YEAR,
        "delayed_discharge_bed_days": py[:, ix.delayed].sum(axis=1) * DAYS_PER_YEAR,
        "waiting_at_home_person_years": py[:, ix.waiting_home].sum(axis=1),
        "person_years_at_home": py[:, ix.at_home].sum(axis=1),
        "deaths": flows[:, ix.moves & (ix.edge_target == DEAD)].sum(axis=1),
        "participant_years": py[:, ix.in_programme].sum(axis=1),
        "programme_starts": referrals - turned,
        "referrals_turned_away": turned,
        "intervention_spend_gbp": annual[:, :, INTERVENTION].sum(axis=1),
        "intervention_spend_gbp_discounted": annual_d[:, :, INTERVENTION].sum(axis=1),
        "downstream_cost_gbp": annual[:, :, DOWNSTREAM].sum(axis=1),
        "downstream_cost_gbp_discounted": annual_d[:, :, DOWNSTREAM].sum(axis=1),
    }
    yearly["total_cost_gbp"] = yearly["intervention_spend_gbp"] + yearly["downstream_cost_gbp"]
    yearly["total_cost_gbp_discounted"] = (
        yearly["intervention_spend_gbp_discounted"] + yearly["downstream_cost_gbp_discounted"]
    )
    metrics = {name: yearly[name].sum(axis=0) for name in yearly}
    metrics["population_end"] = traj.stocks[-1][ix.alive].sum(axis=0)
    metrics = {name: metrics[name] for name in METRICS}  # the order of metrics.compute
    series = dict(yearly)
    states = [c for c in traj.layout.compartments if c != DEAD]
    for state in states:
        series[f"people:{state}"] = traj.stocks[1:, ix.state_of_stock == state].sum(axis=1)
    return BatchSummary(metrics, _years(traj), annual, annual_d, series)


def compare(baseline: BatchSummary, scenario: BatchSummary) -> dict[str, np.ndarray]:
    """`economics.compare(...).headline` for every member: the baseline has one member or as many as the scenario."""
    if len(baseline.years) != len(scenario.years) or (baseline.years != scenario.years).any():
        raise ValueError("the baseline and the scenario must cover the same years (start_year and horizon_years)")
    out: dict[str, np.ndarray] = {}
    for metric, (name, sign) in AVOIDED.items():
        out[name] = -sign * (scenario.metrics[metric] - baseline.metrics[metric])
    delta = scenario.annual - baseline.annual  # (P, payer, kind, N)
    delta_d = scenario.annual_discounted - baseline.annual_discounted
    for suffix, d in (("", delta), ("_discounted", delta_d)):
        spend = d[:, :, INTERVENTION].sum(axis=(0, 1))
        avoided = -d[:, :, DOWNSTREAM].sum(axis=(0, 1))
        out[f"intervention_spend_gbp{suffix}"] = spend
        out[f"avoided_downstream_cost_gbp{suffix}"] = avoided
        out[f"net_savings_gbp{suffix}"] = avoided - spend
    for p, payer in enumerate(PAYERS):
        out[f"net_savings_gbp_discounted_{payer}"] = -delta_d[:, p, DOWNSTREAM].sum(axis=0) - delta_d[
            :, p, INTERVENTION
        ].sum(axis=0)
    spend = out["intervention_spend_gbp_discounted"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["roi"] = np.where(spend > 0, out["net_savings_gbp_discounted"] / np.where(spend > 0, spend, 1), np.nan)
    cumulative = np.cumsum(-delta_d[:, :, DOWNSTREAM].sum(axis=1) - delta_d[:, :, INTERVENTION].sum(axis=1), axis=0)
    payback, reversed_ = _payback(scenario.years, cumulative)
    out["payback_year"] = np.where(spend > 0, payback, np.nan)
    out["payback_reversed"] = np.where(spend > 0, reversed_, np.nan)
    return {name: np.asarray(out[name], dtype=float) for name in COMPARISON_COLUMNS}


def _payback(years: np.ndarray, cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`economics.payback` for every member of (P, N) cumulative savings: the first year from which they
    stay at or above zero (NaN if they end below), and 1.0 where they were at or above zero and later fell
    below it."""
    paid = cumulative >= 0
    n_years = paid.shape[0]
    short = ~paid
    first_paid = paid.argmax(axis=0)
    last_short = n_years - 1 - short[::-1].argmax(axis=0)  # meaningful where short.any(axis=0)
    start = np.where(short.any(axis=0), last_short + 1, 0)
    payback = np.where(paid[-1], years[np.minimum(start, n_years - 1)].astype(float), np.nan)
    reversed_ = paid.any(axis=0) & short.any(axis=0) & (last_short > first_paid)
    return payback, reversed_.astype(float)


def net_savings_by_year(baseline: BatchSummary, scenario: BatchSummary) -> dict[str, np.ndarray]:
    """Yearly series of the comparison (P, N): discounted net savings in the year and cumulative."""
    delta_d = scenario.annual_discounted - baseline.annual_discounted
    net = -delta_d[:, :, DOWNSTREAM].sum(axis=1) - delta_d[:, :, INTERVENTION].sum(axis=1)
    return {"net_savings_gbp_discounted": net, "cumulative_net_savings_gbp_discounted": np.cumsum(net, axis=0)}


__all__ = ["COMPARISON_COLUMNS", "BatchSummary", "compare", "net_savings_by_year", "summarise"]
