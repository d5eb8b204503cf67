"""Benchmark: one replication of the whole Leeds-like city (no sampling) for 10 years, on one core.

Prints wall and CPU time, peak memory (resource.getrusage, the whole process), model events per
second (people moved, refused, entering, admitted from a queue) and SimPy events per second (every
event SimPy scheduled, read from its own counter as in shared/anchors/c_simpy_bench.py), and, for
comparison, the rate of a bare SimPy timeout loop on this machine.

Usage:  PYTHONPATH=src python benchmarks/bench_des.py [--scenario scenarios/leeds-baseline.yaml] [--years 10]
"""

from __future__ import annotations

import argparse
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "leeds-baseline.yaml"))
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--replication", type=int, default=0)
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


if __name__ == "__main__":
    main()
