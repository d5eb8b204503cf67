"""Discrete-event engine: individuals, SimPy resources and queues, replications in parallel.

`run` is the engine's front door (`leftshift.engines.ENGINES["des"]`) and `run_des` does the work;
how one replication is simulated (and why it is exact in distribution while fast enough for a whole
city) is in `sim.py` and docs/des.md. Every table of the
Result has a `replication` column first; `extra["waits"]` has one row per attempt to enter a
capacity-limited state and `extra["replications"]` one row per replication (seed, warm-up, events).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from leftshift.engines.des.plan import build_plan
from leftshift.engines.des.record import RepOutput
from leftshift.engines.des.sim import simulate_replication
from leftshift.engines.des.tables import build_result
from leftshift.engines.finite import check_tables
from leftshift.errors import LeftshiftError, Problem
from leftshift.result import Result
from leftshift.scenario.model import Scenario

__all__ = ["run", "run_des"]


def run(scenario: Scenario, resolution: str = "step", **options: Any) -> Result:
    """The engine's front door: `options` are `run_des`'s (replications, jobs, warm_up_years,
    only_replication, progress). Its tables report every step, so `resolution` must be "step"."""
    if resolution != "step":
        raise LeftshiftError("the discrete-event engine reports every step; leave out --resolution")
    return run_des(scenario, **options)


def run_des(
    scenario: Scenario,
    replications: int = 10,
    jobs: int | None = None,
    warm_up_years: float = 0.0,
    only_replication: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Run `replications` independent replications (or only replication `only_replication`, which
    reproduces that replication's rows of a full run exactly) on `jobs` processes (default: all
    cores); results do not depend on `jobs`. Statistics exclude the first `warm_up_years` (rounded to
    the reporting step). `progress(1)` is called as each replication finishes."""
    if replications < 1:
        raise LeftshiftError([Problem(f"replications must be at least 1 (got {replications})", "replications")])
    if only_replication is not None and only_replication < 0:
        raise LeftshiftError([Problem(f"a replication number is 0 or more (got {only_replication})", "replication")])
    if jobs is not None and jobs < 1:
        raise LeftshiftError([Problem(f"jobs must be at least 1 (got {jobs})", "jobs")])
    plan = build_plan(scenario)
    warm = _warm_up(warm_up_years, plan.grid.step_years, scenario.horizon_years)
    reps = [only_replication] if only_replication is not None else list(range(replications))
    outs = _run_all(scenario, reps, jobs, progress or (lambda n: None))
    result = build_result(plan, outs, warm)
    check_tables(result)  # inf or NaN (a cost of 1e306 a week) is an error, not a table of zeros
    return result


def _warm_up(years: float, step: float, horizon: float) -> float:
    if not 0 <= years < horizon:
        raise LeftshiftError([Problem(
            f"the warm-up must be at least 0 and shorter than the horizon ({horizon:g} years); got {years:g}",
            "warm_up_years",
        )])  # fmt: skip
    return round(years / step) * step


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _replication_job(scenario: Scenario, replication: int) -> RepOutput:
    """Top level so that spawned worker processes can import it."""
    return simulate_replication(build_plan(scenario), replication)


def _quiet_worker() -> None:
    """Workers ignore Ctrl-C: the parent stops them, so no half-dead pool is left behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_all(
    scenario: Scenario, reps: Sequence[int], jobs: int | None, progress: Callable[[int], None]
) -> list[RepOutput]:
    jobs = min(jobs or default_jobs(), len(reps))
    if jobs == 1:
        plan = build_plan(scenario)
        outs = []
        for r in reps:
            outs.append(simulate_replication(plan, r))
            progress(1)
        return outs
    done: dict[int, RepOutput] = {}
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_worker)
    try:
        pending: dict[Future, int] = {pool.submit(_replication_job, scenario, r): r for r in reps}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done[pending.pop(future)] = future.result()
                progress(1)
    except BrokenProcessPool:
        _stop(pool)
        raise LeftshiftError(
            "a worker process for the replications stopped before finishing",
            hint='From a Python script, call run_des under `if __name__ == "__main__":` (workers are started '
            "with 'spawn' and import the main module), or pass jobs=1.",
        ) from None
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    return [done[r] for r in reps]


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and end the workers now (Ctrl-C or a failed replication)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
