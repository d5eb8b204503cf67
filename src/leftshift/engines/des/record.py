"""What one replication of the discrete-event engine records at every reporting step.

Person-years are exact: each stock keeps the sum of (change in head count) x (time of change), so
the time integral of the head count over a step is  n(end) x end - n(start) x start - that sum,
without touching every stock at every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from leftshift.engines.des.plan import STILL_WAITING

if TYPE_CHECKING:
    import simpy

    from leftshift.engines.des.sim import _Replication


def events_scheduled(env: simpy.Environment) -> int:
    """Events SimPy has scheduled so far. SimPy has no public count, so this reads its event-id
    counter (`env._eid`; consumes one id, so call it when the run is over). The benchmark reports it
    beside a bare SimPy loop; tests/unit/engines/test_engines.py fails if the counter changes."""
    return next(env._eid)


@dataclass(frozen=True)
class RepOutput:
    """Everything one replication recorded, per step (arrays are small and pickle fast)."""

    replication: int
    stocks: np.ndarray  # (steps+1, stocks) people at step ends; row 0 initial
    person_years: np.ndarray  # (steps, stocks)
    flows: np.ndarray  # (steps, edges) moves that happened
    blocked: np.ndarray  # (steps, admission edges) refused: joined a queue or turned away
    queue_admits: np.ndarray  # (steps, queue stocks)
    entrants: np.ndarray  # (steps, bands)
    occupied: np.ndarray  # (steps, resources) at step end
    places: np.ndarray  # (steps, resources) places available during the step
    waiting: np.ndarray  # (steps, resources) at step end
    over_capacity: np.ndarray  # (steps, resources) at step end
    over_capacity_person_years: np.ndarray  # (steps, resources)
    funded_places: np.ndarray  # (steps, programmes)
    referrals: np.ndarray  # (steps, programmes)
    waits: dict[str, np.ndarray] | None  # one entry per attempt to enter a capacity-limited state
    events: int  # model events: moves, refusals, entrants, queue admissions
    simpy_events: int  # events SimPy scheduled (its own counter)


WAIT_NAMES = ("resource", "origin", "band", "time", "wait_years", "outcome")
WAIT_DTYPES = (np.int16, np.int16, np.int16, np.float64, np.float64, np.int8)
WAIT_CODES = ("h", "h", "h", "d", "d", "b")  # the same types, for the `array`s a replication appends to


COUNTERS = ("flows", "blocked", "queue_admits", "entrants", "referrals")


class Recorder:
    """Copies a replication's counters into per-step arrays and resets them."""

    def __init__(self, sim: _Replication) -> None:
        self.sim = sim
        p = sim.plan
        n_steps, n_res = p.grid.n_steps, p.n_resources
        self.counters = dict(zip(COUNTERS, (sim.flow, sim.blocked, sim.qadmit, sim.entered, sim.referrals),
                                 strict=True))  # fmt: skip
        self.rec = {name: np.zeros((n_steps, len(counter)), dtype=np.int64) for name, counter in self.counters.items()}
        self.rec["stocks"] = np.zeros((n_steps + 1, p.n_stocks), dtype=np.int64)
        self.rec["person_years"] = np.zeros((n_steps, p.n_stocks))
        for name in ("occupied", "places", "waiting", "over_capacity", "over_capacity_person_years"):
            self.rec[name] = np.zeros((n_steps, n_res))
        self.rec["funded_places"] = np.zeros((n_steps, len(sim.funded)))
        self.prev = np.array(sim.cnt, dtype=np.int64)
        self.rec["stocks"][0] = self.prev
        self.prev_excess = np.array(sim.excess, dtype=float)
        self.t0 = 0.0
        self.occupied_sets = [r.occupied for r in p.layout.resources]
        self.queue_sets = [r.queue_stocks for r in p.layout.resources]

    def record(self, k: int, t1: float) -> None:
        """Step k has just ended at time t1."""
        sim, rec, t0, n_cap = self.sim, self.rec, self.t0, self.sim.plan.n_cap
        now = np.array(sim.cnt, dtype=np.int64)
        rec["stocks"][k + 1] = now
        rec["person_years"][k] = np.maximum(now * t1 - self.prev * t0 - np.array(sim.acc), 0.0)
        sim.acc[:] = [0.0] * len(sim.acc)
        excess = np.array(sim.excess, dtype=float)
        over_py = excess * t1 - self.prev_excess * t0 - np.array(sim.over_acc)
        sim.over_acc[:] = [0.0] * n_cap
        for name, counter in self.counters.items():
            rec[name][k] = counter
            counter[:] = [0] * len(counter)
        occupied = np.array([now[idx].sum() for idx in self.occupied_sets], dtype=float)
        places = np.concatenate([[float(res.capacity) for res in sim.res[:n_cap]], np.array(sim.built, dtype=float)])
        rec["occupied"][k] = occupied
        rec["places"][k] = places
        rec["waiting"][k] = [now[q].sum() if len(q) else 0 for q in self.queue_sets]
        rec["over_capacity"][k] = np.maximum(occupied - places, 0.0)
        rec["over_capacity"][k, :n_cap] = excess
        rec["over_capacity_person_years"][k, :n_cap] = np.maximum(over_py, 0.0)
        rec["funded_places"][k] = sim.funded
        self.prev, self.prev_excess, self.t0 = now, excess, t1

    def finish(self) -> RepOutput:
        sim, rec = self.sim, self.rec
        events = int(sum(rec[name].sum() for name in ("flows", "blocked", "queue_admits", "entrants")))
        return RepOutput(
            replication=sim.replication, waits=self._waits(), events=events,
            simpy_events=events_scheduled(sim.env), **rec,
        )  # fmt: skip

    def _waits(self) -> dict[str, np.ndarray]:
        """Attempts in time order; people still waiting at the horizon get the wait so far."""
        horizon = self.t0
        still = [(w.res, w.origin, w.band, w.t_join, horizon - w.t_join, STILL_WAITING)
                 for waiting in self.sim.waiters for w in waiting]  # fmt: skip
        cols = [np.array(col, dtype=dt) for col, dt in zip(self.sim.rows, WAIT_DTYPES, strict=True)]
        if still:
            cols = [np.concatenate([col, np.array(extra, dtype=dt)])
                    for col, extra, dt in zip(cols, zip(*still, strict=True), WAIT_DTYPES, strict=True)]  # fmt: skip
        order = np.lexsort((cols[0].astype(np.int64), cols[3]))
        return {name: col[order] for name, col in zip(WAIT_NAMES, cols, strict=True)}
