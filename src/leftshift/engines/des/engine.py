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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

import pandas as pd

from leftshift.engines import check_resolution
from leftshift.engines.des.plan import Plan, build_plan
from leftshift.engines.des.record import RepOutput
from leftshift.engines.des.sim import quiet_worker, replication_job, simulate_replication
from leftshift.engines.des.tables import after_warm_up, build_result, waits_frame
from leftshift.engines.finite import check_tables
from leftshift.errors import LeftshiftError, Problem
from leftshift.result import Result
from leftshift.scenario.model import Scenario

__all__ = ["run", "run_des"]


def run(scenario: Scenario, resolution: str = "step", **options: Any) -> Result:
    """The engine's front door: `options` are `run_des`'s (replications, jobs, warm_up_years,
    only_replication, progress). Its tables report every step, so `resolution` must be "step"."""
    if resolution != "step":
        raise LeftshiftError(
            "the discrete-event engine reports every step; leave out resolution, and take its "
            "tables by month or year with leftshift.analysis.periods.at_resolution"
        )
    return run_des(scenario, **options)


def run_des(
    scenario: Scenario,
    replications: int = 10,
    jobs: int | None = None,
    warm_up_years: float = 0.0,
    only_replication: int | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
    waits_sink: Callable[[pd.DataFrame], None] | None = None,
    flows_by: str = "step",
) -> Result:
    """Run `replications` independent replications (or only replication `only_replication`, which
    reproduces that replication's rows of a full run exactly) on `jobs` processes (default: all
    cores), or on the workers of a Dask `client` (one task per replication); results do not depend on
    where they ran. Statistics exclude the first `warm_up_years` (rounded to the reporting step).
    `progress(1)` is called as each replication finishes.

    `waits_sink`: called with each replication's `waits` rows (after the warm-up), in replication
    order, as soon as they are ready; they are then dropped, and the Result has no `waits` table. A
    long run of a large city records millions of attempts: this keeps them out of memory (the command
    line writes them to waits.csv as they come).

    `flows_by` (step, month or year): the flows table summed by month or year, as
    `leftshift.analysis.periods.at_resolution` would sum it, to the last bit (its numbers are whole people), and
    every sum of it is the same as of the table by step: the command line asks for its --resolution, so that a
    long run never holds a table of every step's moves (four fifths of a Result by step)."""
    if replications < 1:
        raise LeftshiftError([Problem(f"replications must be at least 1 (got {replications})", "replications")])
    if only_replication is not None and only_replication < 0:
        raise LeftshiftError([Problem(f"a replication number is 0 or more (got {only_replication})", "replication")])
    check_resolution(flows_by)
    if jobs is not None and jobs < 1:
        raise LeftshiftError([Problem(f"jobs must be at least 1 (got {jobs})", "jobs")])
    plan = build_plan(scenario)
    warm = _warm_up(warm_up_years, plan.grid.step_years, scenario.horizon_years)
    reps = [only_replication] if only_replication is not None else list(range(replications))
    finished = _on_dask(client, scenario, reps) if client is not None else _run_all(scenario, reps, jobs)
    outs = _in_order(finished, reps, progress or (lambda n: None), lambda out: _kept(plan, out, warm, waits_sink))
    result = build_result(plan, outs, warm, flows_by)
    check_tables(result)  # inf or NaN (a cost of 1e306 a week) is an error, not a table of zeros
    return result


def _kept(plan: Plan, out: RepOutput, warm: float, waits_sink: Callable[[pd.DataFrame], None] | None) -> RepOutput:
    """A finished replication as it is kept until the tables are built: its waits handed to the sink, if any."""
    if waits_sink is None:
        return out
    waits_sink(after_warm_up(waits_frame(plan, out), warm))
    return replace(out, waits=None)


def _in_order(
    finished: Iterator[RepOutput], reps: Sequence[int], progress: Callable[[int], None],
    keep: Callable[[RepOutput], RepOutput],
) -> list[RepOutput]:  # fmt: skip
    """Replications as they finish -> kept in replication order (each handed to `keep` as soon as the
    ones before it are in: at most the few running out of order wait in memory whole)."""
    waiting: dict[int, RepOutput] = {}
    kept: list[RepOutput] = []
    for out in finished:
        progress(1)
        waiting[out.replication] = out
        while len(kept) < len(reps) and reps[len(kept)] in waiting:
            kept.append(keep(waiting.pop(reps[len(kept)])))
    return kept


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


def _run_all(scenario: Scenario, reps: Sequence[int], jobs: int | None) -> Iterator[RepOutput]:
    """Replications as they finish, in this process (one job) or in `jobs` spawned processes."""
    jobs = min(jobs or default_jobs(), len(reps))
    if jobs == 1:
        plan = build_plan(scenario)
        for r in reps:
            yield simulate_replication(plan, r)
        return
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_worker)
    try:
        pending = {pool.submit(replication_job, scenario, r) for r in reps}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    except BrokenProcessPool:
        _stop(pool)
        raise LeftshiftError(
            "a worker process for the replications stopped before finishing",
            hint='From a Python script, call run_des under `if __name__ == "__main__":` (workers are started '
            "with 'spawn' and import the main module), or pass jobs=1.",
        ) from None
    except BaseException:  # Ctrl-C, a failed replication, or the caller stopped early
        _stop(pool)
        raise
    pool.shutdown()


def _on_dask(client: Any, scenario: Scenario, reps: Sequence[int]) -> Iterator[RepOutput]:
    """Replications as they finish on a Dask cluster: one task per replication, each released once fetched
    (a replication's random numbers depend only on the seed and its number, so results equal a local run's)."""
    from dask.distributed import as_completed

    futures = [client.submit(replication_job, scenario, r, pure=False) for r in reps]
    try:
        for future in as_completed(futures):
            out = future.result()
            future.release()
            yield out
    finally:
        client.cancel([f for f in futures if not f.done()])


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
