"""The discrete-event engine's run loop: channel clocks and SimPy's `run(until=...)` with its step inlined."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import simpy
from simpy.events import NORMAL, URGENT

from leftshift.engines.des.plan import bound_grid

if TYPE_CHECKING:
    from leftshift.engines.des.sim import _Replication

_GRID = bound_grid()


def channel_clocks(sim: _Replication) -> tuple[Callable[[int, int], None], Callable[[float], None]]:
    """`schedule(ch, n)` sets channel ch's bound for a head count of n and (re)schedules its pending
    candidate; `fire` handles a candidate; `advance(end)` runs the simulation to time `end`. Closures over
    local lists, because attribute look-ups cost more than the work they guard.

    A channel's candidate is not a SimPy object: it is the channel's number, pushed onto SimPy's event
    queue under the event id SimPy would have given a Timeout, and `pending[ch]` holds that id (a later
    reschedule supersedes it). `advance` is SimPy's `env.run(until=end)` with its `step` inlined: it pops
    events in the same (time, priority, id) order, hands a channel's number to `fire` and any SimPy event
    (a Resource's request, an entrant's Timeout) to its callbacks, and stops, as SimPy does, at an urgent
    stop event at `now + (end - now)`, taking the two event ids SimPy takes for it. So the order of
    events, and every number, is SimPy's; what goes is a Timeout object, a callback list and two method
    calls per event, a third of a replication (benchmarks/bench_des.py).

    These closures read SimPy internals (`env._now`, `env._queue`, `env._eid`, the priorities); simpy is
    pinned to the minor version they were checked against (pyproject.toml), and
    tests/unit/engines/test_engines.py fails if any changes meaning.
    """
    p, env = sim.plan, sim.env
    queue, eids = env._queue, env._eid
    cnt, acc, flow, nbar, pending = sim.cnt, sim.acc, sim.flow, sim.nbar, sim.pending
    ch_stock, ch_rate, ch_edges, ch_cum, ch_queue = p.ch_stock, sim.ch_rate, p.ch_edges, sim.ch_cum, p.ch_queue
    plain, dst, stock_channels = p.plain, p.dst, p.stock_channels
    draws, move, grid = sim.draws, sim._move, _GRID
    exps = [d.exps for d in draws]
    uniforms = [d.uniforms for d in draws]
    n_ch = len(ch_stock)
    target = [d.exponential() for d in draws]  # internal time of each channel's next candidate
    clock = [0.0] * n_ch  # internal time reached at `since`
    since = [0.0] * n_ch
    speed = [0.0] * n_ch  # bound x per-person rate: internal time per year (0: no one to move)
    floor = [0] * n_ch  # the grid value below the bound: the bound holds while floor <= n + n/64

    def schedule(ch: int, n: int) -> None:
        """Set channel ch's bound for a head count of n and (re)schedule its pending candidate."""
        now = env._now
        clock[ch] += speed[ch] * (now - since[ch])
        since[ch] = now
        if n == 0:
            nbar[ch] = 0
            speed[ch] = 0.0
            pending[ch] = None
            return
        k = bisect_right(grid, n + (n >> 6))
        nb = nbar[ch] = grid[k]
        floor[ch] = grid[k - 1]
        rate = speed[ch] = nb * ch_rate[ch]
        gap = target[ch] - clock[ch]
        key = pending[ch] = next(eids)
        heappush(queue, (now + (gap / rate if gap > 0 else 0.0), NORMAL, key, ch))

    def fire(ch: int, key: int, now: float) -> None:
        """A channel's candidate: person slot j = floor(u x bound) moves if j < head count."""
        if pending[ch] != key:
            return  # superseded by a reschedule
        clock[ch], since[ch] = target[ch], now
        stack = exps[ch]
        target[ch] += stack.pop() if stack else draws[ch].exponential()
        s = ch_stock[ch]
        n = cnt[s]
        stack = uniforms[ch]
        x = (stack.pop() if stack else draws[ch].uniform()) * nbar[ch]
        pick = (stack.pop() if stack else draws[ch].uniform()) if ch_queue[ch] else 0.0
        j = int(x)
        if j < n:
            edges = ch_edges[ch]  # x - j is uniform on [0, 1) and independent of j: it picks the move
            e = edges[0] if len(edges) == 1 else edges[bisect_right(ch_cum[ch], x - j)]
            if plain[e]:
                d = dst[e]
                cnt[s] = n - 1
                acc[s] -= now
                acc[d] += now
                nd = cnt[d] = cnt[d] + 1
                flow[e] += 1
                for c in stock_channels[d]:
                    if nd > nbar[c]:
                        schedule(c, nd)
            else:
                move(e, s, pick, now)
            n = cnt[s]
        if n == 0:
            nbar[ch] = 0
            speed[ch] = 0.0
            pending[ch] = None
            return
        m = n + (n >> 6)
        if floor[ch] <= m < nbar[ch]:
            rate = speed[ch]  # same bound as before: the usual case
        else:
            k = bisect_right(grid, m)
            nb = nbar[ch] = grid[k]
            floor[ch] = grid[k - 1]
            rate = speed[ch] = nb * ch_rate[ch]
        key = pending[ch] = next(eids)
        heappush(queue, (now + (target[ch] - clock[ch]) / rate, NORMAL, key, ch))

    return schedule, _event_loop(env, fire)


def _event_loop(env: simpy.Environment, fire: Callable[[int, int, float], None]) -> Callable[[float], None]:
    """`advance(end)`: SimPy's `env.run(until=end)` with `step` inlined, handing a channel's number to
    `fire` (see `_channel_clocks`)."""
    queue, eids = env._queue, env._eid
    stop_event = object()

    def advance(end: float) -> None:
        """`env.run(until=end)`, the same events in the same order (see above)."""
        now = env._now
        if end <= now:
            raise ValueError(f"until ({end}) must be greater than the current simulation time")
        heappush(queue, (now + (end - now), URGENT, next(eids), stop_event))
        while True:
            now, _, key, event = heappop(queue)
            env._now = now
            if event.__class__ is int:
                fire(event, key, now)
            elif event is stop_event:
                break
            else:  # a SimPy event: SimPy's Environment.step
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
        next(eids)  # SimPy puts its stop event back on the queue (a no-op when next run): one more id

    return advance
