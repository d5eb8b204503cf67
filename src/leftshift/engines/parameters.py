"""The numbers of a batch of scenarios that share a layout, as arrays with the batch on the last axis.

Both engines read these: the stock-flow engine integrates the whole batch at once, the discrete-event
engine takes member 0. Prices are apart, in `pricing.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leftshift.engines.memo import ByObject
from leftshift.engines.model import (
    AGEING,
    COMPLETION,
    DECONDITION,
    FADE,
    QUEUE_HAZARD,
    REFERRAL,
    SEGMENT,
    TRANSITION,
    Layout,
    TimeGrid,
    origin_name,
    queue_name,
    simulated_years,
)  # fmt: skip
from leftshift.engines.segments import by_slot, hazard_multipliers, move_rates, per_slot
from leftshift.scenario.model import DEAD, WEEKS_PER_YEAR, Intervention, Scenario, band_width_years, split_key


@dataclass(frozen=True)
class Parameters:
    """Everything numeric about people and places, as arrays with the batch on the last axis (prices
    are in `pricing.Prices`)."""

    rate: np.ndarray  # (E, N) per-person rate of each edge, per year
    out_rate: np.ndarray  # (M, N) total rate out of each stock
    initial: np.ndarray  # (M, N)
    entry_stocks: np.ndarray  # (B,) stocks entrants join
    entrants: np.ndarray  # (B, N) per year at time 0
    entrants_growth: np.ndarray  # (B, N) growth of each band's entrants a year
    capacity: np.ndarray  # (R_cap, N)
    cost_per_place: np.ndarray  # (P, N)
    build_years: np.ndarray  # (P, N)
    loss_years: np.ndarray  # (P, N)
    initial_places: np.ndarray  # (P, N)
    trend: np.ndarray  # (E, N) log(1 + trend a year) of each edge's rate (0: constant)
    migration: np.ndarray  # (B, N) net migration a year into (out of, if negative) each band's entry stock


@dataclass(frozen=True)
class _EdgeRoles:
    """Which edges take which parameter (as edge indices): the same for every member of a batch, so worked out
    once."""

    is_move: np.ndarray
    move_t: np.ndarray
    move_row: np.ndarray
    move_b: np.ndarray
    move_k: np.ndarray
    to_emergency: np.ndarray
    ageing: np.ndarray
    ageing_b: np.ndarray
    referral: list[np.ndarray]
    referral_state: list[list[str]]
    completion: list[np.ndarray]
    fade: list[np.ndarray]
    src_c: np.ndarray
    queue_target: dict[int, str]
    waiting_death: np.ndarray  # queue hazards to dead of people waiting in the emergency state
    segment_moves: np.ndarray  # moves between segments
    deconditioning: np.ndarray
    src_b: np.ndarray  # band (slot) of each edge's source stock
    src_k: np.ndarray  # layer of each edge's source stock


def _edge_roles(lay: Layout, emergency_state: str) -> _EdgeRoles:
    c_index = {c: i for i, c in enumerate(lay.compartments)}
    src_c, src_b, src_k = lay.unravel(lay.src)
    dst_c, _, dst_k = lay.unravel(lay.dst)
    is_move = (lay.kind == TRANSITION) | (lay.kind == QUEUE_HAZARD)
    programmes = range(len(lay.programmes))
    referral = [np.flatnonzero((lay.kind == REFERRAL) & (dst_k == 1 + 2 * p)) for p in programmes]
    return _EdgeRoles(
        is_move=np.flatnonzero(is_move), move_t=lay.transition_of[is_move], move_row=lay.rate_row[is_move],
        move_b=src_b[is_move], move_k=src_k[is_move],
        to_emergency=np.flatnonzero((lay.kind == QUEUE_HAZARD) & (dst_c == c_index.get(emergency_state, -1))),
        ageing=np.flatnonzero(lay.kind == AGEING), ageing_b=src_b[lay.kind == AGEING], referral=referral,
        referral_state=[[lay.compartments[c] for c in src_c[edges]] for edges in referral],
        completion=[np.flatnonzero((lay.kind == COMPLETION) & (src_k == 1 + 2 * p)) for p in programmes],
        fade=[np.flatnonzero((lay.kind == FADE) & (src_k == 2 + 2 * p)) for p in programmes],
        src_c=src_c, queue_target={c_index[queue_name(f, g)]: g for f, g in lay.queues},
        waiting_death=np.flatnonzero((lay.kind == QUEUE_HAZARD) & (dst_c == c_index[DEAD]) & np.isin(
            src_c, [c_index[queue_name(f, g)] for f, g in lay.queues if f == emergency_state])),
        segment_moves=np.flatnonzero(lay.kind == SEGMENT), deconditioning=np.flatnonzero(lay.kind == DECONDITION),
        src_b=src_b, src_k=src_k,
    )  # fmt: skip


def _edge_rates(s: Scenario, lay: Layout, roles: _EdgeRoles, memo: ByObject) -> np.ndarray:
    """Per-person rate of every edge for one scenario: transitions (times effects and the waiting
    risk), ageing, referrals, programme completion and fading."""
    shared = (s.transition_items, s.segments, s.delayed_discharge, *(iv.effects for iv in s.interventions))
    moved, dead, deconditioning = memo.get("moves", shared, lambda: _move_rates(s, lay, roles, memo))
    wait_mult = np.ones(len(lay.compartments))
    for qc, g in roles.queue_target.items():
        wait_mult[qc] = s.capacity[g].waiting_acute_risk_multiplier
    r = np.zeros(len(lay.src))
    r[roles.is_move] = moved
    r[roles.to_emergency] *= wait_mult[roles.src_c[roles.to_emergency]]
    if dead is not None:  # medically fit people waiting in hospital
        r[roles.waiting_death] = dead
    if deconditioning is not None:
        r[roles.deconditioning] = deconditioning
    ageing = memo.get("ageing", (s.demography, s.segments), lambda: by_slot(s, ageing_rates(s)))
    r[roles.ageing] = ageing[roles.ageing_b]
    if len(roles.segment_moves):
        moves = roles.segment_moves
        _, src_b, src_k = lay.unravel(lay.src[moves])
        r[moves] = move_rates(s, src_b, lay.unravel(lay.dst[moves])[1], src_k)
    for p, iv in enumerate(s.interventions):
        referrals, completion, fade = memo.get(f"programme {p}", iv, lambda iv=iv, p=p: _programme_rates(iv, roles, p))
        r[roles.referral[p]] = referrals
        r[roles.completion[p]] = completion
        if fade is not None:
            r[roles.fade[p]] = fade
    return r


def _programme_rates(iv: Intervention, roles: _EdgeRoles, p: int) -> tuple[Any, float, float | None]:
    """A programme's referral rates (from each state of its referral edges), completion and fading rates."""
    fade = 1 / iv.effect_years_after if iv.effect_years_after > 0 else None
    return [iv.referrals[state] for state in roles.referral_state[p]], 1 / iv.programme_years, fade


def _move_rates(s: Scenario, lay: Layout, roles: _EdgeRoles, memo: ByObject) -> tuple[Any, ...]:
    """The rate of every transition edge (by band and segment, times the programme's effect on its layer), of
    the deaths of people delayed in hospital (None without) and of deconditioning (None without)."""
    by_band = np.array([memo.get("band rates", t, lambda t=t: s.band_array(t.rate)) for t in s.transitions])
    by_band = by_band.reshape(len(s.transitions), len(s.age_bands))
    multipliers = memo.get("hazard multipliers", s.segments, lambda: hazard_multipliers(s))  # keys: the batch's
    base = by_slot(s, by_band.T).T * multipliers  # (rows, slots): x 1.0 without segments
    mult = np.ones((len(lay.transitions), len(lay.layers)))
    for p, iv in enumerate(s.interventions):
        for ti, rr in memo.get("effects", iv.effects, lambda iv=iv: _effect_rows(iv.effects, lay)):
            mult[ti, 1 + 2 * p] = mult[ti, 2 + 2 * p] = rr
    moved = base[roles.move_row, roles.move_b] * mult[roles.move_t, roles.move_k]
    dead = deconditioning = None
    if s.delayed_discharge is not None and s.delayed_discharge.death_rate is not None:  # medically fit
        edges = roles.waiting_death
        ti = lay.transitions.index((s.emergency_state, DEAD))
        in_segment = multipliers[[t.key for t in s.transitions].index(f"{s.emergency_state}->{DEAD}")]
        death = by_slot(s, s.band_array(s.delayed_discharge.death_rate)) * in_segment
        dead = death[roles.src_b[edges]] * mult[ti, roles.src_k[edges]]
    if s.delayed_discharge is not None and s.delayed_discharge.deconditioning is not None:
        share = s.delayed_discharge.deconditioning.extra_share_per_week  # per week, as an exact hazard
        deconditioning = -math.log1p(-share) * WEEKS_PER_YEAR
    return moved, dead, deconditioning


def _effect_rows(effects: dict[str, float], lay: Layout) -> list[tuple[int, float]]:
    """(transition row, relative rate) of a programme's effects."""
    return [(lay.transitions.index(split_key(key)), rr) for key, rr in effects.items()]  # type: ignore[arg-type]


def _edge_trends(s: Scenario, lay: Layout, roles: _EdgeRoles) -> np.ndarray:
    """log(1 + trend_per_year) of every edge: a transition's, also on the hazards of people waiting in its
    origin (their queue hazards count as the transition); 0 for ageing and programme flows."""
    trend = np.array([math.log1p(t.trend_per_year) for t in s.transitions] or [0.0])
    out = np.zeros(len(lay.src))
    out[roles.is_move] = trend[roles.move_t]
    return out


def build_parameters(scenarios: Sequence[Scenario], layout: Layout) -> Parameters:
    """The numbers of a batch of scenarios that share `layout`, member by member."""
    n_members, nb, n_prog = len(scenarios), len(layout.bands), len(layout.programmes)
    c_index = {c: i for i, c in enumerate(layout.compartments)}
    cap_names = [r.name for r in layout.resources[: layout.n_capacity]]
    roles = _edge_roles(layout, scenarios[0].emergency_state)
    rate = np.zeros((len(layout.src), n_members))
    trend = np.zeros((len(layout.src), n_members))
    initial = np.zeros((layout.n_stocks, n_members))
    arrays: dict[str, np.ndarray] = {
        "entrants": np.zeros((nb, n_members)),
        "entrants_growth": np.zeros((nb, n_members)),
        "migration": np.zeros((nb, n_members)),
        "capacity": np.zeros((len(cap_names), n_members)),
        "cost_per_place": np.ones((n_prog, n_members)),
        "build_years": np.zeros((n_prog, n_members)),
        "loss_years": np.zeros((n_prog, n_members)),
        "initial_places": np.zeros((n_prog, n_members)),
    }
    memo = ByObject()  # parts that members share (the same objects) are read once
    for n, s in enumerate(scenarios):
        rate[:, n] = _edge_rates(s, layout, roles, memo)
        trend[:, n] = memo.get("trends", s.transition_items, lambda s=s: _edge_trends(s, layout, roles))
        for p, iv in enumerate(s.interventions):
            arrays["cost_per_place"][p, n] = iv.cost_per_participant_year
            arrays["build_years"][p, n] = iv.ramp_up.build_years
            arrays["loss_years"][p, n] = iv.ramp_up.loss_years
            arrays["initial_places"][p, n] = iv.ramp_up.initial_places
        initial[:, n] = memo.get("initial", (s.initial, s.initial_waiting, s.initial_with_origin, s.segments),
                                 lambda s=s: _initial_stocks(s, layout, c_index))  # fmt: skip
        demography = memo.get("demography", (s.demography, s.segments), lambda s=s: _demography_arrays(s))
        for name, column in demography.items():
            arrays[name][:, n] = column
        for i, name in enumerate(cap_names):
            arrays["capacity"][i, n] = s.places_in(name, s.start_year)
    out_rate = np.zeros((layout.n_stocks, n_members))
    np.add.at(out_rate, layout.src, rate)
    entry = c_index.get(scenarios[0].demography.entry_state, 0)  # with no entrants, any stock will do
    entry_stocks = np.array([layout.index(entry, b, 0) for b in range(nb)])
    return Parameters(rate=rate, out_rate=out_rate, initial=initial, entry_stocks=entry_stocks, trend=trend, **arrays)


def _initial_stocks(s: Scenario, layout: Layout, c_index: dict[str, int]) -> np.ndarray:
    """People in each stock at the start: in each state, already in a queue, or remembering their origin."""
    nb = len(layout.bands)
    initial = np.zeros(layout.n_stocks)
    for state, by_band in s.initial.items():
        initial[[layout.index(c_index[state], b, 0) for b in range(nb)]] = per_slot(s, s.band_array(by_band))
    for key, by_band in s.initial_waiting.items():  # people already in a queue at the start
        q = c_index[queue_name(*split_key(key))]  # type: ignore[misc]
        initial[[layout.index(q, b, 0) for b in range(nb)]] = per_slot(s, s.band_array(by_band))
    for key, by_band in s.initial_with_origin.items():  # in hospital at the start, holding a care home place
        origin, state = split_key(key)  # type: ignore[misc]
        c = c_index[origin_name(state, origin)]
        initial[[layout.index(c, b, 0) for b in range(nb)]] = per_slot(s, s.band_array(by_band))
    return initial


def _demography_arrays(s: Scenario) -> dict[str, np.ndarray]:
    """Entrants a year, their growth and net migration, by slot."""
    demo = s.demography
    return {
        "entrants": per_slot(s, s.band_array(demo.entrants_per_year), entry=True),
        "entrants_growth": by_slot(s, np.array([demo.growth_of(b) for b in s.age_bands])),
        "migration": per_slot(s, s.band_array(demo.net_migration_per_year), entry=True),
    }


def programme_places(params: Parameters, budget: np.ndarray, grid: TimeGrid) -> tuple[np.ndarray, np.ndarray]:
    """Places each step and the places funded, both (steps, P, N): places follow funding (budget /
    cost per place-year, by simulated year) as a first-order delay, `build_years` up and `loss_years`
    down, so a cut takes capacity away slowly and building it back is slow too. Worked out once for
    both engines.

    Each step is  places = funded + (places - funded) x exp(-step / years), the years of the way it
    moves; within a simulated year the funded places are fixed, so places stay on one side of them
    and the direction is set once a year (at equality either factor gives the funded places). With
    no delay (years 0) the factor is 0: the funded places at once. The factors use `math.exp` (as
    compiled code and the discrete-event engine always have), not numpy's exp, whose last bit can differ."""
    year = grid.step_years_index(budget.shape[1])
    funded = budget[:, year, :].transpose(1, 0, 2) / params.cost_per_place
    return _follow(funded, params.initial_places, params.build_years, params.loss_years, year, grid), funded


def _follow(
    funded: np.ndarray, initial: np.ndarray, build: np.ndarray, loss: np.ndarray, year: np.ndarray, grid: TimeGrid
) -> np.ndarray:
    """Places (steps, K, N) following funded places (steps, K, N) by a first-order delay (`programme_places`)."""
    up, down = _decay(grid.step_years, build), _decay(grid.step_years, loss)
    places = np.empty_like(funded)
    now, gap, decay = initial.astype(float), np.empty_like(up), up
    for step in range(grid.n_steps):
        target = funded[step]
        if step == 0 or year[step] != year[step - 1]:
            decay = np.where(target > now, up, down)
        np.subtract(now, target, out=gap)
        np.multiply(gap, decay, out=gap)
        now = np.add(target, gap, out=places[step])
    return places


def capacity_places(
    scenarios: Sequence[Scenario], layout: Layout, grid: TimeGrid, at_step_end: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Places of each capacity-limited state during each step, and the places its budget funds, both
    (steps, R_cap, N). Given places follow their calendar year (a number, by year, or growing); places
    bought with a budget follow budget / cost_per_place_year by the same first-order delay as programme
    places, starting from `initial_places` (default: the first year's funded places). Funded is 0 for
    given places. Places changing `linear`ly between years are read at the middle of each step, or with
    `at_step_end` at its end: the stock-flow engine fills places at the end of each step, so a ceiling
    read half a step early would keep occupancy half a step's growth below the places (and the queue
    that much longer) for as long as the places grow (docs/design.md, "The step rule")."""
    names = [r.name for r in layout.resources[: layout.n_capacity]]
    n_years, n_members, first = simulated_years(scenarios[0]), len(scenarios), scenarios[0]
    year = grid.step_years_index(n_years)
    given = np.zeros((len(names), n_years, n_members))
    bought = np.zeros_like(given)
    ramp = np.zeros((3, len(names), n_members))  # build years, loss years, initial places
    memo = ByObject()  # a state's capacity, when members share it, is read once
    for n, s in enumerate(scenarios):
        for i, name in enumerate(names):
            cap = s.capacity[name]
            by_year = memo.get("places", cap, lambda s=s, name=name: _places_by_year(s, name, n_years))
            if cap.bought:
                bought[i, :, n] = by_year
                start = bought[i, 0, n] if cap.initial_places is None else cap.initial_places
                ramp[:, i, n] = cap.build_years, cap.loss_years, start
            else:
                given[i, :, n] = by_year
    places = given[:, year, :].transpose(1, 0, 2)
    linear = [first.capacity[name].between_years == "linear" for name in names]
    if any(linear):
        places[:, linear] = _between_years(given[linear], grid, at_step_end)
    funded = bought[:, year, :].transpose(1, 0, 2)
    is_bought = [first.capacity[name].bought for name in names]
    if any(is_bought):
        followed = _follow(funded, ramp[2], ramp[0], ramp[1], year, grid)
        places[:, is_bought] = followed[:, is_bought]
    return places, funded


def _places_by_year(s: Scenario, name: str, n_years: int) -> list[float]:
    """A capacity-limited state's places given in each simulated year, or those its budget funds."""
    cap = s.capacity[name]
    if cap.bought:
        return [s.place_budget_gbp(name, s.start_year + y) / cap.cost_per_place_year for y in range(n_years)]
    return [s.places_in(name, s.start_year + y) for y in range(n_years)]


def _between_years(given: np.ndarray, grid: TimeGrid, at_step_end: bool = False) -> np.ndarray:
    """Places (R, years, N) given for each calendar year, changing linearly from one year's number on 1 January
    to the next year's during each step (at the middle of the step, or its end): (steps, R, N). The year is
    the one the middle of the step falls in, so a year's last step ends on the next year's number."""
    mid = (np.arange(grid.n_steps) + 0.5) * grid.step_years
    read = mid + 0.5 * grid.step_years if at_step_end else mid
    last = given.shape[1] - 1
    year = np.minimum(np.floor(mid).astype(int), last)
    share = np.where(year < last, read - year, 0.0)[None, :, None]
    now, after = given[:, year, :], given[:, np.minimum(year + 1, last), :]
    return (now + share * (after - now)).transpose(1, 0, 2)


def _decay(h: float, years: np.ndarray) -> np.ndarray:
    """exp(-h / years) where years > 0 (0 elsewhere: those places jump to their target)."""
    return np.array([math.exp(-h / y) if y > 0 else 0.0 for y in years.ravel().tolist()]).reshape(years.shape)


def ageing_rates(s: Scenario) -> np.ndarray:
    """Annual rate of moving up from each band (the last band never ages out)."""
    ageing = s.demography.ageing
    if ageing is False:
        return np.zeros(len(s.age_bands))
    if isinstance(ageing, dict):
        rates = s.band_array(ageing)
    else:
        rates = np.array([1 / (band_width_years(b) or np.inf) for b in s.age_bands])
    rates[-1] = 0.0
    return rates
