"""Benchmark: one replication of the whole Leeds-like city (no sampling) for 10 years, on one core; then
the command a commissioner runs, `leftshift run --engine des --replications 20` (all cores, tables written).

For the one replication: wall and CPU time, peak memory (resource.getrusage, the whole process), model
events per second (people moved, refused, entering, admitted from a queue) and SimPy events per second
(every event SimPy scheduled, read from its own counter as in shared/anchors/c_simpy_bench.py), and, for
comparison, the rate of a bare SimPy timeout loop on this machine.

For the replications: wall time of the whole command and the peak of the total resident memory of its
process tree (the command and its worker processes, sampled every 0.1 s), against the targets
(60 s, 500 MB on a 2-core machine), and the CPU time of that tree (what to compare on a shared machine).
`--replications 0` skips it.

Usage:  PYTHONPATH=src python benchmarks/bench_des.py [--scenario scenarios/leeds-baseline.yaml] [--years 10]
                                                      [--replications 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy

from leftshift.engines.des.plan import build_plan
from leftshift.engines.des.record import events_scheduled
from leftshift.engines.des.sim import simulate_replication
from leftshift.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def bare_simpy_rate(n_events: int = 1_000_000) -> float:
    """Events per second of one process in a bare `yield env.timeout(1)` loop (anchor c, part raw)."""
    env = simpy.Environment()

    def loop():
        while True:
            yield env.timeout(1.0)

    env.process(loop())
    start = time.perf_counter()
    env.run(until=n_events)
    return events_scheduled(env) / (time.perf_counter() - start)


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc; 0 once it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                fields = file.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))  # fields[1]: the parent's pid
        rss[int(entry)] = int(fields[21]) * page  # fields[21]: resident pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def many_replications(scenario: str, years: float, replications: int) -> tuple[float, float, float]:
    """(wall seconds, peak MB, CPU seconds) of the process tree of `leftshift run --engine des` into a scratch
    folder. The CPU time (the command's and its workers', from the kernel's accounts of finished children) is the
    figure to compare on a shared machine, where the wall time depends on what else runs."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "leftshift", "run", scenario, "--engine", "des", "--replications",
                   str(replications), "--set", f"horizon_years={years:g}", "--no-report", "--quiet",
                   "--out", str(Path(scratch) / "out")]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(command)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode:
            raise SystemExit(f"leftshift run failed (exit status {process.returncode})")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, peak / 2**20, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "leeds-baseline.yaml"))
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument("--replications", type=int, default=20, help="replications of the whole command (0: skip)")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario, [f"horizon_years={args.years}"])
    people = sum(sum(by_band.values()) for by_band in scenario.initial.values())
    plan = build_plan(scenario)
    wall, cpu = time.perf_counter(), time.process_time()
    out = simulate_replication(plan, args.replication)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare = bare_simpy_rate()

    print(f"scenario             {scenario.name} ({args.scenario})")
    print(f"people at start      {people:,.0f}; {args.years:g} years; replication {args.replication}")
    print(f"wall time            {wall:.2f} s  (CPU {cpu:.2f} s; target < 20 s)")
    print(f"peak memory          {peak_mb:,.0f} MB  (target < 2,048 MB)")
    print(f"model events         {out.events:,}  ({out.events / wall:,.0f} per second)")
    print(f"SimPy events         {out.simpy_events:,}  ({out.simpy_events / wall:,.0f} per second)")
    print(f"bare SimPy loop      {bare:,.0f} events per second (one process, `yield env.timeout(1)`)")
    print(f"SimPy events / bare  {out.simpy_events / wall / bare:.0%}")
    if args.replications:
        wall, peak, cpu = many_replications(args.scenario, args.years, args.replications)
        print(
            f"leftshift run        {args.replications} replications x {args.years:g} years, {os.cpu_count()} cores: "
            f"{wall:.1f} s (target < 60 s), peak memory of the process tree {peak:,.0f} MB (target < 500 MB); "
            f"CPU of the process tree {cpu:.1f} s"
        )


if __name__ == "__main__":
    main()
