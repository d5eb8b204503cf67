"""The discrete-event engine's run loop: channel clocks and SimPy's `run(until=...)` with its step inlined."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING

from simpy.events import NORMAL, URGENT

from leftshift.engines.des.plan import bound_grid

if TYPE_CHECKING:
    from leftshift.engines.des.sim import _Replication

_GRID = bound_grid()


def channel_clocks(sim: _Replication) -> tuple[Callable[[int, int], None], Callable[[float], None]]:
    """`schedule(ch, n)` sets channel ch's bound for a head count of n and (re)schedules its pending
    candidate; `advance(end)` runs the simulation to time `end`, handling each candidate in its loop.
    Closures over local lists, because attribute look-ups cost more than the work they guard.

    A channel's candidate is not a SimPy object: it is the channel's number, pushed onto SimPy's event
    queue under the event id SimPy would have given a Timeout, and `pending[ch]` holds that id (a later
    reschedule supersedes it). `advance` is SimPy's `env.run(until=end)` with its `step` inlined: it pops
    events in the same (time, priority, id) order, handles a channel's number itself and hands any SimPy
    event (a Resource's request, an entrant's Timeout) to its callbacks, and stops, as SimPy does, at an
    urgent stop event at `now + (end - now)`, taking the two event ids SimPy takes for it. So the order of
    events, and every number, is SimPy's; what goes is a Timeout object, a callback list and the method
    calls per event (benchmarks/bench_des.py).

    These closures read SimPy internals (`env._now`, `env._queue`, `env._eid`, the priorities); simpy is
    pinned to the minor version they were checked against (pyproject.toml), and
    tests/unit/engines/test_engines.py fails if any changes meaning.
    """
    env, nbar, pending, ch_rate, grid = sim.env, sim.nbar, sim.pending, sim.ch_rate, _GRID
    queue, eids = env._queue, env._eid
    target = [d.exponential() for d in sim.draws]  # internal time of each channel's next candidate
    n_ch = len(target)
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

    return schedule, _event_loop(sim, schedule, (target, clock, since, speed, floor))


def _event_loop(
    sim: _Replication, schedule: Callable[[int, int], None], clocks: tuple[list, ...]
) -> Callable[[float], None]:
    """`advance(end)`: SimPy's `env.run(until=end)` with `step` inlined, and a channel's candidate handled in
    the loop itself (no call per event; `env._now` is set before anything that reads it: `schedule`, a move
    through resources, a SimPy event's callbacks, the stop)."""
    p, env = sim.plan, sim.env
    queue, eids = env._queue, env._eid
    target, clock, since, speed, floor = clocks
    cnt, acc, flow, nbar, pending = sim.cnt, sim.acc, sim.flow, sim.nbar, sim.pending
    ch_stock, ch_rate, ch_edges, ch_cum, ch_queue = p.ch_stock, sim.ch_rate, p.ch_edges, sim.ch_cum, p.ch_queue
    single = [edges[0] if len(edges) == 1 else -1 for edges in ch_edges]  # a channel of one move needs no pick
    plain, dst, stock_channels = p.plain, p.dst, p.stock_channels
    draws, move, grid = sim.draws, sim._move, _GRID
    exps = [d.exps for d in draws]
    uniforms = [d.uniforms for d in draws]
    stop_event = object()

    def advance(end: float) -> None:
        """`env.run(until=end)`, the same events in the same order (see `channel_clocks`)."""
        now = env._now
        if end <= now:
            raise ValueError(f"until ({end}) must be greater than the current simulation time")
        heappush(queue, (now + (end - now), URGENT, next(eids), stop_event))
        while True:
            now, _, key, ch = heappop(queue)
            if ch.__class__ is not int:
                env._now = now
                if ch is stop_event:
                    break
                callbacks, ch.callbacks = ch.callbacks, None  # a SimPy event: SimPy's Environment.step
                for callback in callbacks:
                    callback(ch)
                if not ch._ok and not hasattr(ch, "_defused"):
                    raise ch._value
                continue
            if pending[ch] != key:
                continue  # superseded by a reschedule
            # a channel's candidate: person slot j = floor(u x bound) moves if j < head count
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
                e = single[ch]  # else x - j is uniform on [0, 1) and independent of j: it picks the move
                if e < 0:
                    e = ch_edges[ch][bisect_right(ch_cum[ch], x - j)]
                if plain[e]:
                    d = dst[e]
                    cnt[s] = n - 1
                    acc[s] -= now
                    acc[d] += now
                    nd = cnt[d] = cnt[d] + 1
                    flow[e] += 1
                    for c in stock_channels[d]:
                        if nd > nbar[c]:
                            env._now = now
                            schedule(c, nd)
                else:
                    env._now = now
                    move(e, s, pick, now)
                n = cnt[s]
            if n == 0:
                nbar[ch] = 0
                speed[ch] = 0.0
                pending[ch] = None
                continue
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
        next(eids)  # SimPy puts its stop event back on the queue (a no-op when next run): one more id

    return advance
