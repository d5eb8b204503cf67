"""What both engines read from a scenario, built once: stocks and flows, the time grid, the numbers.

A stock is (compartment, age band, programme layer); compartments are the scenario's states, `dead`
and one queue per capacity-limited transition that waits. A flow ("edge") moves people from one
stock to another at a per-person rate. The stock-flow engine integrates these flows and the
discrete-event engine draws them one person at a time; keeping the bookkeeping here means both read
a scenario the same way (same stocks, rates, places and calendar), and each engine stays small.
The numbers are in `parameters.py`, the prices in `pricing.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from leftshift.engines.memo import ByObject
from leftshift.engines.segments import band_of_slot, eligible_slots, move_edges, segment_of_slot, slot_names
from leftshift.errors import LeftshiftError
from leftshift.scenario.model import DEAD, WEEKS_PER_YEAR, Scenario, SplitTransition

NONE = "none"

# Edge kinds (small ints so arrays can hold them).
TRANSITION, QUEUE_HAZARD, AGEING, REFERRAL, COMPLETION, FADE, DECONDITION, SEGMENT = range(8)
KIND_NAMES = ("transition", "transition", "ageing", "referral", "completion", "fade", "deconditioning", "segment_move")
PERIODS_PER_YEAR = {"full": None, "monthly": 12, "yearly": 1}  # reporting periods: every step, or sums


def queue_name(origin: str, target: str) -> str:
    return f"waiting:{origin}->{target}"


ORIGIN_MARK = "|from:"


def origin_name(state: str, origin: str) -> str:
    """The compartment of people in a state that remembers origins who came from `origin`."""
    return f"{state}{ORIGIN_MARK}{origin}"


def state_of(compartment: str) -> str:
    """The state a compartment reports as: `acute|from:residential` is `acute`; others are themselves."""
    return compartment.split(ORIGIN_MARK)[0]


def queue_pair(compartment: str) -> tuple[str, str]:
    """(origin, target) of a queue compartment: the inverse of `queue_name`."""
    origin, target = compartment.removeprefix("waiting:").split("->")
    return origin, target


@dataclass(frozen=True)
class Resource:
    """A capacity-limited state or an intervention's places, with the index sets its rule needs."""

    name: str
    rule: str  # wait | overflow | lost
    occupied: np.ndarray  # stock indices counted against the places
    admissions: np.ndarray  # edge indices that bring people in
    join_queue: np.ndarray  # for each admission edge, the queue stock to wait in (-1: cannot wait)
    departures: np.ndarray  # edge indices that take people out
    queue_stocks: np.ndarray  # stocks waiting for this resource
    queue_targets: np.ndarray  # the stock each waiting stock is admitted to


@dataclass(frozen=True)
class Layout:
    compartments: tuple[str, ...]
    bands: tuple[str, ...]  # the band axis: age bands, or (age band, segment) slots (`segments.py`)
    layers: tuple[str, ...]
    transitions: tuple[tuple[str, str], ...]
    queues: tuple[tuple[str, str], ...]
    programmes: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    transition_of: np.ndarray  # transition index an edge counts as (-1 for none)
    resources: tuple[Resource, ...]  # capacity states first, then programmes
    n_capacity: int
    origins: tuple[tuple[str, str], ...] = ()  # (state, origin) of each origin compartment, after the queues
    rate_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # scenario transition of an edge
    segments: tuple[str, ...] = ()  # the scenario's segments (then `bands` holds one slot per band and segment)

    @property
    def age_bands(self) -> tuple[str, ...]:
        """The age band of each slot of the band axis (the bands themselves without segments)."""
        return tuple(band_of_slot(b) for b in self.bands)

    @property
    def slot_segments(self) -> tuple[str, ...]:
        """The segment of each slot of the band axis ('' without segments)."""
        return tuple(segment_of_slot(b) for b in self.bands)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The state each compartment reports as (origin compartments as their plain state)."""
        return tuple(state_of(c) for c in self.compartments)

    def entry_compartment(self, origin: str, target: str) -> str:
        """Where someone moving from state `origin` into `target` lands (an origin compartment if it has one)."""
        name = origin_name(target, origin)
        return name if name in self.compartments else target

    def compartments_of_state(self, state: str) -> list[int]:
        """The compartments that make up a state: itself and its origin compartments."""
        return [i for i, c in enumerate(self.compartments) if c == state or (state_of(c) == state and c != state
                                                                              and ORIGIN_MARK in c)]  # fmt: skip

    def edge_programme(self) -> np.ndarray:
        """Layer each edge reports under: the moving people's, or for a referral the programme joined."""
        src_layer = self.unravel(self.src)[2]
        return np.where(self.kind == REFERRAL, self.unravel(self.dst)[2], src_layer)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.compartments), len(self.bands), len(self.layers)

    @property
    def n_stocks(self) -> int:
        return len(self.compartments) * len(self.bands) * len(self.layers)

    def index(self, compartment: int, band: int, layer: int) -> int:
        return (compartment * len(self.bands) + band) * len(self.layers) + layer

    def unravel(self, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.unravel_index(stock, self.shape)

    def stocks_of(self, compartment: int) -> np.ndarray:
        n = len(self.bands) * len(self.layers)
        return np.arange(compartment * n, (compartment + 1) * n)

    def all_queue_stocks(self) -> tuple[np.ndarray, np.ndarray]:
        """Every queue stock and the stock it is admitted to, resource by resource (records' order)."""
        empty = [np.zeros(0, np.int64)]
        return (np.concatenate([r.queue_stocks for r in self.resources] or empty),
                np.concatenate([r.queue_targets for r in self.resources] or empty))  # fmt: skip

    def queue_transitions(self) -> np.ndarray:
        """The transition an admission from each queue stock counts as (for its price), in records' order."""
        stocks, _ = self.all_queue_stocks()
        pairs = [queue_pair(self.compartments[c]) for c in self.unravel(stocks)[0]]
        return np.array([self.transitions.index(pair) for pair in pairs], dtype=np.int64)


def structure_key(s: Scenario, memo: ByObject | None = None) -> tuple:
    """Scenarios with equal keys share a layout and can run in one vectorised batch. With `memo` (for a batch),
    the parts of items its members share are read once."""
    memo = memo or ByObject()
    moves = [move for item in s.transition_items for move in memo.get("moves", item, lambda item=item: tuple(
        (t.key, t.origin) for t in (item.moves if isinstance(item, SplitTransition) else (item,))))]  # fmt: skip
    return (
        tuple(s.states), tuple(s.age_bands), s.emergency_state,
        tuple(key for key, _ in moves), tuple(origin for _, origin in moves), tuple(s.remember_origin),
        tuple(s.initial_waiting), s.delayed_discharge is not None,
        s.delayed_discharge and s.delayed_discharge.deconditioning and s.delayed_discharge.deconditioning.to,
        tuple((k, *memo.get("capacity", c, lambda c=c: (c.when_full, *(("budget",) if c.bought else ()))))
              for k, c in sorted(s.capacity.items())),
        tuple(memo.get("programme", iv, lambda iv=iv: (
            iv.name, tuple(iv.eligible.states), tuple(iv.eligible.age_bands or ()), tuple(iv.referrals),
            tuple(iv.effects), iv.effect_years_after > 0)) for iv in s.interventions),
        s.demography.ageing is False, s.demography.entry_state,
        *((tuple(s.segments), tuple(s.segment_moves),
           tuple((tuple(iv.eligible.segments or ()), tuple(iv.moves_segments)) for iv in s.interventions))
          if s.segments else ()),
    )  # fmt: skip


def build_layout(s: Scenario, prune: bool = True) -> Layout:
    """The stocks and flows of a scenario; `prune=False` keeps flows out of unreachable stocks (tests)."""
    transitions = tuple(dict.fromkeys((t.from_state, t.to) for t in s.transitions))
    queues = tuple(
        (f, g) for f, g in transitions if g in s.capacity and s.capacity[g].when_full == "wait" and f != DEAD
    )
    origins = tuple(dict.fromkeys((t.from_state, t.origin) for t in s.transitions if t.origin is not None))
    compartments = (*s.states, DEAD, *(queue_name(f, g) for f, g in queues), *(origin_name(*o) for o in origins))
    programmes = tuple(iv.name for iv in s.interventions)
    layers = (NONE, *[name for p in programmes for name in (p, f"after:{p}")])
    bands = slot_names(s)
    skeleton = Layout(  # no flows yet: its index helpers are what the flows are built with
        compartments=compartments, bands=bands, layers=layers, transitions=transitions, queues=queues,
        programmes=programmes, src=np.zeros(0, np.int64), dst=np.zeros(0, np.int64), kind=np.zeros(0, np.int64),
        transition_of=np.zeros(0, np.int64), resources=(), n_capacity=0, origins=origins, segments=tuple(s.segments),
    )  # fmt: skip
    edge_array = _edges(s, skeleton)
    if prune:
        edge_array = _reachable_only(edge_array, _queue_moves(skeleton), len(layers))
    edge_array = edge_array[np.argsort(edge_array[:, 1], kind="stable")]  # by target, for reduceat
    src, dst, kind, trans, rate_row = (edge_array[:, i].copy() for i in range(5))
    wired = replace(skeleton, src=src, dst=dst, kind=kind, transition_of=trans, rate_row=rate_row)
    capacity = _capacity_resources(s, wired)
    resources = (*capacity, *_programme_resources(wired))
    return replace(wired, resources=resources, n_capacity=len(capacity))


def _edges(s: Scenario, lay: Layout) -> np.ndarray:
    """Every flow as rows (source stock, target stock, kind, transition, scenario transition whose rate it
    takes or -1), in a fixed order. A transition with `origin` leaves that origin's compartment; a move into
    a state that remembers origins lands in the mover's origin compartment if there is one."""
    idx, (_, nb, nl) = lay.index, lay.shape
    c_index = {name: i for i, name in enumerate(lay.compartments)}
    t_index = {pair: i for i, pair in enumerate(lay.transitions)}
    plain_row = {(t.from_state, t.to): ri for ri, t in enumerate(s.transitions) if t.origin is None}
    edges: list[tuple[int, int, int, int, int]] = []
    living = [c for c, name in enumerate(lay.compartments) if name != DEAD]
    for ri, t in enumerate(s.transitions):
        ti = t_index[(t.from_state, t.to)]
        f = c_index[t.from_state if t.origin is None else origin_name(t.from_state, t.origin)]
        g = c_index[lay.entry_compartment(t.from_state, t.to)]
        for b in range(nb):
            for k in range(nl):
                edges.append((idx(f, b, k), idx(g, b, k), TRANSITION, ti, ri))
    for f, g in lay.queues:
        qc = c_index[queue_name(f, g)]
        for hazard_target in (DEAD, s.emergency_state):
            ti, ri = t_index.get((f, hazard_target)), plain_row.get((f, hazard_target))
            if ti is None or ri is None or hazard_target in (f, g):  # waiting for hospital is not a way into it
                continue
            hc = c_index[lay.entry_compartment(f, hazard_target)]
            for b in range(nb):
                for k in range(nl):
                    edges.append((idx(qc, b, k), idx(hc, b, k), QUEUE_HAZARD, ti, ri))
    worse = s.delayed_discharge.deconditioning if s.delayed_discharge else None
    if worse is not None:  # people delayed in hospital for one service come to need another
        needs = c_index[queue_name(s.emergency_state, worse.to)]
        for f, g in lay.queues:
            if f == s.emergency_state and g != worse.to:
                for b in range(nb):
                    for k in range(nl):
                        edges.append((idx(c_index[queue_name(f, g)], b, k), idx(needs, b, k), DECONDITION, -1, -1))
    up = max(1, len(s.segments))  # the same segment of the next band
    if s.demography.ageing is not False:
        for c in living:
            for b in range(nb - up):
                for k in range(nl):
                    edges.append((idx(c, b, k), idx(c, b + up, k), AGEING, -1, -1))
    edges += [(a, b, SEGMENT, -1, -1) for a, b in move_edges(s, idx, living, nl)]
    for p, iv in enumerate(s.interventions):
        k_in, k_after = 1 + 2 * p, 2 + 2 * p
        bands_ok = eligible_slots(s, iv.eligible.age_bands, iv.eligible.segments)
        for state in iv.referrals:
            for b in bands_ok:
                edges.append((idx(c_index[state], b, 0), idx(c_index[state], b, k_in), REFERRAL, -1, -1))
        for c in living:
            for b in range(nb):
                after = k_after if iv.effect_years_after > 0 else 0
                edges.append((idx(c, b, k_in), idx(c, b, after), COMPLETION, -1, -1))
                if iv.effect_years_after > 0:
                    edges.append((idx(c, b, k_after), idx(c, b, 0), FADE, -1, -1))
    return np.array(edges, dtype=np.int64).reshape(-1, 5)


def _queue_moves(lay: Layout) -> np.ndarray:
    """Moves the capacity rules make outside the edges: joining a queue, and leaving it for a place."""
    idx, (_, nb, nl) = lay.index, lay.shape
    c_index = {name: i for i, name in enumerate(lay.compartments)}
    moves = [(idx(c, b, k), idx(c_index[queue_name(f, g)], b, k)) for f, g in lay.queues
             for c in lay.compartments_of_state(f) for b in range(nb) for k in range(nl)]  # fmt: skip
    moves += [(idx(c_index[queue_name(f, g)], b, k), idx(c_index[lay.entry_compartment(f, g)], b, k))
              for f, g in lay.queues for b in range(nb) for k in range(nl)]  # fmt: skip
    return np.array(moves, dtype=np.int64).reshape(-1, 2)


def _stock_mask(lay: Layout, stocks: np.ndarray) -> np.ndarray:
    mask = np.zeros(lay.n_stocks, dtype=bool)
    mask[stocks] = True
    return mask


def _capacity_resources(s: Scenario, lay: Layout) -> list[Resource]:
    """One Resource per capacity-limited state: who counts against it, who asks in, who waits."""
    c_index = {name: i for i, name in enumerate(lay.compartments)}
    src, dst, kind = lay.src, lay.dst, lay.kind
    resources = []
    for name in s.capacity:
        rule = s.capacity[name].when_full
        state_cs = lay.compartments_of_state(name)
        waiting_here = [c_index[queue_name(f, g)] for f, g in lay.queues if f == name]
        waiting_for = [(c_index[queue_name(f, g)]) for f, g in lay.queues if g == name]
        held = [c_index[origin_name(*o)] for o in lay.origins if o[1] == name]  # in hospital, keeping their place
        occupied = np.concatenate([*[lay.stocks_of(x) for x in state_cs], *[lay.stocks_of(q) for q in waiting_here],
                                   *[lay.stocks_of(x) for x in held]])  # fmt: skip
        occ = _stock_mask(lay, occupied)
        target_is_state = _stock_mask(lay, np.concatenate([lay.stocks_of(x) for x in state_cs]))
        admissions = np.flatnonzero(target_is_state[dst] & ~occ[src] & (kind != AGEING))
        join = np.full(len(admissions), -1, dtype=np.int64)
        if rule == "wait":
            for i, e in enumerate(admissions):
                origin_c, b, k = lay.unravel(src[e])
                qname = queue_name(state_of(lay.compartments[origin_c]), name)
                if qname in c_index:
                    join[i] = lay.index(c_index[qname], b, k)
        departures = np.flatnonzero(occ[src] & ~occ[dst])
        q_stocks = np.concatenate([lay.stocks_of(q) for q in waiting_for]) if waiting_for else np.zeros(0, np.int64)
        lands = {c_index[queue_name(f, g)]: c_index[lay.entry_compartment(f, g)] for f, g in lay.queues if g == name}
        q_targets = np.array([lay.index(lands[lay.unravel(q)[0]], *lay.unravel(q)[1:]) for q in q_stocks],
                             dtype=np.int64)  # fmt: skip
        resources.append(Resource(name, rule, occupied, admissions, join, departures, q_stocks, q_targets))
    return resources


def _programme_resources(lay: Layout) -> list[Resource]:
    """One Resource per programme: its places, taken by referrals, freed as participants leave."""
    living = [c for c, name in enumerate(lay.compartments) if name != DEAD]
    resources = []
    for p, name in enumerate(lay.programmes):
        k_in = 1 + 2 * p
        occupied = np.array([lay.index(c, b, k_in) for c in living for b in range(len(lay.bands))], dtype=np.int64)
        occ = _stock_mask(lay, occupied)
        admissions = np.flatnonzero((lay.kind == REFERRAL) & occ[lay.dst])
        departures = np.flatnonzero(occ[lay.src] & ~occ[lay.dst])
        empty = np.zeros(0, np.int64)
        resources.append(Resource(name, "lost", occupied, admissions, np.full(len(admissions), -1), departures,
                                  empty, empty))  # fmt: skip
    return resources


def _reachable_only(edges: np.ndarray, other_moves: np.ndarray, n_layers: int) -> np.ndarray:
    """Drop edges out of stocks nobody can ever be in (e.g. a programme layer in a band that is not
    eligible and that no eligible band ages into): they would only cost time in every step."""
    pairs = np.vstack([edges[:, :2], other_moves])
    n_stocks = int(pairs.max()) + 1 if len(pairs) else 0
    reachable = np.zeros(n_stocks, dtype=bool)
    reachable[np.arange(n_stocks) % n_layers == 0] = True  # people start, and enter, outside programmes
    while True:
        grown = reachable.copy()
        grown[pairs[:, 1][reachable[pairs[:, 0]]]] = True
        if (grown == reachable).all():
            return edges[reachable[edges[:, 0]]]
        reachable = grown


def service_names(lay: Layout) -> tuple[str, ...]:
    """The rows of both engines' costs: person-time by compartment, moves, over-capacity premiums, budgets."""
    return (*lay.state_names, *(f"{f}->{g}" for f, g in lay.transitions),
            *(f"overflow:{r.name}" for r in lay.resources[: lay.n_capacity]),
            *(f"intervention:{p}" for p in lay.programmes))  # fmt: skip


def turned_away(lay: Layout, blocked: np.ndarray) -> np.ndarray:
    """Refused admissions that could not wait, summed per resource: (..., admission edges) -> (..., resources)."""
    turned = np.zeros((*blocked.shape[:-1], len(lay.resources)))
    start = 0
    for i, r in enumerate(lay.resources):
        cols = blocked[..., start : start + len(r.admissions)]
        turned[..., i] = cols[..., r.join_queue < 0].sum(axis=-1)
        start += len(r.admissions)
    return turned


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

    def period_last_step(self) -> np.ndarray:
        return np.searchsorted(self.period_of_step, np.arange(len(self.period_end)), side="right") - 1

    def period_years(self, start_year: int) -> np.ndarray:
        """Calendar year of each reporting period: the year the middle of its first step falls in."""
        first_step = np.searchsorted(self.period_of_step, np.arange(len(self.period_end)), side="left")
        return start_year + np.floor((first_step + 0.5) * self.step_years).astype(int)

    def step_years_index(self, n_years: int) -> np.ndarray:
        """Simulated year (0, 1, ..., capped at n_years - 1) the middle of each step falls in."""
        h = self.step_years
        return np.minimum(np.floor(np.arange(self.n_steps) * h + 0.5 * h).astype(int), n_years - 1)


def simulated_years(s: Scenario) -> int:
    """Years that budgets are looked up for: every year a step can start in, and one more."""
    return int(np.ceil(s.horizon_years)) + 1
