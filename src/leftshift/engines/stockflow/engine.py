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
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from leftshift.engines import RESOLUTIONS, check_resolution
from leftshift.engines.finite import check_trajectory
from leftshift.engines.memo import ByObject
from leftshift.engines.model import Layout, Resource, TimeGrid, build_layout, structure_key
from leftshift.engines.parameters import Parameters, build_parameters, capacity_places, programme_places
from leftshift.engines.pricing import Prices, all_spend, build_prices
from leftshift.engines.stockflow import steps
from leftshift.engines.stockflow.arrays import Clock, Inputs, Network, Pricing, Record, Resources
from leftshift.errors import LeftshiftError
from leftshift.scenario.model import DEAD, PAYERS, Scenario

if TYPE_CHECKING:
    from leftshift.result import Result

T = TypeVar("T", Inputs, Pricing)

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
    substeps: np.ndarray  # (N,) internal RK4 steps in an ordinary step of each member (more in transients: `steps`)


def _check_batch(scenarios: Sequence[Scenario]) -> None:
    first, memo = scenarios[0], ByObject()  # items that members share are read once
    key = (structure_key(first, memo), first.horizon_years, first.time_step_weeks, first.start_year)
    checked = {id(first)}  # a point repeated in the batch (the same object) is checked once
    for i, s in enumerate(scenarios[1:], start=1):
        if id(s) in checked:
            continue
        checked.add(id(s))
        if (structure_key(s, memo), s.horizon_years, s.time_step_weeks, s.start_year) != key:
            raise LeftshiftError(
                f"parameter set {i} has a different structure (states, bands, transitions, capacity rules, "
                "interventions, horizon or step) from set 0; a batch may vary numbers only"
            )


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
    index = {id(s): n for n, s in reversed(list(enumerate(batch)))}
    if len(index) < len(batch):  # a design may repeat a point (the same object): run it once, copy its results
        distinct = [batch[n] for n in sorted(index.values())]
        position = {id(s): n for n, s in enumerate(distinct)}
        traj = _run(tuple(distinct), record, progress, threads, check=False)
        if progress is not None:
            progress(len(batch) - len(distinct))
        return _repeated(traj, batch, np.array([position[id(s)] for s in batch]))
    return _run(batch, record, progress, threads)


def _run(
    batch: tuple[Scenario, ...],
    record: str,
    progress: Callable[[int], None] | None,
    threads: int | None,
    check: bool = True,
) -> Trajectory:
    """`simulate` of a batch of distinct members; with `check`, refuse non-finite results."""
    first = batch[0]
    layout = build_layout(first)
    params = build_parameters(batch, layout)
    grid = TimeGrid.for_scenario(first, record)
    capacity = capacity_places(batch, layout, grid, at_step_end=True)[0]  # the end-of-step pass fills to these
    internal = steps.plan(params, layout, grid, capacity)
    traj = _integrate(batch, layout, params, build_prices(batch, layout), grid, capacity, internal, progress, threads)
    if check:
        check_trajectory(traj)  # inf or NaN (an input of 1e308, growth that overflows) is an error, not zeros
    return traj


def _repeated(traj: Trajectory, batch: tuple[Scenario, ...], member: np.ndarray) -> Trajectory:
    """The trajectory of `batch`, whose member n is member `member[n]` of `traj`: a member's numbers never
    depend on the batch it runs in (`_integrate`), so a repeated point's results are its first run's."""
    arrays = {f.name: getattr(traj, f.name)[..., member] for f in fields(traj)
              if isinstance(getattr(traj, f.name), np.ndarray)}  # fmt: skip
    out = replace(traj, scenarios=batch, **arrays)
    check_trajectory(out)
    return out


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
    capacity: np.ndarray,
    internal: tuple[np.ndarray, np.ndarray],
    progress: Callable[[int], None] | None,
    threads: int | None,
) -> Trajectory:
    """Run the compiled kernel over the batch in slices, on threads, and gather what they record. A slice
    holds members with one plan of internal steps (`steps.plan`), so that a member's numbers never depend
    on the batch it runs in."""
    from leftshift.engines.stockflow import kernel  # numba: imported when a run needs it

    n_members = len(batch)
    net, res = _network(layout, params), _resources(layout, prices)
    places, funded = programme_places(params, prices.budget, grid)
    inputs = Inputs(params.initial, params.rate, params.out_rate, params.entrants, np.log1p(params.entrants_growth),
                    capacity, places, params.trend, params.migration)  # fmt: skip
    spend, payer = all_spend(prices, grid)
    pricing = Pricing(prices.weekly_cost, prices.transition_cost, prices.overflow_premium, spend, payer,
                      prices.cost_growth, prices.discount_rate, prices.annual, prices.priced())  # fmt: skip
    rec = _record_arrays(layout, prices, grid, n_members)

    def run_slice(cols: np.ndarray) -> None:
        """Integrate members `cols`; arrays are copied so each slice is contiguous for the kernel."""
        outs = Record(*(np.zeros(v[..., cols].shape) for v in rec.values()))
        clock = Clock(grid.n_steps, grid.step_years, grid.period_of_step, grid.period_last_step(),
                      np.ascontiguousarray(plan[:, cols[0]]))  # fmt: skip
        kernel.integrate(net, res, _columns(inputs, cols), _columns(pricing, cols, shared=("priced",)), clock, outs)
        for name, v in zip(Record._fields, outs, strict=True):
            rec[name][..., cols] = v
        if progress is not None:
            progress(len(cols))

    plan, ordinary = internal
    chunks = _member_chunks(plan)
    workers = min(len(chunks), threads or int(os.environ.get(THREADS_VARIABLE, 0)) or os.cpu_count() or 1)
    if workers == 1:
        for cols in chunks:
            run_slice(cols)
    else:  # the kernel releases the GIL: threads share the batch's slices across cores
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_slice, chunks))
    return Trajectory(scenarios=batch, layout=layout, grid=grid, services=prices.services, substeps=ordinary,
                      funded_places=funded[grid.period_last_step()], **rec)  # fmt: skip


def _columns(arrays: T, cols: np.ndarray, shared: tuple[str, ...] = ()) -> T:
    """Members `cols` of every per-member array (all but `shared`), contiguous for the kernel's loops."""
    sliced = {name: np.ascontiguousarray(getattr(arrays, name)[..., cols]) for name in arrays._fields
              if name not in shared}  # fmt: skip
    return arrays._replace(**sliced)


def _member_chunks(plan: np.ndarray, size: int = CHUNK_MEMBERS) -> list[np.ndarray]:
    """The batch's members in slices small enough that one slice's working set stays in the CPU cache,
    each slice sharing one plan of internal steps (a column of `plan`)."""
    columns = np.ascontiguousarray(plan.T)
    groups: dict[bytes, list[int]] = {}
    for m, column in enumerate(columns):
        groups.setdefault(column.tobytes(), []).append(m)
    chunks = []
    for members in sorted(groups.values(), key=lambda group: columns[group[0]].tolist()):  # plans in order
        chunks += [np.array(members[i : i + size]) for i in range(0, len(members), size)]
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
    hops = _one_move_on(layout)
    adm_on_ptr, adm_on_idx = _csr([_held(hops, r, layout.dst[e]) for r in resources for e in r.admissions])
    q_on_ptr, q_on_idx = _csr([_held(hops, r, t) for r in resources for t in r.queue_targets])
    return Resources(
        rule=np.array([("wait", "overflow", "lost").index(r.rule) for r in resources], dtype=np.int64),
        n_cap=layout.n_capacity, occ_ptr=occ_ptr, occ_idx=occ_idx, adm_ptr=adm_ptr, adm_idx=adm_idx,
        adm_join=adm_join, adm_sources=np.unique(layout.src[adm_idx]), adm_on_ptr=adm_on_ptr, adm_on_idx=adm_on_idx,
        dep_ptr=dep_ptr, dep_idx=dep_idx,
        q_ptr=q_ptr, q_idx=q_idx, q_target=q_target, q_on_ptr=q_on_ptr, q_on_idx=q_on_idx,
        q_trans=prices.queue_transition,
        res_comp=prices.capacity_compartment,
    )  # fmt: skip


def _one_move_on(layout: Layout) -> dict[int, set[int]]:
    """Where people in each stock can be one move later: along a flow (ageing, leaving a programme, a hospital
    stay that holds a place), or into the queue of a service that refused them."""
    hops: dict[int, set[int]] = {}
    for s, g in zip(layout.src.tolist(), layout.dst.tolist(), strict=True):
        hops.setdefault(s, set()).add(g)
    for r in layout.resources:
        for e, join in zip(r.admissions.tolist(), r.join_queue.tolist(), strict=True):
            if join >= 0:
                hops.setdefault(int(layout.src[e]), set()).add(join)
    return hops


def _held(hops: dict[int, set[int]], resource: Resource, target: int) -> np.ndarray:
    """The stocks one move on from `target` that still hold one of the resource's places: where people
    admitted to `target` in a step may be at its end, which an undo of the admission must look in too."""
    held = set(resource.occupied.tolist()) - {target}
    return np.array(sorted(hops.get(int(target), set()) & held), dtype=np.int64)


__all__ = ["DEAD", "Parameters", "TimeGrid", "Trajectory", "build_parameters", "run", "simulate"]
