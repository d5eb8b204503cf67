"""What both engines price, and at what, built once from the scenarios.

A cost is a quantity times a unit price: person-time in a compartment (queues at their origin's
price), moves along a transition (admissions from a queue count as that queue's transition), time
over capacity at a premium on the service's weekly cost, and each programme's budget, paid in cash.
Unit costs grow in real terms and are discounted at mid-step; budgets are set at the price base, so
they are discounted but do not grow. The arrays here are the single source of those prices: the
stock-flow kernel does its arithmetic on them in compiled code, the discrete-event engine with
`price_steps`, and both take each step's budget spend from `budget_spend`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leftshift.engines.memo import ByObject
from leftshift.engines.model import Layout, TimeGrid, build_layout, service_names, simulated_years
from leftshift.scenario.model import PAYERS, WEEKS_PER_YEAR, Scenario, split_key


@dataclass(frozen=True)
class Prices:
    """Unit prices and budgets with the batch on the last axis; payers in the order of `PAYERS`."""

    services: tuple[str, ...]  # (S,) rows of the costs: compartments, transitions, overflow:*, intervention:*
    weekly_cost: np.ndarray  # (C, 4, N) GBP per person-week, queues at their origin's cost
    transition_cost: np.ndarray  # (T, 4, N) GBP per move
    overflow_premium: np.ndarray  # (R_cap, N) share of the weekly cost added per person-week over capacity
    capacity_compartment: np.ndarray  # (R_cap,) compartment of each capacity-limited state (its weekly cost)
    queue_transition: np.ndarray  # (Q,) transition an admission from each queue stock counts as
    budget: np.ndarray  # (P, Y, N) GBP per year, by simulated year
    programme_payer: np.ndarray  # (P, N) payer index
    cost_growth: np.ndarray  # (N,) real growth of unit costs a year
    discount_rate: np.ndarray  # (N,)
    annual: np.ndarray  # (N,) bool: Green Book annual discounting, (1 + r)^-floor(t), else continuous
    place_budget: np.ndarray  # (K, Y, N) GBP per year buying the places of each `bought` state
    place_payer: np.ndarray  # (K, N) payer index
    bought: tuple[str, ...] = ()  # capacity-limited states whose places a budget buys (rows `places:<state>`)

    def priced(self) -> np.ndarray:
        """(service, payer) rows before the budgets that have a price for some member: (C + T + R_cap, 4).
        The compiled kernel loops only over these, which most scenarios leave sparse."""
        n_cap, n_members = len(self.capacity_compartment), self.weekly_cost.shape[2]
        overflow = (self.weekly_cost[self.capacity_compartment] * (self.overflow_premium[:, None, :] > 0)).reshape(
            n_cap, len(PAYERS), n_members
        )
        return np.concatenate([self.weekly_cost, self.transition_cost, overflow]).any(axis=2)


def build_prices(scenarios: Sequence[Scenario], layout: Layout) -> Prices:
    """The prices of a batch of scenarios that share `layout`, member by member."""
    n_members, n_trans, n_prog = len(scenarios), len(layout.transitions), len(layout.programmes)
    comp = layout.compartments
    payer_index = {p: i for i, p in enumerate(PAYERS)}
    cap_names = [r.name for r in layout.resources[: layout.n_capacity]]
    n_years = simulated_years(scenarios[0])
    weekly = np.zeros((len(comp), len(PAYERS), n_members))
    per_move = np.zeros((n_trans, len(PAYERS), n_members))
    premium = np.zeros((len(cap_names), n_members))
    budget = np.zeros((n_prog, n_years, n_members))
    payer = np.zeros((n_prog, n_members), dtype=np.int64)
    bought = tuple(name for name in cap_names if scenarios[0].capacity[name].bought)
    place_budget = np.zeros((len(bought), n_years, n_members))
    place_payer = np.zeros((len(bought), n_members), dtype=np.int64)
    memo = ByObject()  # parts that members share (the same objects) are read once
    for n, s in enumerate(scenarios):
        for k, name in enumerate(bought):
            place_budget[k, :, n] = memo.get("places", s.capacity[name], lambda s=s, name=name: [
                s.place_budget_gbp(name, s.start_year + y) for y in range(n_years)])  # fmt: skip
            place_payer[k, n] = payer_index[s.place_payer(name)]
        for p, iv in enumerate(s.interventions):
            budget[p, :, n] = memo.get("budget", iv.budget, lambda s=s, iv=iv: [
                s.budget_gbp(iv, s.start_year + y) for y in range(n_years)])  # fmt: skip
            payer[p, n] = payer_index[iv.payer]
        for i, name in enumerate(cap_names):
            premium[i, n] = s.capacity[name].overflow_premium
        weekly[:, :, n], per_move[:, :, n] = memo.get("unit costs", s.costs, lambda s=s: _unit_costs(s, layout))
    return Prices(
        services=(*service_names(layout), *(f"places:{name}" for name in bought)), weekly_cost=weekly,
        transition_cost=per_move, overflow_premium=premium,
        capacity_compartment=np.array([comp.index(name) for name in cap_names], dtype=np.int64),
        queue_transition=layout.queue_transitions(), budget=budget, programme_payer=payer,
        cost_growth=np.array([s.costs.real_growth_per_year for s in scenarios], dtype=float),
        discount_rate=np.array([s.discount_rate for s in scenarios], dtype=float),
        annual=np.array([s.discounting == "annual" for s in scenarios], dtype=np.bool_),
        place_budget=place_budget, place_payer=place_payer, bought=bought,
    )  # fmt: skip


def _unit_costs(s: Scenario, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """GBP per person-week in each compartment (C, payer) and per move along each transition (T, payer)."""
    c_index = {c: i for i, c in enumerate(layout.compartments)}
    payer_index = {p: i for i, p in enumerate(PAYERS)}
    weekly = np.zeros((len(layout.compartments), len(PAYERS)))
    per_move = np.zeros((len(layout.transitions), len(PAYERS)))
    for state, by_payer in s.costs.per_person_week.items():
        for who, gbp in by_payer.items():
            weekly[c_index[state], payer_index[who]] = gbp
    for state, origin in layout.origins:  # people who remember their origin cost what their state costs
        weekly[c_index[f"{state}|from:{origin}"], :] = weekly[c_index[state], :]
    for f, g in layout.queues:  # people waiting are where they came from, at its price
        weekly[c_index[f"waiting:{f}->{g}"], :] = weekly[c_index[f], :]
    for key, by_payer in s.costs.per_transition.items():
        pair = split_key(key)
        if pair in layout.transitions:
            ti = layout.transitions.index(pair)  # type: ignore[arg-type]
            for who, gbp in by_payer.items():
                per_move[ti, payer_index[who]] = gbp
    return weekly, per_move


def all_spend(prices: Prices, grid: TimeGrid) -> tuple[np.ndarray, np.ndarray]:
    """Cash spent in each step on each programme and then on each state's bought places, (steps, P + K, N),
    and who pays it, (P + K, N): the rows after the services priced per unit, in `services` order."""
    spend = budget_spend(prices, grid)
    if not prices.bought:
        return spend, prices.programme_payer
    places = budget_spend(prices, grid, prices.place_budget)
    return np.concatenate([spend, places], axis=1), np.concatenate([prices.programme_payer, prices.place_payer])


def discount_factors(prices: Prices, t: np.ndarray, member: int = 0) -> np.ndarray:
    """Discount factors at times t (years since the start): (1 + r)^-t (continuous, the default), or the
    Green Book's annual (1 + r)^-floor(t), year 0 undiscounted."""
    rate = prices.discount_rate[member]
    return (1 + rate) ** -(np.floor(t) if prices.annual[member] else t)


def budget_spend(prices: Prices, grid: TimeGrid, budget: np.ndarray | None = None) -> np.ndarray:
    """Cash each programme (or each row of `budget`) spends in each step, (steps, P, N): a step that
    straddles the turn of a year pays each year's budget for its share of the step."""
    budget = prices.budget if budget is None else budget
    h, last = grid.step_years, budget.shape[1] - 1
    starts = np.arange(grid.n_steps) * h
    y0 = np.minimum(np.floor(starts).astype(int), last)
    y1 = np.minimum(np.floor(starts + h).astype(int), last)
    split = np.where(y1 != y0, np.clip(np.floor(starts + h) - starts, 0.0, h), h)
    spend = budget[:, y0, :] * split[None, :, None] + budget[:, y1, :] * (h - split)[None, :, None]
    return spend.transpose(1, 0, 2)


def price_steps(
    prices: Prices,
    grid: TimeGrid,
    person_years: np.ndarray,
    moves: np.ndarray,
    over_capacity_person_years: np.ndarray,
    member: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Costs per step, service and payer (undiscounted, discounted) of one member, from its person-years
    by compartment (steps, C), moves by transition (steps, T) and person-years over capacity (steps,
    R_cap); growth and discounting are exact powers at mid-step. The stock-flow kernel prices the same
    quantities in the same order, with its factors updated by one product a step."""
    h, n_steps = grid.step_years, grid.n_steps
    n_comp, n_trans, n_cap = person_years.shape[1], moves.shape[1], over_capacity_person_years.shape[1]
    weekly = prices.weekly_cost[:, :, member]
    cost = np.zeros((n_steps, len(prices.services), len(PAYERS)))
    cost[:, :n_comp] = person_years[:, :, None] * weekly[None] * WEEKS_PER_YEAR
    cost[:, n_comp : n_comp + n_trans] = moves[:, :, None] * prices.transition_cost[None, :, :, member]
    for i in range(n_cap):
        premium, unit = prices.overflow_premium[i, member], weekly[prices.capacity_compartment[i]]
        cost[:, n_comp + n_trans + i] = over_capacity_person_years[:, i, None] * premium * unit * WEEKS_PER_YEAR
    t_mid = np.arange(n_steps) * h + 0.5 * h
    cost *= ((1 + prices.cost_growth[member]) ** t_mid)[:, None, None]
    spend, payer = all_spend(prices, grid)
    for p in range(spend.shape[1]):
        cost[:, n_comp + n_trans + n_cap + p, payer[p, member]] = spend[:, p, member]
    return cost, cost * discount_factors(prices, t_mid, member)[:, None, None]


def fixed_share_of(s: Scenario, service: str) -> float:
    """Share of a cost line's weekly cost that is fixed (`costs.fixed_share`): a queue at its origin's; 0
    for every other line (moves, over-capacity premiums and budgets are all variable or cash)."""
    if service.startswith("waiting:"):
        pair = split_key(service.removeprefix("waiting:"))
        service = pair[0] if pair else service
    return float(s.costs.fixed_share.get(service, 0.0))


def fixed_place_costs(scenarios: Sequence[Scenario]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed cost of the places of each capacity-limited state (places x fixed share x weekly cost,
    with the weekly cost's growth and the scenario's discounting at mid-step), summed by simulated year:
    (calendar years, (Y, payer, N) GBP, (Y, payer, N) GBP discounted). What closing places saves."""
    from leftshift.engines.parameters import capacity_places

    first = scenarios[0]
    layout, grid = build_layout(first), TimeGrid.for_scenario(first, "yearly")
    years = grid.period_years(first.start_year)
    cost = np.zeros((len(years), len(PAYERS), len(scenarios)))
    cost_d = np.zeros_like(cost)
    if not layout.n_capacity or not any(s.costs.fixed_share for s in scenarios):
        return years, cost, cost_d
    prices = build_prices(scenarios, layout)
    places, _ = capacity_places(scenarios, layout, grid)  # (steps, R_cap, N)
    h = grid.step_years
    t_mid = np.arange(grid.n_steps) * h + 0.5 * h
    for n, s in enumerate(scenarios):
        scale = (1 + prices.cost_growth[n]) ** t_mid * h * WEEKS_PER_YEAR
        discount = discount_factors(prices, t_mid, n)
        for r, comp in enumerate(prices.capacity_compartment.tolist()):
            share = fixed_share_of(s, layout.compartments[comp])
            if share == 0 or s.capacity[layout.compartments[comp]].bought:
                continue
            per_step = places[:, r, n, None] * share * prices.weekly_cost[comp, :, n][None] * scale[:, None]
            np.add.at(cost[:, :, n], grid.period_of_step, per_step)
            np.add.at(cost_d[:, :, n], grid.period_of_step, per_step * discount[:, None])
    return years, cost, cost_d
