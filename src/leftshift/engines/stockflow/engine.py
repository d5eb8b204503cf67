"""Stock-flow (system dynamics) engine: deterministic, vectorised over a batch of parameter sets.

Method (docs/design.md explains the choice): every flow is a per-person rate times a stock, so the
unconstrained model is a linear ODE  dx/dt = A x + u(t).  Each step integrates it with classical
fourth-order Runge-Kutta, and the flows moved in the step are taken from the same stages
(flow = rate x the RK4 time-integral of its source stock), so the stock update *is* the RK4 update
and people are conserved exactly. Capacity limits and programme places are then applied to the
step's admissions (operator splitting): admissions beyond the free places join a queue stock, are
turned away, or are admitted over capacity, as the scenario says.

Arrays are (stock, member): the batch axis is last so that every operation is one numpy call over
all parameter sets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from leftshift.engines.finite import check_trajectory
from leftshift.engines.model import (
    AGEING,
    COMPLETION,
    FADE,
    QUEUE_HAZARD,
    REFERRAL,
    TRANSITION,
    Layout,
    ageing_rates,
    build_layout,
    structure_key,
)  # fmt: skip
from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario.model import DEAD, PAYERS, WEEKS_PER_YEAR, Scenario, split_key

PERIODS_PER_YEAR = {"full": None, "monthly": 12, "yearly": 1}  # reporting periods: every step, or sums
RK4_STABLE_STEP = 2.5  # RK4 is stable and positive for rate x step below ~2.78; keep a margin
THREADS_VARIABLE = "LEFTSHIFT_THREADS"  # threads per engine call; process pools set it to 1
CHUNK_MEMBERS = 64  # parameter sets per kernel call: ~1 MB of working set for the Leeds scenario


@dataclass(frozen=True)
class TimeGrid:
    n_steps: int
    step_years: float
    period_of_step: np.ndarray  # reporting period of each step
    period_end: np.ndarray  # time (years) at the end of each period

    @classmethod
    def for_scenario(cls, s: Scenario, record: str) -> TimeGrid:
        # Whole steps per year (52 for a weekly step, each 7.02 days), so that every calendar year
        # holds the same number of steps and annual totals do not jump when a year gets a 53rd.
        per_year = max(1, round(WEEKS_PER_YEAR / s.time_step_weeks))
        n = max(1, round(s.horizon_years * per_year))
        h = s.horizon_years / n
        mids = (np.arange(n) + 0.5) * h
        if record not in PERIODS_PER_YEAR:
            raise LeftshiftError(f"unknown record '{record}'; choose one of: {', '.join(PERIODS_PER_YEAR)}")
        per_period = PERIODS_PER_YEAR[record]
        period = np.arange(n) if per_period is None else np.floor(mids * per_period + 1e-9).astype(int)
        period = np.unique(period, return_inverse=True)[1]  # periods numbered 0, 1, ... with no gaps
        last_step = np.searchsorted(period, np.arange(period[-1] + 1), side="right") - 1
        ends = (last_step + 1) * h
        return cls(n, h, period, ends)


@dataclass(frozen=True)
class Parameters:
    """Everything numeric, as arrays with the batch on the last axis."""

    rate: np.ndarray  # (E, N) per-person rate of each edge, per year
    out_rate: np.ndarray  # (M, N) total rate out of each stock
    initial: np.ndarray  # (M, N)
    entry_stocks: np.ndarray  # (B,) stocks entrants join
    entrants: np.ndarray  # (B, N) per year at time 0
    entrants_growth: np.ndarray  # (N,)
    capacity: np.ndarray  # (R_cap, N)
    overflow_premium: np.ndarray  # (R_cap, N)
    budget: np.ndarray  # (P, Y, N) GBP per year, by simulated year
    cost_per_place: np.ndarray  # (P, N)
    build_years: np.ndarray  # (P, N)
    loss_years: np.ndarray  # (P, N)
    initial_places: np.ndarray  # (P, N)
    programme_payer: np.ndarray  # (P, N) payer index
    weekly_cost: np.ndarray  # (C, 4, N) GBP per person-week, queues at their origin's cost
    transition_cost: np.ndarray  # (T, 4, N) GBP per move
    cost_growth: np.ndarray  # (N,)
    discount_rate: np.ndarray  # (N,)


@dataclass(frozen=True)
class Trajectory:
    """Raw engine output per reporting period; `leftshift.engines.tables` makes tidy tables of it."""

    scenarios: tuple[Scenario, ...]
    layout: Layout
    grid: TimeGrid
    stocks: np.ndarray  # (periods+1, M, N) at period ends (row 0: initial)
    person_years: np.ndarray  # (periods, M, N)
    flows: np.ndarray  # (periods, E, N) people moved along each edge
    blocked: np.ndarray  # (periods, A, N) admissions refused, per admission edge of every resource
    queue_admits: np.ndarray  # (periods, Q, N) people admitted from each queue stock
    entrants: np.ndarray  # (periods, B, N)
    occupied: np.ndarray  # (periods, R, N) at period end
    places: np.ndarray  # (periods, R, N) at period end
    waiting: np.ndarray  # (periods, R, N) at period end
    over_capacity: np.ndarray  # (periods, R, N) at period end
    over_capacity_person_years: np.ndarray  # (periods, R, N)
    funded_places: np.ndarray  # (periods, P, N) at period end
    referrals: np.ndarray  # (periods, P, N) demand for places
    costs: np.ndarray  # (periods, S, 4, N) GBP, undiscounted
    costs_discounted: np.ndarray  # (periods, S, 4, N)
    services: tuple[str, ...]


def _check_batch(scenarios: Sequence[Scenario]) -> None:
    first = scenarios[0]
    key = (structure_key(first), first.horizon_years, first.time_step_weeks, first.start_year)
    for i, s in enumerate(scenarios[1:], start=1):
        if (structure_key(s), s.horizon_years, s.time_step_weeks, s.start_year) != key:
            raise LeftshiftError(
                f"parameter set {i} has a different structure (states, bands, transitions, capacity rules, "
                "interventions, horizon or step) from set 0; a batch may vary numbers only"
            )


def build_parameters(scenarios: Sequence[Scenario], layout: Layout) -> Parameters:
    n_members = len(scenarios)
    comp = layout.compartments
    nb, nl = len(layout.bands), len(layout.layers)
    c_index = {c: i for i, c in enumerate(comp)}
    src_c, src_b, src_k = layout.unravel(layout.src)
    dst_c, _, dst_k = layout.unravel(layout.dst)
    first = scenarios[0]
    n_years = int(np.ceil(first.horizon_years)) + 1
    n_prog, n_trans = len(layout.programmes), len(layout.transitions)
    cap_names = [r.name for r in layout.resources[: layout.n_capacity]]
    emergency = c_index.get(first.emergency_state, -1)
    queue_target = {c_index[f"waiting:{f}->{g}"]: g for f, g in layout.queues}
    payer_index = {p: i for i, p in enumerate(PAYERS)}

    rate = np.zeros((len(layout.src), n_members))
    initial = np.zeros((layout.n_stocks, n_members))
    arrays: dict[str, np.ndarray] = {
        "entrants": np.zeros((nb, n_members)),
        "entrants_growth": np.zeros(n_members),
        "capacity": np.zeros((len(cap_names), n_members)),
        "overflow_premium": np.zeros((len(cap_names), n_members)),
        "budget": np.zeros((n_prog, n_years, n_members)),
        "cost_per_place": np.ones((n_prog, n_members)),
        "build_years": np.zeros((n_prog, n_members)),
        "loss_years": np.zeros((n_prog, n_members)),
        "initial_places": np.zeros((n_prog, n_members)),
        "programme_payer": np.zeros((n_prog, n_members), dtype=np.int64),
        "weekly_cost": np.zeros((len(comp), len(PAYERS), n_members)),
        "transition_cost": np.zeros((n_trans, len(PAYERS), n_members)),
        "cost_growth": np.zeros(n_members),
        "discount_rate": np.zeros(n_members),
    }
    # which edges take which parameter: the same for every member, so worked out once
    trans = layout.transition_of
    is_move = (layout.kind == TRANSITION) | (layout.kind == QUEUE_HAZARD)
    move_t, move_b, move_k = trans[is_move], src_b[is_move], src_k[is_move]
    to_emergency = (layout.kind == QUEUE_HAZARD) & (dst_c == emergency)
    ageing, ageing_b = layout.kind == AGEING, src_b[layout.kind == AGEING]
    referral = [(layout.kind == REFERRAL) & (dst_k == 1 + 2 * p) for p in range(n_prog)]
    referral_state = [[comp[c] for c in src_c[mask]] for mask in referral]
    completion = [(layout.kind == COMPLETION) & (src_k == 1 + 2 * p) for p in range(n_prog)]
    fade = [(layout.kind == FADE) & (src_k == 2 + 2 * p) for p in range(n_prog)]
    for n, s in enumerate(scenarios):
        base = np.array([s.band_array(t.rate) for t in s.transitions]).reshape(n_trans, nb)
        mult = np.ones((n_trans, nl))
        for p, iv in enumerate(s.interventions):
            for key, rr in iv.effects.items():
                ti = layout.transitions.index(split_key(key))  # type: ignore[arg-type]
                mult[ti, 1 + 2 * p] = mult[ti, 2 + 2 * p] = rr
        wait_mult = np.ones(len(comp))
        for qc, g in queue_target.items():
            wait_mult[qc] = s.capacity[g].waiting_acute_risk_multiplier
        r = np.zeros(len(layout.src))
        r[is_move] = base[move_t, move_b] * mult[move_t, move_k]
        r[to_emergency] *= wait_mult[src_c[to_emergency]]
        r[ageing] = ageing_rates(s)[ageing_b]
        for p, iv in enumerate(s.interventions):
            r[referral[p]] = [iv.referrals[state] for state in referral_state[p]]
            r[completion[p]] = 1 / iv.programme_years
            if iv.effect_years_after > 0:
                r[fade[p]] = 1 / iv.effect_years_after
            arrays["budget"][p, :, n] = [s.budget_gbp(iv, s.start_year + y) for y in range(n_years)]
            arrays["cost_per_place"][p, n] = iv.cost_per_participant_year
            arrays["build_years"][p, n] = iv.ramp_up.build_years
            arrays["loss_years"][p, n] = iv.ramp_up.loss_years
            arrays["initial_places"][p, n] = iv.ramp_up.initial_places
            arrays["programme_payer"][p, n] = payer_index[iv.payer]
        rate[:, n] = r
        for state, by_band in s.initial.items():
            initial[[layout.index(c_index[state], b, 0) for b in range(nb)], n] = s.band_array(by_band)
        arrays["entrants"][:, n] = s.band_array(s.demography.entrants_per_year)
        arrays["entrants_growth"][n] = s.demography.entrants_growth_per_year
        for i, name in enumerate(cap_names):
            arrays["capacity"][i, n] = s.capacity[name].places
            arrays["overflow_premium"][i, n] = s.capacity[name].overflow_premium
        for state, by_payer in s.costs.per_person_week.items():
            for payer, gbp in by_payer.items():
                arrays["weekly_cost"][c_index[state], payer_index[payer], n] = gbp
        for qc in queue_target:
            origin = comp[qc].removeprefix("waiting:").split("->")[0]
            arrays["weekly_cost"][qc, :, n] = arrays["weekly_cost"][c_index[origin], :, n]
        for key, by_payer in s.costs.per_transition.items():
            pair = split_key(key)
            if pair in layout.transitions:
                ti = layout.transitions.index(pair)  # type: ignore[arg-type]
                for payer, gbp in by_payer.items():
                    arrays["transition_cost"][ti, payer_index[payer], n] = gbp
        arrays["cost_growth"][n] = s.costs.real_growth_per_year
        arrays["discount_rate"][n] = s.discount_rate
    out_rate = np.zeros((layout.n_stocks, n_members))
    np.add.at(out_rate, layout.src, rate)
    entry = c_index.get(first.demography.entry_state, 0)  # with no entrants, any stock will do
    entry_stocks = np.array([layout.index(entry, b, 0) for b in range(nb)])
    return Parameters(rate=rate, out_rate=out_rate, initial=initial, entry_stocks=entry_stocks, **arrays)


def _check_step(params: Parameters, layout: Layout, step_years: float) -> None:
    """Refuse a step so long that RK4 would be unstable for the fastest flow, and say what will do."""
    fastest = float(params.out_rate.max()) if params.out_rate.size else 0.0
    if fastest * step_years > RK4_STABLE_STEP:
        c, _, _ = layout.unravel(np.array([int(params.out_rate.max(axis=1).argmax())]))
        limit_weeks = RK4_STABLE_STEP / fastest * WEEKS_PER_YEAR
        raise LeftshiftError([Problem(
            f"the step is too long for the fastest flow (people leave '{layout.compartments[c[0]]}' at "
            f"{fastest:.1f} a year); use time_step_weeks of at most {limit_weeks:.2f}",
            path="time_step_weeks",
        )])  # fmt: skip


def simulate(
    scenarios: Scenario | Sequence[Scenario],
    record: str = "full",
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
) -> Trajectory:
    """Run one scenario, or a batch of scenarios that differ only in numbers, as one computation.

    `record="full"` keeps every step (for tidy outputs); `"monthly"` and `"yearly"` sum each month or
    year of simulated time (stocks at its end), which is all that sweeps and uncertainty need and
    keeps memory flat in the number of steps.
    `threads` (default: $LEFTSHIFT_THREADS, else one per core) share the batch's slices.
    """
    batch = (scenarios,) if isinstance(scenarios, Scenario) else tuple(scenarios)
    if not batch:
        raise LeftshiftError("no scenarios to run")
    _check_batch(batch)
    first = batch[0]
    layout = build_layout(first)
    params = build_parameters(batch, layout)
    grid = TimeGrid.for_scenario(first, record)
    _check_step(params, layout, grid.step_years)
    traj = _integrate(batch, layout, params, grid, progress, threads)
    check_trajectory(traj)  # inf or NaN (an input of 1e308, growth that overflows) is an error, not zeros
    return traj


def _csr(groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays in compressed form (pointer, indices) for the compiled kernel."""
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    idx = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if groups else np.zeros(0, np.int64)
    return ptr, idx.astype(np.int64)


def _integrate(
    batch: tuple[Scenario, ...],
    layout: Layout,
    params: Parameters,
    grid: TimeGrid,
    progress: Callable[[int], None] | None,
    threads: int | None,
) -> Trajectory:
    from leftshift.engines.stockflow import kernel

    n_members = len(batch)
    n_periods = len(grid.period_end)
    resources = layout.resources
    n_res, n_cap = len(resources), layout.n_capacity
    n_prog = len(layout.programmes)
    comp = layout.compartments
    services = (*comp, *(f"{f}->{g}" for f, g in layout.transitions),
                *(f"overflow:{r.name}" for r in resources[:n_cap]),
                *(f"intervention:{p}" for p in layout.programmes))  # fmt: skip
    occ_ptr, occ_idx = _csr([r.occupied for r in resources])
    adm_ptr, adm_idx = _csr([r.admissions for r in resources])
    _, adm_join = _csr([r.join_queue for r in resources])
    adm_sources = np.unique(layout.src[adm_idx])
    dep_ptr, dep_idx = _csr([r.departures for r in resources])
    q_ptr, q_idx = _csr([r.queue_stocks for r in resources])
    _, q_target = _csr([r.queue_targets for r in resources])
    q_trans = np.array(
        [layout.transitions.index(tuple(comp[c].removeprefix("waiting:").split("->")))
         for c in layout.unravel(q_idx)[0]], dtype=np.int64,
    )  # fmt: skip
    by_source = np.argsort(layout.src, kind="stable")
    src_ptr = np.searchsorted(layout.src[by_source], np.arange(layout.n_stocks + 1)).astype(np.int64)
    rule = np.array([("wait", "overflow", "lost").index(r.rule) for r in resources], dtype=np.int64)
    period_last_step = np.searchsorted(grid.period_of_step, np.arange(n_periods), side="right") - 1
    res_comp = np.array([comp.index(r.name) for r in resources[:n_cap]], dtype=np.int64)

    def zeros(*shape: int) -> np.ndarray:
        return np.zeros((*shape, n_members))

    rec = {
        "stocks": zeros(n_periods + 1, layout.n_stocks),
        "person_years": zeros(n_periods, layout.n_stocks),
        "flows": zeros(n_periods, len(layout.src)),
        "blocked": zeros(n_periods, len(adm_idx)),
        "queue_admits": zeros(n_periods, len(q_idx)),
        "entrants": zeros(n_periods, len(layout.bands)),
        "occupied": zeros(n_periods, n_res),
        "places": zeros(n_periods, n_res),
        "waiting": zeros(n_periods, n_res),
        "over_capacity": zeros(n_periods, n_res),
        "over_capacity_person_years": zeros(n_periods, n_res),
        "funded_places": zeros(n_periods, n_prog),
        "referrals": zeros(n_periods, n_prog),
        "costs": zeros(n_periods, len(services), len(PAYERS)),
        "costs_discounted": zeros(n_periods, len(services), len(PAYERS)),
    }
    comp_of_stock = layout.unravel(np.arange(layout.n_stocks))[0].astype(np.int64)
    # (service, payer) pairs with a price for some member: the only ones worth a loop each step
    overflow_price = (params.weekly_cost[res_comp] * (params.overflow_premium[:, None, :] > 0)).reshape(
        n_cap, len(PAYERS), n_members
    )
    priced = np.concatenate([params.weekly_cost, params.transition_cost, overflow_price]).any(axis=2)
    per_member = [
        params.initial, params.rate, params.out_rate, params.entrants, params.entrants_growth, params.capacity,
        params.budget, params.cost_per_place, params.build_years, params.loss_years, params.initial_places,
        params.weekly_cost, params.transition_cost, params.overflow_premium, params.programme_payer,
        params.cost_growth, params.discount_rate,
    ]  # fmt: skip

    def run_slice(cols: slice) -> None:
        """Integrate members `cols`; arrays are copied so each slice is contiguous for the kernel."""
        (initial, rate, out_rate, entrants, growth, capacity, budget, cost_per_place, build, loss, places0,
         weekly, trans_cost, premium, payer, cost_growth, discount) = [
            np.ascontiguousarray(a[..., cols]) for a in per_member]  # fmt: skip
        outs = {k: np.zeros(v[..., cols].shape) for k, v in rec.items()}
        kernel.integrate(
            initial, rate, out_rate, layout.src, layout.dst, src_ptr, by_source, params.entry_stocks, entrants,
            np.log1p(growth), grid.n_steps, grid.step_years, grid.period_of_step, period_last_step,
            rule, n_cap, capacity, budget, cost_per_place, build, loss, places0,
            occ_ptr, occ_idx, adm_ptr, adm_idx, adm_join, adm_sources, dep_ptr, dep_idx,
            q_ptr, q_idx, q_target, q_trans,
            comp_of_stock, weekly, layout.transition_of, trans_cost, premium, res_comp, payer, cost_growth, discount,
            priced,
            outs["stocks"], outs["person_years"], outs["flows"], outs["blocked"], outs["queue_admits"],
            outs["entrants"], outs["occupied"], outs["places"], outs["waiting"], outs["over_capacity"],
            outs["over_capacity_person_years"], outs["funded_places"], outs["referrals"], outs["costs"],
            outs["costs_discounted"],
        )  # fmt: skip
        for k, v in outs.items():
            rec[k][..., cols] = v
        if progress is not None:
            progress(cols.stop - cols.start)

    chunks = _member_chunks(n_members)
    workers = min(len(chunks), threads or int(os.environ.get(THREADS_VARIABLE, 0)) or os.cpu_count() or 1)
    if workers == 1:
        for cols in chunks:
            run_slice(cols)
    else:  # the kernel releases the GIL: threads share the batch's slices across cores
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_slice, chunks))
    return Trajectory(scenarios=batch, layout=layout, grid=grid, services=services, **rec)


def _member_chunks(n_members: int, size: int = CHUNK_MEMBERS) -> list[slice]:
    """Slices of the batch small enough that one slice's working set stays in the CPU cache."""
    return [slice(i, min(i + size, n_members)) for i in range(0, n_members, size)]


__all__ = ["DEAD", "Trajectory", "simulate"]
