"""The engine registry, the front doors it maps to, and the SimPy internals the discrete-event engine reads."""

from __future__ import annotations

import pytest
import simpy
from simpy.events import Timeout

from builders import small_scenario
from leftshift import engines
from leftshift.api import run
from leftshift.engines.des.record import events_scheduled
from leftshift.errors import LeftshiftError
from leftshift.result import Result


def test_the_registry_names_both_engines():
    assert list(engines.ENGINES) == ["stockflow", "des"]


def test_an_unknown_engine_is_a_clear_error_naming_the_known_ones():
    with pytest.raises(LeftshiftError, match="unknown engine 'sd'; choose one of: stockflow, des"):
        run(small_scenario(), engine="sd")


def test_every_engine_takes_a_scenario_and_returns_a_result():
    scenario = small_scenario(horizon_years=1)
    for name, front_door in engines.ENGINES.items():
        options = {"replications": 1, "jobs": 1} if name == "des" else {}
        result = front_door(scenario, **options)
        assert isinstance(result, Result) and result.engine == name


def test_the_front_doors_refuse_what_they_cannot_do():
    with pytest.raises(LeftshiftError, match="takes no options"):
        engines.ENGINES["stockflow"](small_scenario(), replications=2)
    with pytest.raises(LeftshiftError, match="reports every step"):
        engines.ENGINES["des"](small_scenario(), resolution="year")
    with pytest.raises(LeftshiftError, match="unknown resolution"):
        run(small_scenario(), resolution="fortnight")


def test_the_simpy_internals_the_des_reads_mean_what_it_assumes():
    """des/sim.py reads env._now and event._value (for speed) and record.py SimPy's event-id counter:
    if a SimPy release changes them, this fails before the engine silently does."""
    env = simpy.Environment()
    seen = []

    def callback(ev: Timeout) -> None:
        assert env._now == env.now == 2.5
        seen.append(ev._value)
        assert ev._value == ev.value

    for _ in range(3):
        Timeout(env, 2.5, "channel 7").callbacks.append(callback)
    env.run()
    assert seen == ["channel 7"] * 3
    assert events_scheduled(env) == 3  # one id per event scheduled


def test_the_des_run_loop_is_simpys_run_until():
    """des/sim.py's `advance(end)` inlines SimPy's `env.run(until=end)`: events on `env._queue` as
    (time, priority, id, event), ids from `env._eid`, an URGENT stop event at now + (end - now) that
    events at `end` come after, and two ids taken per run. If SimPy changes any of this, this fails."""
    from heapq import heappush

    from simpy.events import NORMAL, URGENT

    env = simpy.Environment()
    order = []
    Timeout(env, 1.0, "a").callbacks.append(lambda ev: order.append((env.now, ev.value)))
    Timeout(env, 2.0, "at the end").callbacks.append(lambda ev: order.append((env.now, ev.value)))
    heappush(env._queue, (0.5, NORMAL, next(env._eid), Timeout.__new__(Timeout)))  # what the engine pushes
    env._queue[0][3].callbacks, env._queue[0][3]._ok = [lambda ev: order.append((env.now, "pushed"))], True
    before = events_scheduled(env)
    env.run(until=2.0)
    assert order == [(0.5, "pushed"), (1.0, "a")] and env.now == 2.0  # the event at 2.0 waits for the next run
    assert events_scheduled(env) == before + 3  # the stop event, put back on the queue (and this call)
    assert URGENT < NORMAL
    assert [e[1] for e in env._queue] == [-1, NORMAL] and env._queue[0][3].callbacks == []
