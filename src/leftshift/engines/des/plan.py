"""The discrete-event engine's static plan: what every replication of a scenario shares.

It builds on the layout, parameters and prices both engines share (`engines/model.py`,
`parameters.py`, `pricing.py`), so that both read a scenario the same way (same stocks, per-person
rates, places and costs); what it adds is the event structure:
which moves need a capacity check, which resources a move leaves, and the *channels* — groups of
identical people whose next event is drawn as one clock (see docs/des.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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
    build_layout,
)  # fmt: skip
from leftshift.engines.parameters import Parameters, build_parameters, capacity_places, programme_places
from leftshift.engines.pricing import Prices, build_prices
from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario.model import Scenario

WAIT, OVERFLOW, LOST = 0, 1, 2
RULES = {"wait": WAIT, "overflow": OVERFLOW, "lost": LOST}
OUTCOMES = ("admitted", "turned_away", "overflow", "died_waiting", "left_waiting", "still_waiting")
ADMITTED, TURNED_AWAY, OVERFLOWED, DIED_WAITING, LEFT_WAITING, STILL_WAITING = range(len(OUTCOMES))
MAX_EXPECTED_EVENTS = 2e9  # ~ hours of run time: refuse rather than appear to hang


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    layout: Layout
    params: Parameters
    prices: Prices
    grid: TimeGrid
    programme_places: np.ndarray  # (steps, programmes) places during each step, before rounding
    funded_places: np.ndarray  # (steps, programmes)
    stock_names: tuple[str, ...]  # "compartment|band|layer": the key of every random stream
    initial: tuple[float, ...]
    is_queue: tuple[bool, ...]
    band_of: tuple[int, ...]
    compartment_of: tuple[int, ...]
    # edges (layout order)
    src: tuple[int, ...]
    dst: tuple[int, ...]
    plain: tuple[bool, ...]  # no resource involved: a move between two counts
    adm_res: tuple[int, ...]  # resource this edge asks to enter (-1: none)
    join_stock: tuple[int, ...]  # queue stock to wait in when refused (-1: cannot wait)
    blocked_col: tuple[int, ...]  # column in the `blocked` record (-1: not an admission)
    dep_move: tuple[tuple[int, ...], ...]  # resources left when the move happens
    dep_join: tuple[tuple[int, ...], ...]  # resources left when joining the queue instead
    # channels: one clock per (stock, kind of move)
    ch_name: tuple[str, ...]
    ch_stock: tuple[int, ...]
    ch_rate: tuple[float, ...]  # total per-person rate of the channel's edges, per year
    ch_edges: tuple[tuple[int, ...], ...]
    ch_cum: tuple[tuple[float, ...], ...]  # cumulative shares of the edges (last = 1)
    ch_queue: tuple[bool, ...]  # a queue stock's channel: also picks which waiting person moves
    stock_channels: tuple[tuple[int, ...], ...]
    # resources (capacity states first, then programmes, as in the layout)
    n_cap: int
    rule: tuple[int, ...]  # per capacity resource
    places: tuple[int, ...]  # per capacity resource, at the start
    capacity_places: np.ndarray  # (steps, R_cap) whole places of each capacity-limited state during each step
    capacity_funded: np.ndarray  # (steps, R_cap) places its budget funds (0 for places given)
    queue_res: tuple[int, ...]  # per stock: resource a queue stock waits for (-1)
    queue_target: tuple[int, ...]  # per stock: where a queue stock's people are admitted
    queue_col: tuple[int, ...]  # per stock: column in the `queue_admits` record
    queue_dep: tuple[tuple[int, ...], ...]  # per stock: resources left on admission from the queue
    entry_band_rates: tuple[float, ...]  # entrants per year at time 0, by band
    entry_stocks: tuple[int, ...]

    @property
    def n_stocks(self) -> int:
        return len(self.stock_names)

    @property
    def n_resources(self) -> int:
        return len(self.layout.resources)


def _group(kind: int) -> str:
    if kind in (TRANSITION, QUEUE_HAZARD):
        return "moves"
    if kind == AGEING:
        return "ageing"
    if kind == REFERRAL:
        return "referral"
    if kind == COMPLETION:
        return "completion"
    if kind == FADE:
        return "fade"
    if kind == DECONDITION:
        return "deconditioning"
    if kind == SEGMENT:
        return "segment"
    raise AssertionError(kind)


def check_representable(s: Scenario, expected_events: float) -> None:
    """Raise a LeftshiftError naming the key for anything this engine cannot run as written."""
    problems = []
    for name, cap in s.capacity.items():
        written = cap.places if isinstance(cap.places, dict) else {"": cap.places}  # growing or bought: rounded
        for year, places in written.items():
            if isinstance(places, int | float) and not float(places).is_integer():
                problems.append(Problem(
                    f"the discrete-event engine needs a whole number of places (got {places}); "
                    "round it, or use the stock-flow engine",
                    path=f"capacity.{name}.places" + (f".{year}" if year else ""),
                ))  # fmt: skip
    if expected_events > MAX_EXPECTED_EVENTS:
        problems.append(Problem(
            f"about {expected_events:.2g} events per replication: too many to simulate one by one "
            f"(limit {MAX_EXPECTED_EVENTS:.0g}); shorten the horizon or use the stock-flow engine",
            path="horizon_years",
        ))  # fmt: skip
    if problems:
        raise LeftshiftError(problems)


def build_plan(s: Scenario) -> Plan:
    layout = build_layout(s)
    params = build_parameters([s], layout)
    grid = TimeGrid.for_scenario(s, "full")
    prices = build_prices([s], layout)
    places, funded = programme_places(params, prices.budget, grid)
    cap_places, cap_funded = capacity_places([s], layout, grid)
    comp, bands, layers = layout.compartments, layout.bands, layout.layers
    n_stocks = layout.n_stocks
    c_of, b_of, k_of = (a.tolist() for a in layout.unravel(np.arange(n_stocks)))
    names = tuple(f"{comp[c]}|{bands[b]}|{layers[k]}" for c, b, k in zip(c_of, b_of, k_of, strict=True))
    is_queue = tuple(comp[c].startswith("waiting:") for c in c_of)
    rate = params.rate[:, 0]
    src, dst, kind = layout.src.tolist(), layout.dst.tolist(), layout.kind.tolist()
    n_edges = len(src)

    occ: list[set[int]] = [set() for _ in range(n_stocks)]
    for i, r in enumerate(layout.resources):
        for stock in r.occupied.tolist():
            occ[stock].add(i)
    adm_res, join_stock, blocked_col = [-1] * n_edges, [-1] * n_edges, [-1] * n_edges
    col = 0
    for i, r in enumerate(layout.resources):
        for e, q in zip(r.admissions.tolist(), r.join_queue.tolist(), strict=True):
            if adm_res[e] >= 0:
                raise AssertionError(f"edge {e} admits to two resources")
            adm_res[e], join_stock[e], blocked_col[e] = i, q, col
            col += 1
    dep_move = tuple(tuple(sorted(occ[src[e]] - occ[dst[e]])) for e in range(n_edges))
    dep_join = tuple(
        tuple(sorted(occ[src[e]] - occ[join_stock[e]])) if join_stock[e] >= 0 else () for e in range(n_edges)
    )
    for e in range(n_edges):
        entered = occ[dst[e]] - occ[src[e]]
        if entered - ({adm_res[e]} if adm_res[e] >= 0 else set()):
            raise AssertionError(f"edge {e} enters resources {entered} without an admission check")
    plain = tuple(adm_res[e] < 0 and not dep_move[e] and not is_queue[src[e]] for e in range(n_edges))

    queue_res, queue_target, queue_col = [-1] * n_stocks, [-1] * n_stocks, [-1] * n_stocks
    queue_dep: list[tuple[int, ...]] = [()] * n_stocks
    col = 0
    for i, r in enumerate(layout.resources):
        for q, target in zip(r.queue_stocks.tolist(), r.queue_targets.tolist(), strict=True):
            queue_res[q], queue_target[q], queue_col[q] = i, target, col
            queue_dep[q] = tuple(sorted(occ[q] - occ[target]))
            col += 1

    # Channels: the edges of a stock grouped by kind of move; edges ordered by target name so that
    # two scenarios sharing a stock share its channels' random numbers.
    groups: dict[tuple[int, str], list[int]] = {}
    for e in range(n_edges):
        if rate[e] > 0:
            groups.setdefault((src[e], _group(kind[e])), []).append(e)
    ch_name, ch_stock, ch_rate, ch_edges, ch_cum = [], [], [], [], []
    stock_channels: list[list[int]] = [[] for _ in range(n_stocks)]
    for (stock, group), edges in sorted(groups.items(), key=lambda item: (names[item[0][0]], item[0][1])):
        edges.sort(key=lambda e: names[dst[e]])
        rates = np.array([rate[e] for e in edges])
        cum = np.cumsum(rates) / rates.sum()
        cum[-1] = 1.0
        stock_channels[stock].append(len(ch_name))
        ch_name.append(f"{names[stock]}|{group}")
        ch_stock.append(stock)
        ch_rate.append(float(rates.sum()))
        ch_edges.append(tuple(edges))
        ch_cum.append(tuple(cum.tolist()))

    n_cap = layout.n_capacity
    caps = [s.capacity[r.name] for r in layout.resources[:n_cap]]
    initial = params.initial[:, 0]
    growth = np.maximum(1.0, (1 + params.entrants_growth[:, 0]) ** s.horizon_years)
    arrivals = float(params.entrants[:, 0] @ growth) + float(np.abs(params.migration[:, 0]).sum())
    expected = s.horizon_years * (float(params.out_rate[:, 0] @ initial) + arrivals)
    check_representable(s, expected)
    whole = np.floor(cap_places[:, :, 0] + 0.5).astype(np.int64)  # places bought or growing: whole ones open
    return Plan(
        scenario=s, layout=layout, params=params, prices=prices, grid=grid, programme_places=places[:, :, 0],
        funded_places=funded[:, :, 0], stock_names=names,
        initial=tuple(initial.tolist()), is_queue=is_queue, band_of=tuple(b_of), compartment_of=tuple(c_of),
        src=tuple(src), dst=tuple(dst), plain=plain, adm_res=tuple(adm_res), join_stock=tuple(join_stock),
        blocked_col=tuple(blocked_col), dep_move=dep_move, dep_join=dep_join,
        ch_name=tuple(ch_name), ch_stock=tuple(ch_stock), ch_rate=tuple(ch_rate), ch_edges=tuple(ch_edges),
        ch_cum=tuple(ch_cum), ch_queue=tuple(is_queue[st] for st in ch_stock),
        stock_channels=tuple(tuple(c) for c in stock_channels),
        n_cap=n_cap, rule=tuple(RULES[c.when_full] for c in caps), places=tuple(int(x) for x in whole[0]),
        capacity_places=whole, capacity_funded=cap_funded[:, :, 0],
        queue_res=tuple(queue_res), queue_target=tuple(queue_target), queue_col=tuple(queue_col),
        queue_dep=tuple(queue_dep), entry_band_rates=tuple(params.entrants[:, 0].tolist()),
        entry_stocks=tuple(params.entry_stocks.tolist()),
    )  # fmt: skip


def bound_grid(largest: float = 1e13) -> list[int]:
    """Upper bounds for a channel's head count: steps of ~19% (2^(1/4)) up to 256, then of 2%.

    A channel draws candidate events as if it held a grid value of people, and accepts each with
    probability (people now) / (grid value). Snapping to a fixed grid (rather than, say, 3% above
    the current count) means two runs whose counts differ a little mostly use the same bound, so
    their candidates stay in step (common random numbers). Coarse steps for small counts keep them
    in step for the small stocks (hospital wards, queues) that shape waits, at the cost of ~10%
    rejected candidates there; fine steps keep rejections near 2% where most events happen.
    """
    grid, value = [1], 1.0
    while grid[-1] < largest:
        value *= 2**0.25 if value < 256 else 1.02
        if math.floor(value) > grid[-1]:
            grid.append(math.floor(value))
    return grid
