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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from leftshift.engines.layout import (
    AGEING, COMPLETION, FADE, QUEUE_HAZARD, REFERRAL, TRANSITION, Layout, ageing_rates, build_layout,
    structure_key,
)  # fmt: skip
from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario import DEAD, PAYERS, WEEKS_PER_YEAR, Scenario, split_key

RK4_STABLE_STEP = 2.5  # RK4 is stable and positive for rate x step below ~2.78; keep a margin


@dataclass(frozen=True)
class TimeGrid:
    n_steps: int
    step_years: float
    period_of_step: np.ndarray  # reporting period of each step
    period_end: np.ndarray  # time (years) at the end of each period

    @classmethod
    def for_scenario(cls, s: Scenario, record: str) -> TimeGrid:
        n = max(1, round(s.horizon_years * WEEKS_PER_YEAR / s.time_step_weeks))
        h = s.horizon_years / n
        mids = (np.arange(n) + 0.5) * h
        if record == "full":
            period = np.arange(n)
        else:  # one period per simulated year
            period = np.floor(mids).astype(int)
        ends = np.array([(np.flatnonzero(period == p)[-1] + 1) * h for p in range(period[-1] + 1)])
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

    @property
    def n_members(self) -> int:
        return self.stocks.shape[-1]


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
        trans = layout.transition_of
        is_move = (layout.kind == TRANSITION) | (layout.kind == QUEUE_HAZARD)
        r[is_move] = base[trans[is_move], src_b[is_move]] * mult[trans[is_move], src_k[is_move]]
        to_emergency = (layout.kind == QUEUE_HAZARD) & (dst_c == emergency)
        r[to_emergency] *= wait_mult[src_c[to_emergency]]
        ageing = layout.kind == AGEING
        r[ageing] = ageing_rates(s)[src_b[ageing]]
        for p, iv in enumerate(s.interventions):
            referral = (layout.kind == REFERRAL) & (dst_k == 1 + 2 * p)
            r[referral] = [iv.referrals[comp[c]] for c in src_c[referral]]
            r[(layout.kind == COMPLETION) & (src_k == 1 + 2 * p)] = 1 / iv.programme_years
            if iv.effect_years_after > 0:
                r[(layout.kind == FADE) & (src_k == 2 + 2 * p)] = 1 / iv.effect_years_after
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
    entry = c_index[first.demography.entry_state]
    entry_stocks = np.array([layout.index(entry, b, 0) for b in range(nb)])
    return Parameters(rate=rate, out_rate=out_rate, initial=initial, entry_stocks=entry_stocks, **arrays)


def _check_step(s: Scenario, params: Parameters, layout: Layout, step_years: float) -> None:
    fastest = float(params.out_rate.max()) if params.out_rate.size else 0.0
    if fastest * step_years > RK4_STABLE_STEP:
        c, _, _ = layout.unravel(np.array([int(params.out_rate.max(axis=1).argmax())]))
        limit_weeks = RK4_STABLE_STEP / fastest * WEEKS_PER_YEAR
        raise LeftshiftError([Problem(
            f"the step is too long for the fastest flow (people leave '{layout.compartments[c[0]]}' at "
            f"{fastest:.1f} a year); use time_step_weeks of at most {limit_weeks:.2f}",
            path="time_step_weeks",
        )])  # fmt: skip


class _Stepper:
    """One RK4 step of the linear part: flows moved and person-years lived, per edge and stock."""

    def __init__(self, layout: Layout, params: Parameters) -> None:
        self.src = layout.src
        self.rate = params.rate
        self.out_rate = params.out_rate
        self.targets, self.starts = np.unique(layout.dst, return_index=True)
        self.entry_stocks = params.entry_stocks
        self.entrants = params.entrants
        self.log_growth = np.log1p(params.entrants_growth)

    def inflow(self, flows: np.ndarray, out: np.ndarray) -> np.ndarray:
        if len(self.targets):
            out[self.targets] += np.add.reduceat(flows, self.starts, axis=0)
        return out

    def entry_rate(self, t: float) -> np.ndarray:
        return self.entrants * np.exp(self.log_growth * t)

    def derivative(self, x: np.ndarray, t: float) -> np.ndarray:
        d = -self.out_rate * x
        self.inflow(self.rate * x[self.src], d)
        d[self.entry_stocks] += self.entry_rate(t)
        return d

    def step(self, x: np.ndarray, t: float, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (person-years per stock, people moved per edge, entrants per band) over [t, t+h]."""
        k1 = self.derivative(x, t)
        x2 = x + 0.5 * h * k1
        k2 = self.derivative(x2, t + 0.5 * h)
        x3 = x + 0.5 * h * k2
        k3 = self.derivative(x3, t + 0.5 * h)
        x4 = x + h * k3
        person_years = (h / 6) * (x + 2 * x2 + 2 * x3 + x4)
        entered = (h / 6) * (self.entry_rate(t) + 4 * self.entry_rate(t + 0.5 * h) + self.entry_rate(t + h))
        return person_years, self.rate * person_years[self.src], entered


def simulate(
    scenarios: Scenario | Sequence[Scenario],
    record: str = "full",
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run one scenario, or a batch of scenarios that differ only in numbers, as one computation.

    `record="full"` keeps every step (for tidy outputs); `"yearly"` sums each simulated year, which
    is all that sweeps and uncertainty need and keeps memory flat in the number of steps.
    """
    batch = (scenarios,) if isinstance(scenarios, Scenario) else tuple(scenarios)
    if not batch:
        raise LeftshiftError("no scenarios to run")
    _check_batch(batch)
    first = batch[0]
    layout = build_layout(first)
    params = build_parameters(batch, layout)
    grid = TimeGrid.for_scenario(first, record)
    _check_step(first, params, layout, grid.step_years)
    return _integrate(batch, layout, params, grid, progress)


def _integrate(
    batch: tuple[Scenario, ...],
    layout: Layout,
    params: Parameters,
    grid: TimeGrid,
    progress: Callable[[int], None] | None,
) -> Trajectory:
    h = grid.step_years
    n_members = len(batch)
    n_periods = len(grid.period_end)
    resources = layout.resources
    n_res, n_cap = len(resources), layout.n_capacity
    n_prog = len(layout.programmes)
    n_comp, n_trans = len(layout.compartments), len(layout.transitions)
    services = (*layout.compartments, *(f"{f}->{g}" for f, g in layout.transitions),
                *(f"overflow:{r.name}" for r in resources[:n_cap]),
                *(f"intervention:{p}" for p in layout.programmes))  # fmt: skip
    adm_slices, start = [], 0
    for r in resources:
        adm_slices.append(slice(start, start + len(r.admissions)))
        start += len(r.admissions)
    all_queue_stocks = np.concatenate([r.queue_stocks for r in resources] or [np.zeros(0, np.int64)])
    q_slices, start = [], 0
    for r in resources:
        q_slices.append(slice(start, start + len(r.queue_stocks)))
        start += len(r.queue_stocks)
    queue_transition = np.array(
        [layout.transitions.index(tuple(layout.compartments[c].removeprefix("waiting:").split("->")))
         for c in layout.unravel(all_queue_stocks)[0]], dtype=np.int64,
    )  # fmt: skip
    edge_counts_as = layout.transition_of
    costed_edges = np.flatnonzero(edge_counts_as >= 0)

    shape = (n_periods,)
    rec = {
        "person_years": np.zeros((*shape, layout.n_stocks, n_members)),
        "flows": np.zeros((*shape, len(layout.src), n_members)),
        "blocked": np.zeros((*shape, sum(len(r.admissions) for r in resources), n_members)),
        "queue_admits": np.zeros((*shape, len(all_queue_stocks), n_members)),
        "entrants": np.zeros((*shape, len(layout.bands), n_members)),
        "occupied": np.zeros((*shape, n_res, n_members)),
        "places": np.zeros((*shape, n_res, n_members)),
        "waiting": np.zeros((*shape, n_res, n_members)),
        "over_capacity": np.zeros((*shape, n_res, n_members)),
        "over_capacity_person_years": np.zeros((*shape, n_res, n_members)),
        "funded_places": np.zeros((*shape, n_prog, n_members)),
        "referrals": np.zeros((*shape, n_prog, n_members)),
        "costs": np.zeros((*shape, len(services), len(PAYERS), n_members)),
        "costs_discounted": np.zeros((*shape, len(services), len(PAYERS), n_members)),
    }
    stocks = np.zeros((n_periods + 1, layout.n_stocks, n_members))
    x = params.initial.copy()
    stocks[0] = x
    places = params.initial_places.copy()
    stepper = _Stepper(layout, params)
    members = np.arange(n_members)
    comp_of_stock = layout.unravel(np.arange(layout.n_stocks))[0]

    for step in range(grid.n_steps):
        t = step * h
        per = grid.period_of_step[step]
        year = min(int(np.floor(t + 0.5 * h)), params.budget.shape[1] - 1)
        person_years, flows, entered = stepper.step(x, t, h)
        x_new = x + stepper.inflow(flows, np.zeros_like(x)) - params.out_rate * person_years
        x_new[params.entry_stocks] += entered
        if (x_new < 0).any():
            flows, x_new = _keep_non_negative(x, x_new, flows, layout, entered, params)

        # Programme places follow funding with a first-order delay (faster down than up).
        funded = params.budget[:, year, :] / params.cost_per_place
        tau = np.where(funded > places, params.build_years, params.loss_years)
        with np.errstate(divide="ignore", over="ignore"):
            decay = np.where(tau > 0, np.exp(-h / np.where(tau > 0, tau, 1)), 0.0)
        places = funded + (places - funded) * decay

        step_admits = np.zeros((len(all_queue_stocks), n_members))
        for i, r in enumerate(resources):
            cap = params.capacity[i] if i < n_cap else places[i - n_cap]
            occupied_start = x[r.occupied].sum(axis=0)
            space = cap - occupied_start + flows[r.departures].sum(axis=0)
            if len(r.queue_stocks):
                queued = x_new[r.queue_stocks]
                total = queued.sum(axis=0)
                admit = np.minimum(total, np.maximum(space, 0.0))
                moved = queued * np.divide(admit, total, out=np.zeros_like(admit), where=total > 0)
                x_new[r.queue_stocks] -= moved
                np.add.at(x_new, r.queue_targets, moved)
                step_admits[q_slices[i]] = moved
                space = space - admit
            if r.rule != "overflow" and len(r.admissions):
                demand = flows[r.admissions]
                wanted = demand.sum(axis=0)
                if i >= n_cap:
                    rec["referrals"][per, i - n_cap] += wanted
                share = np.divide(np.maximum(space, 0.0), wanted, out=np.ones_like(wanted), where=wanted > 0)
                blocked = demand * (1.0 - np.minimum(share, 1.0))
                if blocked.any():
                    flows[r.admissions] -= blocked
                    np.subtract.at(x_new, layout.dst[r.admissions], blocked)
                    back = np.where(r.join_queue >= 0, r.join_queue, layout.src[r.admissions])
                    np.add.at(x_new, back, blocked)
                    rec["blocked"][per, adm_slices[i]] += blocked
            occupied_end = x_new[r.occupied].sum(axis=0)
            over = np.maximum(occupied_end - cap, 0.0)
            rec["occupied"][per, i] = occupied_end
            rec["places"][per, i] = cap
            rec["waiting"][per, i] = x_new[r.queue_stocks].sum(axis=0) if len(r.queue_stocks) else 0.0
            rec["over_capacity"][per, i] = over
            rec["over_capacity_person_years"][per, i] += over * h
        rec["funded_places"][per] = funded
        rec["queue_admits"][per] += step_admits

        # Costs of the step, by service and payer, with real growth and discounting at mid-step.
        t_mid = t + 0.5 * h
        growth = (1 + params.cost_growth) ** t_mid
        discount = (1 + params.discount_rate) ** -t_mid
        by_comp = np.zeros((n_comp, n_members))
        np.add.at(by_comp, comp_of_stock, person_years)
        cost = np.zeros((len(services), len(PAYERS), n_members))
        cost[:n_comp] = by_comp[:, None, :] * params.weekly_cost * WEEKS_PER_YEAR
        moves = np.zeros((n_trans, n_members))
        np.add.at(moves, edge_counts_as[costed_edges], flows[costed_edges])
        if len(all_queue_stocks):
            np.add.at(moves, queue_transition, step_admits)
        cost[n_comp : n_comp + n_trans] = moves[:, None, :] * params.transition_cost
        over_py = rec["over_capacity"][per, :n_cap] * h
        for i, r in enumerate(resources[:n_cap]):
            state_cost = params.weekly_cost[layout.compartments.index(r.name)]
            cost[n_comp + n_trans + i] = over_py[i] * params.overflow_premium[i] * state_cost * WEEKS_PER_YEAR
        spend = params.budget[:, year, :] * h
        for p in range(n_prog):
            cost[n_comp + n_trans + n_cap + p, params.programme_payer[p], members] = spend[p]
        cost *= growth
        rec["costs"][per] += cost
        rec["costs_discounted"][per] += cost * discount

        rec["person_years"][per] += person_years
        rec["flows"][per] += flows
        rec["entrants"][per] += entered
        x = x_new
        if step == grid.n_steps - 1 or grid.period_of_step[step + 1] != per:
            stocks[per + 1] = x
        if progress is not None:
            progress(1)
    return Trajectory(scenarios=batch, layout=layout, grid=grid, stocks=stocks, services=services, **rec)


def _keep_non_negative(
    x: np.ndarray, x_new: np.ndarray, flows: np.ndarray, layout: Layout, entered: np.ndarray, params: Parameters
) -> tuple[np.ndarray, np.ndarray]:
    """Scale down the outflows of any stock that would go negative (a guard; RK4 rarely needs it)."""
    inflow = np.zeros_like(x)
    np.add.at(inflow, layout.dst, flows)
    inflow[params.entry_stocks] += entered
    outflow = np.zeros_like(x)
    np.add.at(outflow, layout.src, flows)
    scale = np.where(outflow > x + inflow, np.divide(x + inflow, outflow, out=np.ones_like(x), where=outflow > 0), 1)
    flows = flows * scale[layout.src]
    x_new = x.copy()
    np.add.at(x_new, layout.dst, flows)
    np.subtract.at(x_new, layout.src, flows)
    x_new[params.entry_stocks] += entered
    return flows, x_new


__all__ = ["DEAD", "Trajectory", "simulate"]
