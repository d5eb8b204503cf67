"""Speed and memory of the stock-flow engine on the shipped Leeds left-shift scenario.

Prints: the time of one 20-year weekly run after import and warm-up (engine, and engine plus tidy
tables); a batch of 1,000 parameter sets (every rate, capacity and budget varied at random by up to
+-20%) as one vectorised computation; the batch's peak memory (measured in a fresh process); and the
time of `leftshift --help`. Targets (issue 2): one run < 0.1 s, the 1,000 batch < 2 s, peak < 2 GB,
--help < 1 s. PySD runs this size of model about 6 times a second (../shared/anchors).

Usage: python benchmarks/bench_stockflow.py [--members 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"


def varied_batch(members: int, seed: int = 1):
    """`members` copies of the scenario with every rate, place count and budget scaled by U(0.8, 1.2)."""
    from leftshift.scenario.loading import load_scenario, scenario_from_dict

    base = load_scenario(SCENARIO).model_dump(by_alias=True)
    rng = np.random.default_rng(seed)
    batch = []
    for _ in range(members):
        data = {**base, "transitions": [dict(t) for t in base["transitions"]]}
        for t in data["transitions"]:
            rate = t["rate"]
            t["rate"] = {b: v * rng.uniform(0.8, 1.2) for b, v in rate.items()} if isinstance(rate, dict) else \
                rate * rng.uniform(0.8, 1.2)  # fmt: skip
        data["capacity"] = {
            k: {**v, "places": v["places"] * rng.uniform(0.8, 1.2)} for k, v in base["capacity"].items()
        }
        data["interventions"] = [{**iv, "budget": {"start": 3e6 * rng.uniform(0, 2), "growth": 0.0}}
                                 for iv in base["interventions"]]  # fmt: skip
        batch.append(scenario_from_dict(data))
    return batch


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batch_only(members: int) -> None:
    """Child process: run the batch once after warm-up and print its peak RSS."""
    from leftshift.engines.stockflow.engine import simulate

    batch = varied_batch(members)
    simulate(batch[:2], record="yearly")
    start = time.perf_counter()
    simulate(batch, record="yearly")
    print(f"{time.perf_counter() - start:.3f} {peak_rss_mb():.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_only:
        batch_only(args.members)
        return

    started = time.perf_counter()
    from leftshift.engines.stockflow.engine import simulate
    from leftshift.engines.tables import to_result
    from leftshift.scenario.loading import load_scenario

    print(f"import leftshift engine: {time.perf_counter() - started:.2f} s (numba loads its compiled cache)")
    scenario = load_scenario(SCENARIO)
    simulate(scenario)  # warm-up: compiles on the very first use, then cached on disk
    single, with_tables = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        traj = simulate(scenario)
        t1 = time.perf_counter()
        to_result(traj)
        t2 = time.perf_counter()
        single.append(t1 - t0)
        with_tables.append(t2 - t0)
    steps = traj.grid.n_steps
    print(f"one run, {scenario.horizon_years:g} years, {steps} weekly steps, {traj.layout.n_stocks} stocks, "
          f"{len(traj.layout.src)} flows: median {statistics.median(single) * 1000:.1f} ms "
          f"(min {min(single) * 1000:.1f}); with tidy tables "
          f"{statistics.median(with_tables) * 1000:.1f} ms")  # fmt: skip

    child = subprocess.run([sys.executable, __file__, "--batch-only", "--members", str(args.members)],
                           capture_output=True, text=True, check=True)  # fmt: skip
    seconds, peak = child.stdout.split()
    rate = args.members / float(seconds)
    print(f"batch of {args.members} varied parameter sets: {float(seconds):.2f} s "
          f"({rate:,.0f} runs/s; PySD ~6 runs/s), peak memory {peak} MB")  # fmt: skip

    helps = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leftshift", "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
    print(f"leftshift --help: median {statistics.median(helps):.2f} s")


if __name__ == "__main__":
    main()
