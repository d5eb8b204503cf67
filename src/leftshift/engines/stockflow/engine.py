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
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from leftshift.engines import RESOLUTIONS, check_resolution
from leftshift.engines.finite import check_trajectory
from leftshift.engines.model import Layout, Resource, TimeGrid, build_layout, structure_key
from leftshift.engines.parameters import Parameters, build_parameters, capacity_places, programme_places
from leftshift.engines.pricing import Prices, all_spend, build_prices
from leftshift.engines.stockflow.arrays import Clock, Inputs, Network, Pricing, Record, Resources
from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario.model import DEAD, PAYERS, WEEKS_PER_YEAR, Scenario

if TYPE_CHECKING:
    from leftshift.result import Result

T = TypeVar("T", Inputs, Pricing)

# The step rule (docs/design.md, "Step length"): over one internal step, RK4 moves a stock that only
# empties at rate k to R(z) = 1 - z + z^2/2 - z^3/6 + z^4/24 of itself instead of exp(-z), z = k x step;
# |R(z) - exp(-z)| <= 0.05 (5% of the people in the stock put in the wrong place) for z <= 1.5.
MAX_RATE_X_STEP = 1.5
MAX_SUBSTEPS = 64  # a flow needing more internal steps than this per step is refused: almost surely a typing error
THREADS_VARIABLE = "LEFTSHIFT_THREADS"  # threads per engine call; process pools set it to 1
CHUNK_MEMBERS = 64  # parameter sets per kernel call: ~1 MB of working set for the Leeds scenario


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
    substeps: np.ndarray  # (N,) equal internal steps each member took per step (`substeps`)


def _check_batch(scenarios: Sequence[Scenario]) -> None:
    first = scenarios[0]
    key = (structure_key(first), first.horizon_years, first.time_step_weeks, first.start_year)
    for i, s in enumerate(scenarios[1:], start=1):
        if (structure_key(s), s.horizon_years, s.time_step_weeks, s.start_year) != key:
            raise LeftshiftError(
                f"parameter set {i} has a different structure (states, bands, transitions, capacity rules, "
                "interventions, horizon or step) from set 0; a batch may vary numbers only"
            )


def fastest_rates(params: Parameters, layout: Layout, horizon: float) -> np.ndarray:
    """(M, N) total rate out of each stock at its highest over the horizon: with trends, at the start or
    the end (they change monotonically)."""
    if not params.trend.any():
        return params.out_rate
    out_rate = np.zeros_like(params.out_rate)
    np.add.at(out_rate, layout.src, params.rate * np.exp(np.maximum(params.trend, 0.0) * horizon))
    return out_rate


def substeps(params: Parameters, layout: Layout, step_years: float, horizon: float) -> np.ndarray:
    """Equal internal steps each member takes per step: the fewest that keep the fastest flow's rate x
    internal step within MAX_RATE_X_STEP. Refuses a member that would need more than MAX_SUBSTEPS, and
    says what to do."""
    out_rate = fastest_rates(params, layout, horizon)
    fastest = out_rate.max(axis=0) if out_rate.size else np.zeros(out_rate.shape[-1])
    needed = np.maximum(1, np.ceil(fastest * step_years / MAX_RATE_X_STEP)).astype(np.int64)
    if needed.max() > MAX_SUBSTEPS:
        member = int(needed.argmax())
        rate = float(fastest[member])
        c, _, _ = layout.unravel(np.array([int(out_rate[:, member].argmax())]))
        limit_weeks = MAX_RATE_X_STEP * MAX_SUBSTEPS / rate * WEEKS_PER_YEAR
        raise LeftshiftError([Problem(
            f"people leave '{layout.compartments[c[0]]}' at {rate:,.0f} a year (an average stay of "
            f"{24 * 365.25 / rate:.2g} hours), too fast for a step of {step_years * WEEKS_PER_YEAR:.3g} weeks "
            f"even in {MAX_SUBSTEPS} internal steps; check the rates out of it (a percentage written as a whole "
            f"number?), or use time_step_weeks of at most {limit_weeks:.3g}",
            path="time_step_weeks",
        )])  # fmt: skip
    return needed


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
    internal = substeps(params, layout, grid.step_years, grid.n_steps * grid.step_years)
    traj = _integrate(batch, layout, params, build_prices(batch, layout), grid, internal, progress, threads)
    check_trajectory(traj)  # inf or NaN (an input of 1e308, growth that overflows) is an error, not zeros
    return traj


def run(
    scenario: Scenario, resolution: str = "step", progress: Callable[[int], None] | None = None, **options: object
) -> Result:
    """The engine's front door (`leftshift.engines.ENGINES["stockflow"]`): one scenario, the tidy tables
    of a Result, reported every `resolution` (step, month or year). Batches call `simulate` instead and
    keep the Trajectory, which holds every member's arrays at once."""
    check_resolution(resolution)
    if options:
        raise LeftshiftError(f"the stock-flow engine takes no options ({', '.join(options)} given)")
    from leftshift.engines.tables import to_result  # the tables build on this module's Trajectory

    return to_result(simulate(scenario, record=RESOLUTIONS[resolution], progress=progress))


def _integrate(
    batch: tuple[Scenario, ...],
    layout: Layout,
    params: Parameters,
    prices: Prices,
    grid: TimeGrid,
    internal: np.ndarray,
    progress: Callable[[int], None] | None,
    threads: int | None,
) -> Trajectory:
    """Run the compiled kernel over the batch in slices, on threads, and gather what they record. A slice
    holds members that take the same internal steps (`internal`), so a member's numbers never depend on
    the batch it runs in."""
    from leftshift.engines.stockflow import kernel  # numba: imported when a run needs it

    n_members = len(batch)
    net, res = _network(layout, params), _resources(layout, prices)
    places, funded = programme_places(params, prices.budget, grid)
    inputs = Inputs(params.initial, params.rate, params.out_rate, params.entrants, np.log1p(params.entrants_growth),
                    capacity_places(batch, layout, grid)[0], places, params.trend, params.migration)  # fmt: skip
    spend, payer = all_spend(prices, grid)
    pricing = Pricing(prices.weekly_cost, prices.transition_cost, prices.overflow_premium, spend, payer,
                      prices.cost_growth, prices.discount_rate, prices.annual, prices.priced())  # fmt: skip
    rec = _record_arrays(layout, prices, grid, n_members)

    def run_slice(cols: np.ndarray) -> None:
        """Integrate members `cols`; arrays are copied so each slice is contiguous for the kernel."""
        outs = Record(*(np.zeros(v[..., cols].shape) for v in rec.values()))
        clock = Clock(
            grid.n_steps, grid.step_years, grid.period_of_step, grid.period_last_step(), int(internal[cols[0]])
        )
        kernel.integrate(net, res, _columns(inputs, cols), _columns(pricing, cols, shared=("priced",)), clock, outs)
        for name, v in zip(Record._fields, outs, strict=True):
            rec[name][..., cols] = v
        if progress is not None:
            progress(len(cols))

    chunks = _member_chunks(internal)
    workers = min(len(chunks), threads or int(os.environ.get(THREADS_VARIABLE, 0)) or os.cpu_count() or 1)
    if workers == 1:
        for cols in chunks:
            run_slice(cols)
    else:  # the kernel releases the GIL: threads share the batch's slices across cores
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_slice, chunks))
    return Trajectory(scenarios=batch, layout=layout, grid=grid, services=prices.services, substeps=internal,
                      funded_places=funded[grid.period_last_step()], **rec)  # fmt: skip


def _columns(arrays: T, cols: np.ndarray, shared: tuple[str, ...] = ()) -> T:
    """Members `cols` of every per-member array (all but `shared`), contiguous for the kernel's loops."""
    sliced = {name: np.ascontiguousarray(getattr(arrays, name)[..., cols]) for name in arrays._fields
              if name not in shared}  # fmt: skip
    return arrays._replace(**sliced)


def _member_chunks(internal: np.ndarray, size: int = CHUNK_MEMBERS) -> list[np.ndarray]:
    """The batch's members in slices small enough that one slice's working set stays in the CPU cache,
    each slice taking one number of internal steps."""
    chunks = []
    for n in np.unique(internal):
        members = np.flatnonzero(internal == n)
        chunks += [members[i : i + size] for i in range(0, len(members), size)]
    return chunks


def _record_arrays(layout: Layout, prices: Prices, grid: TimeGrid, n_members: int) -> dict[str, np.ndarray]:
    """Zeroed outputs for the whole batch, in the order of the kernel's `Record`."""
    n_periods, n_stocks, n_res = len(grid.period_end), layout.n_stocks, len(layout.resources)
    per_resource = (n_periods, n_res)
    shapes = {
        "stocks": (n_periods + 1, n_stocks),
        "person_years": (n_periods, n_stocks),
        "flows": (n_periods, len(layout.src)),
        "blocked": (n_periods, sum(len(r.admissions) for r in layout.resources)),
        "queue_admits": (n_periods, sum(len(r.queue_stocks) for r in layout.resources)),
        "entrants": (n_periods, len(layout.bands)),
        "occupied": per_resource,
        "places": per_resource,
        "waiting": per_resource,
        "over_capacity": per_resource,
        "over_capacity_person_years": per_resource,
        "referrals": (n_periods, len(layout.programmes)),
        "costs": (n_periods, len(prices.services), len(PAYERS)),
        "costs_discounted": (n_periods, len(prices.services), len(PAYERS)),
    }
    return {name: np.zeros((*shapes[name], n_members)) for name in Record._fields}


def _csr(groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays in compressed form (pointer, indices) for the compiled kernel."""
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    idx = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if groups else np.zeros(0, np.int64)
    return ptr, idx.astype(np.int64)


def _network(layout: Layout, params: Parameters) -> Network:
    by_source = np.argsort(layout.src, kind="stable")
    src_ptr = np.searchsorted(layout.src[by_source], np.arange(layout.n_stocks + 1)).astype(np.int64)
    comp_of_stock = layout.unravel(np.arange(layout.n_stocks))[0].astype(np.int64)
    return Network(layout.src, layout.dst, src_ptr, by_source, params.entry_stocks, comp_of_stock, layout.transition_of)


def _resources(layout: Layout, prices: Prices) -> Resources:
    resources = layout.resources
    occ_ptr, occ_idx = _csr([r.occupied for r in resources])
    adm_ptr, adm_idx = _csr([r.admissions for r in resources])
    _, adm_join = _csr([r.join_queue for r in resources])
    dep_ptr, dep_idx = _csr([r.departures for r in resources])
    q_ptr, q_idx = _csr([r.queue_stocks for r in resources])
    _, q_target = _csr([r.queue_targets for r in resources])
    q_on_ptr, q_on_idx = _csr([_moved_on(layout, r, t) for r in resources for t in r.queue_targets])
    return Resources(
        rule=np.array([("wait", "overflow", "lost").index(r.rule) for r in resources], dtype=np.int64),
        n_cap=layout.n_capacity, occ_ptr=occ_ptr, occ_idx=occ_idx, adm_ptr=adm_ptr, adm_idx=adm_idx,
        adm_join=adm_join, adm_sources=np.unique(layout.src[adm_idx]), dep_ptr=dep_ptr, dep_idx=dep_idx,
        q_ptr=q_ptr, q_idx=q_idx, q_target=q_target, q_on_ptr=q_on_ptr, q_on_idx=q_on_idx,
        q_trans=prices.queue_transition,
        res_comp=prices.capacity_compartment,
    )  # fmt: skip


def _moved_on(layout: Layout, resource: Resource, target: int) -> np.ndarray:
    """The stocks other than `target` that hold one of the resource's places in target's band and layer:
    where people admitted to `target` may be at the end of the step and still count against the places."""
    _, band, layer = layout.unravel(resource.occupied)
    _, b, k = layout.unravel(np.array([target]))
    return resource.occupied[(band == b[0]) & (layer == k[0]) & (resource.occupied != target)]


__all__ = ["DEAD", "Parameters", "TimeGrid", "Trajectory", "build_parameters", "run", "simulate"]
