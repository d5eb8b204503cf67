"""The stock-flow engine's index of stocks and flows, built once from a scenario's structure.

A stock is (compartment, age band, programme layer); compartments are the scenario's states, `dead`
and one queue per capacity-limited transition that waits. A flow ("edge") moves people from one
stock to another at a per-person rate. Keeping this bookkeeping apart keeps the integrator small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leftshift.scenario.model import DEAD, Scenario, band_width_years

NONE = "none"

# Edge kinds (small ints so arrays can hold them).
TRANSITION, QUEUE_HAZARD, AGEING, REFERRAL, COMPLETION, FADE = range(6)
KIND_NAMES = ("transition", "transition", "ageing", "referral", "completion", "fade")


def queue_name(origin: str, target: str) -> str:
    return f"waiting:{origin}->{target}"


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
    bands: tuple[str, ...]
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

    def edge_programme(self) -> np.ndarray:
        """Layer each edge reports under: the moving people's, or for a referral the programme joined."""
        src_layer = self.unravel(self.src)[2]
        return np.where(self.kind == REFERRAL, self.unravel(self.dst)[2], src_layer)

    @property
    def n_stocks(self) -> int:
        return len(self.compartments) * len(self.bands) * len(self.layers)

    def index(self, compartment: int, band: int, layer: int) -> int:
        return (compartment * len(self.bands) + band) * len(self.layers) + layer

    def unravel(self, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.unravel_index(stock, (len(self.compartments), len(self.bands), len(self.layers)))

    def stocks_of(self, compartment: int) -> np.ndarray:
        n = len(self.bands) * len(self.layers)
        return np.arange(compartment * n, (compartment + 1) * n)

    def programme_layers(self, p: int) -> tuple[int, int]:
        """Layer indices of (taking part in, after) programme p."""
        return 1 + 2 * p, 2 + 2 * p


def structure_key(s: Scenario) -> tuple:
    """Scenarios with equal keys share a layout and can run in one vectorised batch."""
    return (
        tuple(s.states), tuple(s.age_bands), s.emergency_state,
        tuple(t.key for t in s.transitions),
        tuple((k, c.when_full) for k, c in sorted(s.capacity.items())),
        tuple((iv.name, tuple(iv.eligible.states), tuple(iv.eligible.age_bands or ()), tuple(iv.referrals),
               tuple(iv.effects), iv.effect_years_after > 0) for iv in s.interventions),
        s.demography.ageing is False, s.demography.entry_state,
    )  # fmt: skip


def build_layout(s: Scenario, prune: bool = True) -> Layout:
    """The stocks and flows of a scenario; `prune=False` keeps flows out of unreachable stocks (tests)."""
    states = [*s.states, DEAD]
    transitions = tuple((t.from_state, t.to) for t in s.transitions)
    t_index = {pair: i for i, pair in enumerate(transitions)}
    queues = tuple(
        (f, g) for f, g in transitions if g in s.capacity and s.capacity[g].when_full == "wait" and f != DEAD
    )
    compartments = (*states, *(queue_name(f, g) for f, g in queues))
    programmes = tuple(iv.name for iv in s.interventions)
    layers = (NONE, *[name for p in programmes for name in (p, f"after:{p}")])
    bands = tuple(s.age_bands)
    c_index = {name: i for i, name in enumerate(compartments)}
    nb, nl = len(bands), len(layers)

    def idx(c: int, b: int, k: int) -> int:
        return (c * nb + b) * nl + k

    edges: list[tuple[int, int, int, int]] = []  # src, dst, kind, transition
    living = [c for c, name in enumerate(compartments) if name != DEAD]
    for ti, (f, g) in enumerate(transitions):
        for b in range(nb):
            for k in range(nl):
                edges.append((idx(c_index[f], b, k), idx(c_index[g], b, k), TRANSITION, ti))
    for f, g in queues:
        qc = c_index[queue_name(f, g)]
        for hazard_target in (DEAD, s.emergency_state):
            ti = t_index.get((f, hazard_target))
            if ti is None or hazard_target in (f, g):  # waiting for hospital is not a way into it
                continue
            for b in range(nb):
                for k in range(nl):
                    edges.append((idx(qc, b, k), idx(c_index[hazard_target], b, k), QUEUE_HAZARD, ti))
    if s.demography.ageing is not False:
        for c in living:
            for b in range(nb - 1):
                for k in range(nl):
                    edges.append((idx(c, b, k), idx(c, b + 1, k), AGEING, -1))
    for p, iv in enumerate(s.interventions):
        k_in, k_after = 1 + 2 * p, 2 + 2 * p
        bands_ok = [b for b, name in enumerate(bands) if iv.eligible.age_bands is None or name in iv.eligible.age_bands]
        for state in iv.referrals:
            for b in bands_ok:
                edges.append((idx(c_index[state], b, 0), idx(c_index[state], b, k_in), REFERRAL, -1))
        for c in living:
            for b in range(nb):
                after = k_after if iv.effect_years_after > 0 else 0
                edges.append((idx(c, b, k_in), idx(c, b, after), COMPLETION, -1))
                if iv.effect_years_after > 0:
                    edges.append((idx(c, b, k_after), idx(c, b, 0), FADE, -1))

    edge_array = np.array(edges, dtype=np.int64).reshape(-1, 4)
    if prune:
        # moves the capacity rules make outside the edges: joining a queue, and leaving it for a place
        queue_moves = [(idx(c_index[f], b, k), idx(c_index[queue_name(f, g)], b, k)) for f, g in queues
                       for b in range(nb) for k in range(nl)]  # fmt: skip
        queue_moves += [(idx(c_index[queue_name(f, g)], b, k), idx(c_index[g], b, k)) for f, g in queues
                        for b in range(nb) for k in range(nl)]  # fmt: skip
        edge_array = _reachable_only(edge_array, np.array(queue_moves, dtype=np.int64).reshape(-1, 2), nl)
    edge_array = edge_array[np.argsort(edge_array[:, 1], kind="stable")]  # by target, for reduceat
    src, dst, kind, trans = (edge_array[:, i].copy() for i in range(4))

    def stock_mask(stocks: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(compartments) * nb * nl, dtype=bool)
        mask[stocks] = True
        return mask

    def stocks_of(c: int) -> np.ndarray:
        return np.arange(c * nb * nl, (c + 1) * nb * nl)

    resources: list[Resource] = []
    for name in s.capacity:
        rule = s.capacity[name].when_full
        c = c_index[name]
        waiting_here = [c_index[queue_name(f, g)] for f, g in queues if f == name]
        waiting_for = [(c_index[queue_name(f, g)]) for f, g in queues if g == name]
        occupied = np.concatenate([stocks_of(c), *[stocks_of(q) for q in waiting_here]])
        occ = stock_mask(occupied)
        target_is_state = stock_mask(stocks_of(c))
        admissions = np.flatnonzero(target_is_state[dst] & ~occ[src] & (kind != AGEING))
        join = np.full(len(admissions), -1, dtype=np.int64)
        if rule == "wait":
            for i, e in enumerate(admissions):
                origin_c, b, k = np.unravel_index(src[e], (len(compartments), nb, nl))
                qname = queue_name(compartments[origin_c], name)
                if qname in c_index:
                    join[i] = idx(c_index[qname], b, k)
        departures = np.flatnonzero(occ[src] & ~occ[dst])
        q_stocks = np.concatenate([stocks_of(q) for q in waiting_for]) if waiting_for else np.zeros(0, np.int64)
        q_targets = np.array([idx(c, *np.unravel_index(q, (len(compartments), nb, nl))[1:]) for q in q_stocks],
                             dtype=np.int64)  # fmt: skip
        resources.append(Resource(name, rule, occupied, admissions, join, departures, q_stocks, q_targets))
    n_capacity = len(resources)
    for p, name in enumerate(programmes):
        k_in = 1 + 2 * p
        occupied = np.array([idx(c, b, k_in) for c in living for b in range(nb)], dtype=np.int64)
        occ = stock_mask(occupied)
        admissions = np.flatnonzero((kind == REFERRAL) & occ[dst])
        departures = np.flatnonzero(occ[src] & ~occ[dst])
        empty = np.zeros(0, np.int64)
        resources.append(Resource(name, "lost", occupied, admissions, np.full(len(admissions), -1), departures,
                                  empty, empty))  # fmt: skip
    return Layout(
        compartments=compartments, bands=bands, layers=layers, transitions=transitions, queues=queues,
        programmes=programmes, src=src, dst=dst, kind=kind, transition_of=trans,
        resources=tuple(resources), n_capacity=n_capacity,
    )  # fmt: skip


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
