"""Speed and memory of the stock-flow engine on the shipped Leeds left-shift scenario.

Prints: the time of one 20-year weekly run after import and warm-up (engine, and engine plus tidy
tables); a batch of 1,000 parameter sets (every rate, capacity and budget varied at random by up to
+-20%) as one vectorised computation; the batch's peak memory (measured in a fresh process); and the
time of `leftshift --help`. Targets (issue 2): one run < 0.1 s, the 1,000 batch < 2 s, peak < 2 GB,
--help < 1 s. PySD runs this size of model about 6 times a second (../shared/anchors).

`--against DIR` times the batch with this tree's code and with the code in DIR (e.g. a worktree of main:
`git worktree add --detach /tmp/base main`), alternately, each in a fresh process, and prints the time
per point of each and their ratio (issue 10's target: at most 1.5x), so that both are measured under the
same load on shared cores.

Usage: python benchmarks/bench_stockflow.py [--members 1000] [--repeats 5]
       python benchmarks/bench_stockflow.py --against /tmp/base [--rounds 5]
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
from children import run_child  # benchmarks/children.py, beside this script

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
        data["capacity"] = {k: {**v, "places": _scaled(v["places"], rng.uniform(0.8, 1.2))}
                            for k, v in base["capacity"].items()}  # fmt: skip
        data["interventions"] = [{**iv, "budget": {"start": 3e6 * rng.uniform(0, 2), "growth": 0.0}}
                                 for iv in base["interventions"]]  # fmt: skip
        batch.append(scenario_from_dict(data))
    return batch


def _scaled(places: float | dict, factor: float) -> float | dict:
    """Places (a number, a per-year mapping or {start, growth}) times `factor`."""
    if not isinstance(places, dict):
        return places * factor
    if "start" in places:
        return {**places, "start": places["start"] * factor}
    return {year: value * factor for year, value in places.items()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batch_only(members: int) -> None:
    """Child process: run the batch once after warm-up and print its peak RSS."""
    from leftshift.engines.stockflow.engine import simulate

    batch = varied_batch(members)
    simulate(batch[:2], record="yearly")
    start = time.perf_counter()
    traj = simulate(batch, record="yearly")
    sub_stepped = float((getattr(traj, "substeps", np.ones(1)) > 1).mean())  # (older code has no substeps)
    print(f"{time.perf_counter() - start:.3f} {peak_rss_mb():.0f} {sub_stepped:.3f}")


def child_batch(members: int, src: Path | None = None) -> tuple[float, str, float]:
    """Seconds, peak MB and share of members sub-stepped of one batch in a fresh process (code from `src`)."""
    seconds, peak, sub_stepped = run_child(__file__, src, "--batch-only", "--members", str(members)).split()
    return float(seconds), peak, float(sub_stepped)


def against(other: Path, members: int, rounds: int) -> None:
    """Per-point batch time of this tree and of `other`, alternating so both see the same load."""
    mine, theirs = [], []
    here = REPO / "src"
    for _ in range(rounds):
        mine.append(child_batch(members, here))
        theirs.append(child_batch(members, other / "src"))
    for label, runs in (("this tree", mine), (str(other), theirs)):
        times = [r[0] / members * 1000 for r in runs]
        print(f"{label}: median {statistics.median(times):.3f} ms per point (min {min(times):.3f}; "
              f"{100 * runs[0][2]:.0f}% of points sub-stepped)")  # fmt: skip
    ratios = [a[0] / b[0] for a, b in zip(mine, theirs, strict=True)]
    print(f"ratio (this tree / {other.name}): median {statistics.median(ratios):.2f} "
          f"(each round: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", type=Path, help="a source tree to compare the batch's speed with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_only:
        batch_only(args.members)
        return
    if args.against:
        against(args.against.resolve(), args.members, args.rounds)
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

    seconds, peak, _ = child_batch(args.members)
    rate = args.members / seconds
    print(f"batch of {args.members} varied parameter sets: {seconds:.2f} s "
          f"({rate:,.0f} runs/s; PySD ~6 runs/s), peak memory {peak} MB")  # fmt: skip

    helps = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leftshift", "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
    print(f"leftshift --help: median {statistics.median(helps):.2f} s")


if __name__ == "__main__":
    main()
