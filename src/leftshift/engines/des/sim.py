"""One replication of the discrete-event engine: counts, channels, SimPy resources and queues.

People who are interchangeable (same state, age band and programme layer) are a count, not a
process. Each *channel* (one stock's moves of one kind) keeps one pending SimPy event: the next
candidate event of a Poisson process at rate (bound on head count) x (per-person rate), accepted
with probability (head count now) / bound — thinning, so the accepted events have exactly the
intensity head count x rate however the count changed in between. Only people waiting for a place
are individuals: each holds a `simpy.Resource` request in the resource's FIFO queue. Capacity-limited
states are `simpy.Resource`s whose users are the people in them; programme places are a
`simpy.Container` of free places. docs/des.md explains why this is exact in distribution.
"""

from __future__ import annotations

import math
import signal
from array import array
from bisect import bisect_right
from collections import deque

import numpy as np
import simpy
from simpy.events import Timeout

from leftshift.engines.des.arrivals import band_streams, by_band, entry_growth
from leftshift.engines.des.clock import channel_clocks
from leftshift.engines.des.plan import (
    ADMITTED,
    DIED_WAITING,
    LEFT_WAITING,
    LOST,
    OVERFLOWED,
    TURNED_AWAY,
    WAIT,
    Plan,
    build_plan,
)
from leftshift.engines.des.record import WAIT_CODES, Recorder, RepOutput
from leftshift.engines.des.steps import StepChanges
from leftshift.engines.model import queue_pair
from leftshift.rng import Buffered, ReplicationStreams
from leftshift.scenario.model import Scenario


class _Waiter:
    """A person waiting for a place: the only individuals the engine keeps."""

    __slots__ = ("active", "band", "origin", "pos", "req", "res", "stock", "t_join")


class _Places(simpy.Resource):
    """A Resource whose places can change (0 included): the scheduler moves `_capacity` at step starts."""

    def __init__(self, env: simpy.Environment, places: int) -> None:
        super().__init__(env, capacity=max(1, places))
        self._capacity = places


class _Replication(StepChanges):
    def __init__(self, plan: Plan, replication: int) -> None:
        self.plan = p = plan
        self.replication = replication
        s = p.scenario
        self.env = env = simpy.Environment()
        streams = ReplicationStreams(s.seed, replication)
        self.cnt = cnt = []
        for i, x in enumerate(p.initial):
            whole = math.floor(x)
            if x > whole and streams(f"initial|{p.stock_names[i]}").random() < x - whole:
                whole += 1  # randomised rounding keeps the mean exact
            cnt.append(int(whole))
        n_st, n_e, lay = p.n_stocks, len(p.src), p.layout
        n_res, n_cap, n_prog = p.n_resources, p.n_cap, len(lay.programmes)
        self.acc = [0.0] * n_st  # sum of (change in head count) x time, for exact person-years
        self.flow = [0] * n_e
        self.blocked = [0] * sum(len(r.admissions) for r in lay.resources)
        self.qadmit = [0] * sum(len(r.queue_stocks) for r in lay.resources)
        self.entered = [0] * len(lay.bands)
        self.referrals = [0] * n_prog
        self.waiters: list[list[_Waiter]] = [[] for _ in range(n_st)]
        # resource, origin, band, time, wait, outcome: typed arrays (8 bytes a time, not a 24-byte float object)
        self.rows = tuple(array(code) for code in WAIT_CODES)

        # Capacity-limited states: a Resource whose users are the people counted against it.
        self.res: list = []
        self.pool: list[deque] = []
        self.excess = [0] * n_cap  # people above the places (initially, entrants, overflow)
        self.over_acc = [0.0] * n_cap
        for i in range(n_cap):
            places = p.places[i]
            res = _Places(env, places)
            occupied = sum(cnt[st] for st in lay.resources[i].occupied.tolist())
            take = min(occupied, places)
            self.pool.append(deque(res.request() for _ in range(take)))
            self.excess[i] = occupied - take
            self.res.append(res)
        self._initial_waiters()
        # Programme places: a Container holding the free places; places follow funding.
        par = p.params
        self.places_now = [float(par.initial_places[j, 0]) for j in range(n_prog)]
        self.built = [math.floor(x + 0.5) for x in self.places_now]
        for j in range(n_prog):
            self.res.append(simpy.Container(env, capacity=math.inf, init=self.built[j]))
        self.funded = [0.0] * n_prog
        self.cap_of_stock = [-1] * n_st  # the capacity resource an entrant's stock counts against
        for i, r in enumerate(lay.resources[:n_cap]):
            for st in r.occupied.tolist():
                self.cap_of_stock[st] = i

        # Channels: one buffered stream each, keyed by name (common random numbers).
        self.draws = [Buffered(streams(name)) for name in p.ch_name]
        self.pending: list = [None] * len(p.ch_name)
        self.ch_rate, self.ch_cum = list(p.ch_rate), list(p.ch_cum)  # change each step where rates have trends
        trended = p.params.trend[:, 0] != 0
        self.trended_channels = [ch for ch, edges in enumerate(p.ch_edges) if trended[list(edges)].any()]
        self.nbar = [0] * len(p.ch_name)
        self.entry = Buffered(streams("entrants"))
        self.is_cap = [i < n_cap for i in range(n_res)]

    def _initial_waiters(self) -> None:
        """People in a queue at the start (`initial_waiting`): waiters whose requests join the resource's
        queue behind its occupants, in stock order; one granted at once is admitted when the run starts."""
        lay, cnt = self.plan.layout, self.cnt
        for r, res in enumerate(lay.resources[: self.plan.n_cap]):
            for s in res.queue_stocks.tolist():
                origin = lay.compartments.index(queue_pair(lay.compartments[self.plan.compartment_of[s]])[0])
                for _ in range(cnt[s]):
                    w = _Waiter()
                    w.req = req = self.res[r].request()
                    w.res, w.t_join, w.active, w.origin, w.band = r, 0.0, True, origin, self.plan.band_of[s]
                    req.waiter = w
                    req.callbacks.append(self._granted)
                    self._put(w, s)

    # -- channel clocks ---------------------------------------------------------------------------

    def _make_clock(self) -> None:
        """Build the hot functions (`_channel_clocks`).

        Each channel runs on its own internal clock (a random time change, as in Anderson's modified
        next-reaction method): its k-th candidate event is the k-th point of a unit-rate Poisson
        process on the internal time axis, which advances at rate (bound x per-person rate). A change
        of bound only changes how fast internal time runs; it never discards a drawn time. So the
        k-th candidate always uses the k-th exponential and the k-th uniform of the channel's stream,
        whatever happened before: two scenarios that differ a little stay coupled (common random
        numbers), and a channel that empties keeps its place on its own clock until it refills.
        """
        self._schedule, self._advance = channel_clocks(self)

    def _added(self, stock: int, t: float) -> None:
        cnt = self.cnt
        n = cnt[stock] = cnt[stock] + 1
        self.acc[stock] += t
        nbar = self.nbar
        for c in self.plan.stock_channels[stock]:
            if n > nbar[c]:
                self._schedule(c, n)

    def _removed(self, stock: int, t: float) -> None:
        self.cnt[stock] -= 1
        self.acc[stock] -= t

    # -- moves that involve resources or queues ----------------------------------------------------

    def _move(self, e: int, s: int, pick: float, t: float) -> None:
        """Move one person along edge e from stock s at time t, through any resource's admission rule."""
        p = self.plan
        d = p.dst[e]
        waiter = None
        if p.is_queue[s]:  # a waiting person: any of the stock's waiters, with equal chance
            lst = self.waiters[s]
            waiter = lst[int(pick * len(lst))]
            if p.is_queue[d] and p.compartment_of[d] != p.compartment_of[s]:  # deconditioned: needs another service
                self._requeue(waiter, e, d, t)
                return
            if p.compartment_of[d] == p.compartment_of[s]:  # aged or changed programme layer, still waiting
                self._take(waiter)
                for r in p.dep_move[e]:
                    self._depart(r, t)
                self._put(waiter, d)
                self._removed(s, t)
                self._added(d, t)
                self.flow[e] += 1
                return
        final, deps = d, p.dep_move[e]
        r = p.adm_res[e]
        if r >= 0:
            got = self._admit_cap(r, e, s, t) if self.is_cap[r] else self._admit_programme(r, e)
            if got is None:  # turned away: stays where they are
                self.blocked[p.blocked_col[e]] += 1
                return
            if got is not True:  # refused but can wait: joins the queue holding its request
                final, deps = p.join_stock[e], p.dep_join[e]
                self.blocked[p.blocked_col[e]] += 1
                w = _Waiter()
                w.req, w.res, w.t_join, w.active = got, r, t, True
                w.origin, w.band = p.compartment_of[s], p.band_of[s]
                got.waiter = w
                got.callbacks.append(self._granted)
                self._put(w, final)
            else:
                self.flow[e] += 1
        else:
            self.flow[e] += 1
        if waiter is not None:  # left the queue for another reason (death, an emergency admission)
            self._take(waiter)
            waiter.active = False
            req = waiter.req
            if req.triggered:  # granted at this very instant, not yet processed
                self.res[waiter.res].release(req)
            else:
                req.cancel()
            outcome = DIED_WAITING if p.layout.compartments[p.compartment_of[d]] == "dead" else LEFT_WAITING
            self._row(waiter.res, waiter.origin, waiter.band, waiter.t_join, t - waiter.t_join, outcome)
        for r2 in deps:
            self._depart(r2, t)
        self._removed(s, t)
        self._added(final, t)

    def _requeue(self, w: _Waiter, e: int, d: int, t: float) -> None:
        """A person waiting comes to need another service: they leave one queue (`left_waiting`) and join
        the back of the other's, still in the same place."""
        p = self.plan
        self._take(w)
        w.active = False
        if w.req.triggered:
            self.res[w.res].release(w.req)
        else:
            w.req.cancel()
        self._row(w.res, w.origin, w.band, w.t_join, t - w.t_join, LEFT_WAITING)
        new = _Waiter()
        new.req = req = self.res[p.queue_res[d]].request()
        new.res, new.t_join, new.active, new.origin, new.band = p.queue_res[d], t, True, w.origin, p.band_of[d]
        req.waiter = new
        req.callbacks.append(self._granted)
        self._put(new, d)
        self._removed(w.stock, t)
        self._added(d, t)
        self.flow[e] += 1

    def _admit_cap(self, r: int, e: int, s: int, t: float):
        """True: in now; a Request: must wait (rule `wait` with a queue to wait in); None: turned away."""
        p = self.plan
        res = self.res[r]
        origin, band = p.compartment_of[s], p.band_of[s]
        rule = p.rule[r]
        if rule == WAIT:
            req = res.request()
            if req.triggered:
                self.pool[r].append(req)
                self._row(r, origin, band, t, 0.0, ADMITTED)
                return True
            if p.join_stock[e] >= 0:
                return req
            req.cancel()
        elif len(res.users) < res.capacity:
            self.pool[r].append(res.request())
            self._row(r, origin, band, t, 0.0, ADMITTED)
            return True
        elif rule != LOST:  # overflow: in, above capacity
            self.excess[r] += 1
            self.over_acc[r] += t
            self._row(r, origin, band, t, 0.0, OVERFLOWED)
            return True
        self._row(r, origin, band, t, 0.0, TURNED_AWAY)
        return None

    def _admit_programme(self, r: int, e: int) -> bool | None:
        places = self.res[r]
        self.referrals[r - self.plan.n_cap] += 1
        if places.level >= 1 and not places.get_queue:
            places.get(1)
            return True
        return None

    def _depart(self, r: int, t: float) -> None:
        if r >= self.plan.n_cap:
            self.res[r].put(1)  # a programme place is free again
        elif self.excess[r] > 0:
            self.excess[r] -= 1
            self.over_acc[r] -= t
        else:
            self.res[r].release(self.pool[r].popleft())  # the Resource hands the place to the queue's head

    def _granted(self, req) -> None:
        """A place came free for a waiting person (FIFO, by the Resource)."""
        w = req.waiter
        if not w.active:
            return
        w.active = False
        p = self.plan
        t = self.env.now
        s = w.stock
        d = p.queue_target[s]
        self._take(w)
        self.pool[w.res].append(req)
        self.qadmit[p.queue_col[s]] += 1
        self._row(w.res, w.origin, w.band, w.t_join, t - w.t_join, ADMITTED)
        for r in p.queue_dep[s]:
            self._depart(r, t)
        self._removed(s, t)
        self._added(d, t)

    def _put(self, w: _Waiter, stock: int) -> None:
        lst = self.waiters[stock]
        w.stock, w.pos = stock, len(lst)
        lst.append(w)

    def _take(self, w: _Waiter) -> None:
        lst = self.waiters[w.stock]
        last = lst.pop()
        if last is not w:
            lst[w.pos] = last
            last.pos = w.pos

    def _row(self, r: int, origin: int, band: int, t: float, wait: float, outcome: int) -> None:
        rows = self.rows
        rows[0].append(r)
        rows[1].append(origin)
        rows[2].append(band)
        rows[3].append(t)
        rows[4].append(wait)
        rows[5].append(outcome)

    # -- entrants ----------------------------------------------------------------------------------

    def _next_entrant(self) -> None:
        """Poisson arrivals at rate E (1+g)^t, by inverting the integrated rate (exact)."""
        total = self.entry_total
        if total <= 0:
            return
        t, e = self.env.now, self.entry.exponential()
        g = self.entry_log_growth
        if g == 0:
            when = t + e / total
        else:
            x = math.exp(g * t) + e * g / total
            if x <= 0:
                return  # a shrinking stream that has run dry
            when = math.log(x) / g
        ev = Timeout(self.env, when - t)
        ev.callbacks.append(self._entrant)

    def _entrant(self, ev: Timeout) -> None:
        t = self.env.now
        b = bisect_right(self.entry_cum, self.entry.uniform() * self.entry_total)
        self._arrive(min(b, len(self.entry_cum) - 1), t)
        self._next_entrant()

    def _arrive(self, b: int, t: float) -> None:
        """An entrant (or a migrant) joins band b's entry stock."""
        d = self.plan.entry_stocks[b]
        r = self.cap_of_stock[d]
        if r >= 0:  # entrants are not admissions (as in the stock-flow engine): above capacity if full
            res = self.res[r]
            if len(res.users) < res.capacity and not res.put_queue:
                self.pool[r].append(res.request())
            else:
                self.excess[r] += 1
                self.over_acc[r] += t
        self.entered[b] += 1
        self._added(d, t)

    # -- the run -----------------------------------------------------------------------------------

    def run(self) -> RepOutput:
        p = self.plan
        self.entry_cum = np.cumsum(p.entry_band_rates).tolist()
        self.entry_total = float(sum(p.entry_band_rates))
        self.entry_log_growth = math.log1p(entry_growth(p))
        if by_band(p):  # each band's entrants are their own stream (arrivals.py)
            self.entry_total = 0.0
        self._make_clock()
        advance = self._advance
        for ch, st in enumerate(p.ch_stock):
            if self.cnt[st]:
                self._schedule(ch, self.cnt[st])
        self._next_entrant()
        for stream in band_streams(self):
            stream.next()
        recorder = Recorder(self)
        for k, end in enumerate(p.grid.period_end.tolist()):
            self._set_places(k)
            if k:
                self._set_capacity(k)
            if self.trended_channels:
                self._set_rates(k)
            advance(end)
            recorder.record(k, end)
        return recorder.finish()


def quiet_worker() -> None:
    """A worker process's initializer: workers ignore Ctrl-C, the parent stops them (so no half-dead pool is left
    behind). Here, not in engine.py, so that a worker imports no pandas (~60 MB a process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def replication_job(scenario: Scenario, replication: int) -> RepOutput:
    """One replication from the scenario alone: what a worker process or a Dask task runs (top level, so
    that it can be sent by reference; this module does not import pandas, so neither do the workers)."""
    return simulate_replication(build_plan(scenario), replication)


def simulate_replication(plan: Plan, replication: int) -> RepOutput:
    """Run replication `replication` of the plan's scenario (its random numbers depend on nothing else)."""
    return _Replication(plan, replication).run()
