"""Headline metrics for every member of a stock-flow batch at once, straight from a Trajectory.

A 10,000-point sweep cannot afford a tidy pandas table per point, so this module adds up the rows that
`leftshift.analysis.metrics.DEFINITIONS` names, chosen by the same row-set functions (`stock_rows`,
`flow_rows`, `cost_rows`) applied to the layout's stocks, flow series and cost lines, as numpy reductions
over the batch axis; the comparison's rules are `leftshift.analysis.economics.headline_figures`. So a metric
is defined once; only the order of adding up differs (kept as it was, so files keep every bit).
tests/unit/analysis/test_batch.py checks that the tidy and the batch numbers agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leftshift.analysis.economics import AVOIDED, COMPARISON_COLUMNS, SUFFIXES, headline_figures
from leftshift.analysis.metrics import DEFINITIONS, METRICS, Definition, cost_rows, flow_rows, stock_rows
from leftshift.analysis.risk_share import batch_sharing, share_batch
from leftshift.engines.pricing import fixed_place_costs, fixed_share_of
from leftshift.engines.stockflow.engine import Trajectory
from leftshift.engines.tables import flow_keys
from leftshift.scenario.model import DEAD, PAYERS

DOWNSTREAM, INTERVENTION = 0, 1
COST_KINDS = {"downstream": (DOWNSTREAM,), "intervention": (INTERVENTION,), "all": (INTERVENTION, DOWNSTREAM)}
"""The cost row sets as kinds of the batch's (year, payer, kind, member) cost arrays."""


class BatchRows:
    """The row sets of `metrics` over one layout's stocks, flow series and cost lines, and the age band of
    each stock and flow series (`analysis.yearly` adds up a band's rows)."""

    def __init__(self, traj: Trajectory) -> None:
        layout, s = traj.layout, traj.scenarios[0]
        comp, layers = np.array(layout.state_names, dtype=object), np.array(layout.layers, dtype=object)
        c_stock, b_stock, k_stock = layout.unravel(np.arange(layout.n_stocks))
        self.state_of_stock = comp[c_stock]
        self.band_of_stock = np.array(layout.bands, dtype=object)[b_stock]
        self.stocks = stock_rows(s, comp[c_stock], layers[k_stock])
        keys = flow_keys(layout, s.demography.entry_state)
        self.flows = flow_rows(s, keys["kind"], keys["target"])
        self.band_of_flow = keys["age_band"]
        n_join = int(sum((r.join_queue >= 0).sum() for r in layout.resources))
        n_admit = sum(len(r.queue_stocks) for r in layout.resources)
        ends = np.cumsum([len(layout.src), n_join, n_admit, len(layout.bands)])
        self.flow_parts = [slice(a, b) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        """Where each array of the Trajectory sits among the flow series: edges, queue joins, queue
        admissions, entrants (the order of `flow_keys`)."""
        self.join = np.concatenate([r.join_queue for r in layout.resources] or [np.zeros(0, np.int64)]) >= 0
        turned, start = [], 0
        for i, r in enumerate(layout.resources):
            if i >= layout.n_capacity:
                turned.extend(start + np.flatnonzero(r.join_queue < 0))
            start += len(r.admissions)
        self.programme_turned = np.array(turned, dtype=np.int64)
        self.intervention_service = cost_rows(np.array(traj.services, dtype=object))["intervention"]


def flow_sum(traj: Trajectory, ix: BatchRows, mask: np.ndarray) -> np.ndarray:
    """(year, member) people moved along the flow series in `mask`: the edges' sum, plus each other part's
    sum where the mask reaches into it."""
    parts = [traj.flows, traj.blocked[:, ix.join], traj.queue_admits, traj.entrants]
    total = traj.flows[:, mask[ix.flow_parts[0]]].sum(axis=1)
    for part, where in zip(parts[1:], ix.flow_parts[1:], strict=True):
        if mask[where].any():
            total = total + part[:, mask[where]].sum(axis=1)
    return total


@dataclass(frozen=True)
class BatchSummary:
    """Per-member totals and yearly figures of one batch (arrays have the batch on the last axis)."""

    metrics: dict[str, np.ndarray]  # metric name -> (N,), as metrics.compute
    years: np.ndarray  # (P,) calendar year of each simulated year
    annual: np.ndarray  # (P, payer, kind, N) GBP; kind 0 = downstream care, 1 = intervention spend
    annual_discounted: np.ndarray  # (P, payer, kind, N)
    series: dict[str, np.ndarray]  # name -> (P, N) yearly figures for fan charts
    unused_fixed: np.ndarray | None = None  # (payer, N) discounted fixed cost of empty places (economics)
    sharing: np.ndarray | None = None  # (payer, payer, N) risk-share matrices (analysis.risk_share); None: none

    @property
    def n_members(self) -> int:
        return self.annual.shape[-1]

    def member(self, i: int) -> BatchSummary:
        """One member, keeping the batch axis (length 1): a fixed baseline to compare a batch with."""
        pick = slice(i, i + 1)
        return BatchSummary(
            {k: v[pick] for k, v in self.metrics.items()}, self.years, self.annual[..., pick],
            self.annual_discounted[..., pick], {k: v[..., pick] for k, v in self.series.items()},
            None if self.unused_fixed is None else self.unused_fixed[..., pick],
            None if self.sharing is None else self.sharing[..., pick],
        )  # fmt: skip


def summarise(traj: Trajectory) -> BatchSummary:
    """Every metric of `metrics.compute`, and the yearly costs `economics.compare` needs, for all members."""
    ix = BatchRows(traj)
    costs, costs_d = traj.costs, traj.costs_discounted
    iv = ix.intervention_service
    annual = np.stack([costs[:, ~iv].sum(axis=1), costs[:, iv].sum(axis=1)], axis=2)  # (P, payer, kind, N)
    annual_d = np.stack([costs_d[:, ~iv].sum(axis=1), costs_d[:, iv].sum(axis=1)], axis=2)
    turned = traj.blocked[:, ix.programme_turned].sum(axis=1)
    programmes = {"starts": traj.referrals.sum(axis=1) - turned, "turned_away": turned}  # every programme

    def yearly(d: Definition) -> np.ndarray:
        """(year, member) sums of one metric."""
        if d.table == "timeseries":
            return traj.person_years[:, ix.stocks[d.rows]].sum(axis=1) * d.factor
        if d.table == "flows":
            return flow_sum(traj, ix, ix.flows[d.rows]) * d.factor
        if d.table == "programmes":
            return programmes[d.column] * d.factor
        by_kind = annual if d.column == "cost_gbp" else annual_d
        kinds = [by_kind[:, :, k].sum(axis=1) for k in COST_KINDS[d.rows]]
        return (kinds[0] if len(kinds) == 1 else kinds[0] + kinds[1]) * d.factor

    series = {name: yearly(d) for name, d in DEFINITIONS.items() if not d.at_end}
    metrics = {name: series[name].sum(axis=0) for name in series}
    for name, d in DEFINITIONS.items():
        if d.at_end:  # people at the horizon: the last stocks, not a sum over the years
            metrics[name] = traj.stocks[-1][ix.stocks[d.rows]].sum(axis=0) * d.factor
    metrics = {name: metrics[name] for name in METRICS}  # the order of metrics.compute
    for state in (c for c in dict.fromkeys(traj.layout.state_names) if c != DEAD):
        series[f"people:{state}"] = traj.stocks[1:, ix.state_of_stock == state].sum(axis=1)
    years = traj.grid.period_years(traj.scenarios[0].start_year)
    return BatchSummary(metrics, years, annual, annual_d, series, _unused_fixed(traj), batch_sharing(traj.scenarios))


def _unused_fixed(traj: Trajectory) -> np.ndarray:
    """(payer, N) the discounted fixed cost of the places open minus the fixed part of the weekly costs paid
    (`economics.unused_fixed_cost` for every member)."""
    _, _, places = fixed_place_costs(traj.scenarios)
    unused = places.sum(axis=0)
    shared = {name for s in traj.scenarios for name in s.costs.fixed_share}
    rows = [i for i, v in enumerate(traj.services) if v in shared or v.startswith("waiting:")]
    for n, s in enumerate(traj.scenarios):
        for i in rows:
            share = fixed_share_of(s, traj.services[i])
            if share:
                unused[:, n] -= share * traj.costs_discounted[:, i, :, n].sum(axis=0)
    return unused


def compare(baseline: BatchSummary, scenario: BatchSummary) -> dict[str, np.ndarray]:
    """`economics.compare(...).headline` for every member: the baseline has one member or as many as the scenario;
    the scenario's risk-share agreements move avoided cost between payers."""
    if len(baseline.years) != len(scenario.years) or (baseline.years != scenario.years).any():
        raise ValueError("the baseline and the scenario must cover the same years (start_year and horizon_years)")
    delta = {
        "": scenario.annual - baseline.annual,
        "_discounted": scenario.annual_discounted - baseline.annual_discounted,
    }
    delta_d = delta["_discounted"]  # (P, payer, kind, N)
    avoided_d = share_batch(-delta_d[:, :, DOWNSTREAM], scenario.sharing)  # (P, payer, N)
    freed = share_batch(np.stack([_freed(baseline, scenario, p) for p in range(len(PAYERS))]), scenario.sharing)
    return headline_figures(
        {metric: scenario.metrics[metric] - baseline.metrics[metric] for metric in AVOIDED},
        {s: delta[s][:, :, INTERVENTION].sum(axis=(0, 1)) for s in SUFFIXES},
        {s: -delta[s][:, :, DOWNSTREAM].sum(axis=(0, 1)) for s in SUFFIXES},
        {payer: avoided_d[:, p].sum(axis=0) - delta_d[:, p, INTERVENTION].sum(axis=0)
         for p, payer in enumerate(PAYERS)},
        scenario.years,
        np.cumsum(-delta_d[:, :, DOWNSTREAM].sum(axis=1) - delta_d[:, :, INTERVENTION].sum(axis=1), axis=0),
        {payer: freed[p] for p, payer in enumerate(PAYERS)},
        {payer: avoided_d[:, p].sum(axis=0) for p, payer in enumerate(PAYERS)},
    )  # fmt: skip


def _freed(baseline: BatchSummary, scenario: BatchSummary, payer: int) -> np.ndarray:
    """Capacity freed landing with one payer, (N,): the rise in the fixed cost of empty places."""
    base = 0.0 if baseline.unused_fixed is None else baseline.unused_fixed[payer]
    scen = 0.0 if scenario.unused_fixed is None else scenario.unused_fixed[payer]
    return np.zeros(scenario.n_members) + (scen - base)


def net_savings_by_year(baseline: BatchSummary, scenario: BatchSummary) -> dict[str, np.ndarray]:
    """Yearly series of the comparison (P, N): discounted net savings in the year and cumulative."""
    delta_d = scenario.annual_discounted - baseline.annual_discounted
    net = -delta_d[:, :, DOWNSTREAM].sum(axis=1) - delta_d[:, :, INTERVENTION].sum(axis=1)
    return {"net_savings_gbp_discounted": net, "cumulative_net_savings_gbp_discounted": np.cumsum(net, axis=0)}


__all__ = ["COMPARISON_COLUMNS", "BatchRows", "BatchSummary", "compare", "flow_sum", "net_savings_by_year", "summarise"]
