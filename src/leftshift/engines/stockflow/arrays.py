"""What the stock-flow kernel is given: arrays grouped by what they describe.

numba passes a named tuple of arrays as cheaply as the arrays themselves, so the compiled functions
take six of these instead of sixty positional arguments, and a field's name says what it holds.
Shapes: M stocks, E edges, B age bands, R resources (capacity-limited states first, then
programmes), A admission edges, Q queue stocks, C compartments, T transitions, P programmes, N
members of the batch (always the last, contiguous axis).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

WAIT, OVERFLOW, LOST = 0, 1, 2  # `Resources.rule`
# how every kernel function is compiled: cached on disk, releasing the GIL (threads share a batch),
# and with numpy's rules for division by zero (inf or NaN, which `finite.py` reports) rather than raising
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
# the parts of a step are compiled as functions of their own, not inlined into `integrate` by numba
# (inline="always" doubled the first compile, 42 s -> 83 s, for no gain on a batch and ~10% on one run),
# and only `integrate` is called from Python: the parts get no Python wrapper (unboxing six named tuples
# of arrays is a quarter of the first compile: 44 s -> 37 s)
PART = {**JIT, "no_cpython_wrapper": True, "no_cfunc_wrapper": True}


class Network(NamedTuple):
    """The flows, the same for every member."""

    src: np.ndarray  # (E,) stock each edge takes people from
    dst: np.ndarray  # (E,) stock it takes them to
    src_ptr: np.ndarray  # (M+1,) edges out of stock m are src_edges[src_ptr[m]:src_ptr[m+1]]
    src_edges: np.ndarray  # (E,)
    entry_stocks: np.ndarray  # (B,) stocks new entrants join
    comp_of_stock: np.ndarray  # (M,) compartment of each stock (its price)
    transition_of: np.ndarray  # (E,) transition an edge counts as (its price; -1: none)


class Resources(NamedTuple):
    """Capacity-limited states then programmes, as compressed index lists (ptr[r]:ptr[r+1])."""

    rule: np.ndarray  # (R,) WAIT, OVERFLOW or LOST
    n_cap: int  # resources before this are capacity-limited states, the rest programmes
    occ_ptr: np.ndarray
    occ_idx: np.ndarray  # stocks counted against the places
    adm_ptr: np.ndarray
    adm_idx: np.ndarray  # edges that ask for a place
    adm_join: np.ndarray  # queue stock each admission edge's refused people wait in (-1: none)
    adm_sources: np.ndarray  # stocks with an admission edge out of them
    adm_on_ptr: np.ndarray
    adm_on_idx: np.ndarray  # for each admission edge, the stocks one move on from its target that hold a place
    dep_ptr: np.ndarray
    dep_idx: np.ndarray  # edges that free a place
    q_ptr: np.ndarray
    q_idx: np.ndarray  # queue stocks waiting for the resource
    q_target: np.ndarray  # stock each queue stock is admitted to
    q_on_ptr: np.ndarray
    q_on_idx: np.ndarray  # for each queue stock, the stocks one move on from its target that hold a place
    q_trans: np.ndarray  # transition an admission from each queue stock counts as (its price)
    res_comp: np.ndarray  # (R_cap,) compartment of each capacity-limited state (its weekly cost)


class Inputs(NamedTuple):
    """Per-member numbers about people and places, batch on the last axis."""

    x0: np.ndarray  # (M, N) people at time 0
    rate: np.ndarray  # (E, N) per-person rate of each edge
    out_rate: np.ndarray  # (M, N) total rate out of each stock
    entrants: np.ndarray  # (B, N) per year at time 0
    log_growth: np.ndarray  # (B, N) log(1 + entrants' growth a year), by band
    capacity: np.ndarray  # (steps, R_cap, N) places of each capacity-limited state during each step
    places: np.ndarray  # (steps, P, N) programme places during each step
    trend: np.ndarray  # (E, N) log(1 + trend a year) of each edge's rate (all 0: rates are constant)
    migration: np.ndarray  # (B, N) net migration a year into each band's entry stock (negative: out)


class Pricing(NamedTuple):
    """Per-member prices (see `pricing.Prices`)."""

    weekly_cost: np.ndarray  # (C, 4, N)
    transition_cost: np.ndarray  # (T, 4, N)
    overflow_premium: np.ndarray  # (R_cap, N)
    spend: np.ndarray  # (steps, P, N) budget paid in each step
    programme_payer: np.ndarray  # (P, N)
    cost_growth: np.ndarray  # (N,)
    discount_rate: np.ndarray  # (N,)
    annual: np.ndarray  # (N,) bool: annual discounting, (1 + r)^-floor(t mid-step), else continuous
    priced: np.ndarray  # (C + T + R_cap, 4) rows and payers with a price for some member


class Clock(NamedTuple):
    n_steps: int
    h: float  # step, years
    period_of_step: np.ndarray  # reporting period of each step
    period_last_step: np.ndarray  # last step of each period
    substeps: np.ndarray  # (steps,) equal internal RK4 steps in each step (`engine.substep_plan`)


class Record(NamedTuple):
    """Outputs, summed (or, for levels, taken at the end) per reporting period; see `Trajectory`."""

    stocks: np.ndarray
    person_years: np.ndarray
    flows: np.ndarray
    blocked: np.ndarray
    queue_admits: np.ndarray
    entrants: np.ndarray
    occupied: np.ndarray
    places: np.ndarray
    waiting: np.ndarray
    over_capacity: np.ndarray
    over_capacity_person_years: np.ndarray
    referrals: np.ndarray
    costs: np.ndarray
    costs_discounted: np.ndarray


class State(NamedTuple):
    """The working arrays of one call, allocated once and reused every step."""

    x: np.ndarray  # (M, N) people at the start of the step
    xs: np.ndarray  # (M, N) an RK4 stage
    xn: np.ndarray  # (M, N) people at the end of the step
    d: np.ndarray  # (M, N) derivative
    pacc: np.ndarray  # (M, N) RK4 time-integral of each stock over the step (person-years)
    out_now: np.ndarray  # (M, N) total rate out, admissions scaled by psi
    rate_now: np.ndarray  # (E, N) rates, admissions scaled by psi
    f: np.ndarray  # (E, N) people moved along each edge in the step
    ent: np.ndarray  # (B, N) entrants in the step
    step_admit: np.ndarray  # (Q, N) admitted from each queue stock in the step
    psi: np.ndarray  # (R, N) share of new demand that fits
    kappa: np.ndarray  # (Q, N) people a year admitted from each queue stock
    refused: np.ndarray  # (A, N) refused along each admission edge
    leave: np.ndarray  # (occupants, N) rate at which each occupant stock frees places
    cost: np.ndarray  # (C + T + R_cap, 4, N) costs of the step
    by_comp: np.ndarray  # (C, N) person-years by compartment
    by_trans: np.ndarray  # (T, N) moves by transition
    g_start: np.ndarray  # (B, N) entrants' growth at the start of the step
    g_mid: np.ndarray  # (B, N) ... at its middle
    g_end: np.ndarray  # (B, N) ... at its end
    growth: np.ndarray  # (N,) real growth of unit costs at mid-step
    discount: np.ndarray  # (N,) discount factor at mid-step
    both: np.ndarray  # (N,) their product
    growth_step: np.ndarray  # (N,) change of `growth` over one step
    discount_step: np.ndarray  # (N,) change of `discount` over one step
    # per resource, reused (separate arrays, not rows of one: a row view costs a reference count)
    cap: np.ndarray  # (N,) places
    space: np.ndarray  # (N,) places free (or, when recording, occupied)
    queued: np.ndarray  # (N,) people waiting
    wanted: np.ndarray  # (N,) demand for places
    total: np.ndarray  # (N,) a sum to share out in proportion
    comp_priced: np.ndarray  # (C,) compartments with a price
    trans_priced: np.ndarray  # (T,) transitions with a price
    rate_base: np.ndarray  # (E, N) rates during the step before capacity scaling (inp.rate without trends)
    joining: np.ndarray  # (A, N) per-person rate at which refused demand joins its queue during the step
    joined: np.ndarray  # (A, N) refused people moved into their queue in the step (`kernel._join_queues`)
    # sums over a step's internal steps (`kernel._rk4_substeps`)
    sum_pacc: np.ndarray  # (M, N)
    sum_f: np.ndarray  # (E, N)
    sum_ent: np.ndarray  # (B, N)
    sum_admit: np.ndarray  # (Q, N)
    sum_joined: np.ndarray  # (A, N)
