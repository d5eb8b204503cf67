"""Speed and memory of a large sweep: the shipped Leeds left-shift scenario against its baseline,
20 years at weekly steps, every point with every metric and net savings, ROI and payback.

The sweep varies both programme budgets on a 100 x 100 grid (10,000 points) through the same API
and parts folder that `leftshift sweep` uses, so the figure includes building and validating each
point's scenario, the engine, the batch metrics and writing the parquet parts. Each configuration
runs in a fresh process (after one warm-up batch, so numba's cached kernel is loaded) and reports
its wall time and peak resident memory; memory should not grow with the number of points.

Targets (issue 4): 10,000 points in under 20 s on 2 cores; memory flat as the sweep grows; no
worse per point through `--dask local`.

Usage: python benchmarks/bench_sweep.py                      # 1,000 and 10,000 in-process, 10,000 on dask local
       python benchmarks/bench_sweep.py --points 10000 --executor dask --batch-size 500
       python benchmarks/bench_sweep.py --breakdown            # where the time goes, per point
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"


def dimensions(points: int) -> list:
    """Both budgets on a square grid of about `points` points (the count is rounded to a square)."""
    from leftshift.scenario.vary import parse_vary

    side = max(1, round(points**0.5))
    return [parse_vary(f"interventions[0].budget=0:10e6:{side}"), parse_vary(f"interventions[1].budget=0:2e6:{side}")]


def child(points: int, executor: str, batch_size: int) -> None:
    """One configuration in this (fresh) process: print a JSON line of time and peak memory."""
    from leftshift.experiments.execute import Execution
    from leftshift.experiments.runs import sweep
    from leftshift.io.parts import PartsFolder
    from leftshift.scenario.loading import load_scenario

    scenario, baseline = load_scenario(SCENARIO), load_scenario(BASELINE)
    sweep(scenario, dimensions(4), baseline=baseline)  # warm-up: imports and the cached kernel
    warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        execution = Execution(batch_size=batch_size, parts=PartsFolder(Path(tmp) / "parts"),
                              jobs=2 if executor in ("jobs", "dask") else None,
                              dask="local" if executor == "dask" else None)  # fmt: skip
        start = time.perf_counter()
        result = sweep(scenario, dimensions(points), baseline=baseline, execution=execution)
        wall = time.perf_counter() - start
    n = len(result.table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {"points": n, "executor": executor, "batch_size": batch_size, "wall_s": round(wall, 2),
           "ms_per_point": round(1000 * wall / n, 3), "peak_rss_mb": round(peak),
           "rss_after_warm_up_mb": round(warm_rss),
           "best_net_savings_gbp": float(result.table["net_savings_gbp_discounted"].max())}  # fmt: skip
    print(json.dumps(row))


def breakdown(batch_size: int) -> None:
    """Per point: build and validate scenarios, run the engine, compute the batch metrics."""
    from leftshift.analysis.batch import summarise
    from leftshift.engines.stockflow.engine import simulate
    from leftshift.experiments.design import Template, grid_design
    from leftshift.scenario.loading import load_scenario

    scenario = load_scenario(SCENARIO)
    design = grid_design(dimensions(batch_size))
    template = Template.of(scenario, design)
    simulate(template.scenarios(design.values[:2]), record="yearly")
    t0 = time.perf_counter()
    scenarios = template.scenarios(template.values(design.values, False))
    t1 = time.perf_counter()
    traj = simulate(scenarios, record="yearly")
    t2 = time.perf_counter()
    summarise(traj)
    t3 = time.perf_counter()
    n = len(scenarios)
    for label, seconds in (("build + validate scenarios", t1 - t0), ("engine (simulate, yearly)", t2 - t1),
                           ("batch metrics", t3 - t2)):  # fmt: skip
        print(f"{label:30s} {1000 * seconds / n:7.3f} ms per point ({seconds:.2f} s for {n})")


def run_child(points: int, executor: str, batch_size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--points", str(points), "--executor", executor,
                          "--batch-size", str(batch_size)], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=None)
    ap.add_argument("--executor", choices=["local", "jobs", "dask"], default=None)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--breakdown", action="store_true")
    a = ap.parse_args()
    if a.child:
        child(a.points, a.executor, a.batch_size)
        return
    if a.breakdown:
        breakdown(a.batch_size)
        return
    configs = ([(a.points, a.executor or "local")] if a.points else
               [(1_000, "local"), (10_000, "local"), (10_000, "dask")])  # fmt: skip
    rows = []
    for points, executor in configs:
        row = run_child(points, executor, a.batch_size)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'points':>7} {'executor':>8} {'wall s':>7} {'ms/point':>9} {'peak MB':>8}")
    for r in rows:
        print(
            f"{r['points']:>7,} {r['executor']:>8} {r['wall_s']:>7.1f} {r['ms_per_point']:>9.3f} {r['peak_rss_mb']:>8}"
        )
    target = [r for r in rows if r["points"] >= 10_000 and r["executor"] == "local"]
    if target:
        verdict = "met" if target[0]["wall_s"] < 20 else "NOT met"
        print(f"10,000 points in {target[0]['wall_s']:.1f} s (target < 20 s): {verdict}")


if __name__ == "__main__":
    main()
