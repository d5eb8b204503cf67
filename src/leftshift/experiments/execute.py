"""Running an experiment's points in batches: in this process, in local processes, or on Dask.

Each batch of points is one vectorised `stockflow.simulate(record="yearly")` call followed by
`batch_metrics`, so a batch costs one engine run however many points it holds. Batches are cut
the same way whichever executor runs them, and every point's values are fixed before any batch
starts, so the same seed gives the same numbers everywhere.

Nothing here touches disk. Given a store of parts (`Execution(parts=...)`, e.g.
`leftshift.io.parts.PartsFolder`), every finished batch is handed to it at once; `resume=True` keeps the
parts of an earlier run with the same fingerprint and runs only the batches that are missing.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from leftshift.analysis.batch import BatchSummary, compare, net_savings_by_year, summarise
from leftshift.analysis.measures import EXTRA_SPEND
from leftshift.errors import LeftshiftError
from leftshift.experiments.design import Design, Template

SERIES_SEP = "|"


@dataclass(frozen=True)
class Job:
    """Everything a batch needs, sent to a worker with each batch."""

    scenario: Template
    baseline: Template | None = None  # varies with the points
    fixed_baseline: BatchSummary | None = None  # one run that serves every point
    unit: bool = False  # design values are probabilities
    series: bool = False  # keep yearly series (for fan charts)


class PartStore(Protocol):
    """Where finished batches are saved as they come (`leftshift.io.parts.PartsFolder` on disk)."""

    def prepare(self, fingerprint: str, n_batches: int, resume: bool) -> set[int]:
        """Get ready for `n_batches`; return those already saved by an earlier run (when resuming)."""
        ...

    def save(self, index: int, table: pd.DataFrame, series: pd.DataFrame | None) -> None: ...

    def load(self, n_batches: int, series: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]: ...


@dataclass(frozen=True)
class Execution:
    """How to run: `jobs` local processes, or a Dask scheduler (`dask="local"` starts a LocalCluster)."""

    jobs: int | None = None
    dask: str | None = None
    batch_size: int = 500
    parts: PartStore | None = None  # save each batch as it finishes (and resume from them)
    resume: bool = False
    progress: Callable[[int], None] | None = None


def _simulated(scenarios: Any, start: int) -> Any:
    """One engine call for a batch; a point whose results overflow is named by its number in the design."""
    from leftshift.engines.finite import NonFiniteError
    from leftshift.engines.stockflow.engine import simulate

    try:
        return simulate(scenarios, record="yearly")
    except NonFiniteError as exc:
        points = ", ".join(str(start + m) for m in exc.members[:5])
        raise LeftshiftError(
            f"point {points} of the design gave infinite or undefined results", hint=exc.render()
        ) from None


def run_batch(job: Job, start: int, rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run points start, start+1, ... (one per row of design values): one engine call for all of them."""
    values = job.scenario.values(rows, job.unit)
    summary = summarise(_simulated(job.scenario.scenarios(values), start))
    table: dict[str, Any] = {"point": np.arange(start, start + len(rows))}
    for j, path in enumerate(job.scenario.paths):
        table[path] = values[:, j]
    base = job.fixed_baseline
    if job.baseline is not None:
        base_values = job.baseline.values(rows, job.unit)
        for j, path in enumerate(job.baseline.paths):
            table.setdefault(path, base_values[:, j])
        base = summarise(_simulated(job.baseline.scenarios(base_values), start))
    table.update(summary.metrics)
    series = dict(summary.series)
    if base is not None:
        for name, column in compare(base, summary).items():
            table[EXTRA_SPEND.get(name, name)] = column
        series.update(net_savings_by_year(base, summary))
    frame = pd.DataFrame(table)
    if not job.series:
        return frame, None
    wide = {"point": table["point"]}
    for name, grid in series.items():
        grid = np.broadcast_to(grid, (len(summary.years), len(rows)))
        for y, year in enumerate(summary.years):
            wide[f"{name}{SERIES_SEP}{year}"] = grid[y]
    return frame, pd.DataFrame(wide)


def baseline_summary(template: Template) -> BatchSummary:
    """The single run of a baseline that no parameter of the experiment touches."""
    from leftshift.engines.stockflow.engine import simulate

    return summarise(simulate(template.scenarios(np.zeros((1, 0))), record="yearly"))


# Parts on disk --------------------------------------------------------------------------------------


def fingerprint(job: Job, design: Design, batch_size: int) -> str:
    """What the saved parts were computed from: resuming with anything else would mix two experiments."""
    h = hashlib.sha256()
    for template in (job.scenario, job.baseline):
        if template is not None:
            h.update(json.dumps(template.base, sort_keys=True, default=str).encode())
            h.update(json.dumps([template.paths, template.columns, [repr(d) for d in template.dists]]).encode())
    if job.fixed_baseline is not None:
        h.update(np.ascontiguousarray(job.fixed_baseline.annual_discounted).tobytes())
    h.update(json.dumps([design.names, design.unit, job.series, batch_size]).encode())
    h.update(np.ascontiguousarray(design.values).tobytes())
    return h.hexdigest()[:20]


# Executors -----------------------------------------------------------------------------------------


DASK_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer (override with LEFTSHIFT_DASK_TIMEOUT)."""


def dask_timeout() -> float:
    raw = os.environ.get("LEFTSHIFT_DASK_TIMEOUT", "")
    try:
        value = float(raw) if raw else DASK_TIMEOUT
    except ValueError:
        value = -1.0
    if not value > 0:
        raise LeftshiftError(f"LEFTSHIFT_DASK_TIMEOUT must be a number of seconds above 0, not '{raw}'")
    return value


def _address(address: str) -> str:
    return address if "://" in address else f"tcp://{address}"


def _unreachable(address: str, why: str) -> LeftshiftError:
    return LeftshiftError(
        f"cannot reach the Dask scheduler at {address} ({why}); check the address (e.g. tcp://10.0.0.5:8786) and "
        "that the scheduler is running, or use --dask local"
    )


def _import_dask() -> Any:
    try:
        import dask.distributed
    except ImportError:
        raise LeftshiftError("--dask needs dask.distributed: pip install 'leftshift[dask]'") from None
    return dask.distributed


def check_dask(address: str | None) -> None:
    """Fail now, before any work, if `--dask ADDRESS` cannot be used: a scheduler must answer within the timeout.

    dask's own Client(timeout=...) waits for ever on a server that accepts connections but never
    answers, so the first exchange is bounded here.
    """
    if not address:
        return
    _import_dask()
    if address == "local":
        return
    import asyncio

    from distributed.core import rpc

    timeout = dask_timeout()

    async def identity() -> Any:
        async with rpc(_address(address), timeout=timeout) as scheduler:
            return await scheduler.identity()

    def probe() -> None:
        asyncio.run(asyncio.wait_for(identity(), timeout))

    try:
        # in a thread of its own: the caller may already run an event loop (a notebook, Playwright)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(probe).result()
    except (OSError, TimeoutError, ValueError) as exc:
        why = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else f"{exc.__class__.__name__}: {exc}"
        raise _unreachable(address, why) from None


def connect_dask(address: str, workers: int | None) -> tuple[Any, Any]:
    """(client, cluster) for a scheduler address or 'local'; a clear error when it cannot be reached."""
    distributed = _import_dask()
    if address == "local":
        # one worker by default: the engine already spreads each batch over the cores with threads
        from leftshift.engines.stockflow.engine import THREADS_VARIABLE

        # several workers: one engine thread each, so the workers do not oversubscribe the cores
        env = {THREADS_VARIABLE: "1"} if (workers or 1) > 1 else {}
        cluster = distributed.LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                           dashboard_address=None, env=env)  # fmt: skip
        return distributed.Client(cluster), cluster
    check_dask(address)  # bounded: Client() alone can hang on a silent server
    try:
        return distributed.Client(_address(address), timeout=f"{dask_timeout()}s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(address, f"{exc.__class__.__name__}: {exc}") from None


def _bounded(submit: Callable[[int], Any], todo: list[int], limit: int, done_of: Callable) -> Iterator[Any]:
    """Keep at most `limit` batches in flight (memory stays flat however many points there are)."""
    queue = list(todo)
    pending: dict[Any, int] = {}
    while queue or pending:
        while queue and len(pending) < limit:
            i = queue.pop(0)
            pending[submit(i)] = i
        for future in done_of(list(pending)):
            pending.pop(future)
            yield future.result()


@contextmanager
def dask_client(address: str | None, workers: int | None) -> Iterator[Any]:
    """A connected Dask client for a whole run (None without an address), opened before any work and closed,
    with the local cluster it may have started, at the end: experiments' batches and DES replications."""
    if not address:
        yield None
        return
    client, cluster = connect_dask(address, workers)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute(
    job: Job, design: Design, execution: Execution, client: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run every point of `design`; return the table (one row per point) and the yearly series, if kept.

    `client`: a Dask client from `dask_client` (the batches then run on its workers).
    """
    size = max(1, execution.batch_size)
    n_batches = -(-design.n_points // size)
    batches = [(i, i * size, design.values[i * size : (i + 1) * size]) for i in range(n_batches)]
    parts = execution.parts
    done: set[int] = set()
    if parts is not None:
        done = parts.prepare(fingerprint(job, design, size), n_batches, execution.resume)
    advance = execution.progress or (lambda n: None)
    if done:
        advance(sum(len(batches[i][2]) for i in done))
    held: dict[int, tuple[pd.DataFrame, pd.DataFrame | None]] = {}

    def keep(index: int, output: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
        if parts is None:
            held[index] = output
        else:
            parts.save(index, *output)
        advance(len(output[0]))

    todo = [i for i in range(n_batches) if i not in done]
    if client is not None:
        _run_dask(client, job, batches, todo, keep)
    elif execution.jobs and execution.jobs > 1 and len(todo) > 1:
        _run_processes(job, batches, todo, execution.jobs, keep)
    else:
        with _old_objects_set_aside():
            for i in todo:
                keep(i, run_batch(job, batches[i][1], batches[i][2]))
    if parts is None:
        table = pd.concat([held[i][0] for i in range(n_batches)], ignore_index=True)
        series = pd.concat([held[i][1] for i in range(n_batches)], ignore_index=True) if job.series else None
        return table, series
    return parts.load(n_batches, job.series)


@contextmanager
def _old_objects_set_aside() -> Iterator[None]:
    """Keep the garbage collector's full scans to the objects the batches make: the modules, scenarios and
    templates that exist before them (hundreds of thousands of objects) are frozen (`gc.freeze`) while the
    batches run, and handed back to the collector after. A full scan of them cost about 5% of the batches' time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _tagged(index: int, job: Job, start: int, rows: np.ndarray) -> tuple[int, Any]:
    return index, run_batch(job, start, rows)


def _one_engine_thread() -> None:
    """In a worker process: one engine thread, so that `jobs` processes do not oversubscribe the cores."""
    from leftshift.engines.stockflow.engine import THREADS_VARIABLE

    os.environ[THREADS_VARIABLE] = "1"


def _run_processes(job: Job, batches: list, todo: list[int], jobs: int, keep: Callable) -> None:
    import multiprocessing

    # spawn, not fork: the engine runs threads, and a forked copy of a threaded process can hang
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_one_engine_thread) as pool:

        def submit(i: int) -> Future:
            return pool.submit(_tagged, i, job, batches[i][1], batches[i][2])

        def first_done(futures: list[Future]) -> set[Future]:
            return wait(futures, return_when=FIRST_COMPLETED).done

        try:
            for index, output in _bounded(submit, todo, 2 * jobs, first_done):
                keep(index, output)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(client: Any, job: Job, batches: list, todo: list[int], keep: Callable) -> None:
    from dask.distributed import wait as dask_wait

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    shared = client.scatter(job, broadcast=True)

    def submit(i: int) -> Any:
        return client.submit(_tagged, i, shared, batches[i][1], batches[i][2], pure=False)

    def first_done(futures: list[Any]) -> Any:
        return dask_wait(futures, return_when="FIRST_COMPLETED").done

    for index, output in _bounded(submit, todo, 2 * workers, first_done):
        keep(index, output)


__all__ = ["SERIES_SEP", "Execution", "Job", "PartStore", "baseline_summary", "check_dask",
           "connect_dask", "dask_client", "dask_timeout", "execute", "fingerprint", "run_batch"]  # fmt: skip
