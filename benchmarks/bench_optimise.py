"""Speed of `leftshift optimise`: five Leeds programmes (docs/examples/leeds-five-programmes.yaml, 20 years at
weekly steps) against the Leeds-like baseline, a budget of £5m a year.

Each configuration runs in a fresh process, after a warm-up (imports and numba's cached kernel), through the same
library call the command makes (`experiments.optimise.optimise`): the best split, the NHS's and the council's own
best splits, the frontier (5 totals at central values; only the budget itself under uncertainty), the allocation's
contributions and marginal returns. It prints the wall time, the model runs and the best split.

Targets (issue 13): under 60 s at central values; under 10 minutes with --under-uncertainty p10 over 200 draws.
The machine has 2 shared cores: other work on it slows every figure.

Usage: python benchmarks/bench_optimise.py                        # both configurations
       python benchmarks/bench_optimise.py --criterion none       # central values only
       python benchmarks/bench_optimise.py --criterion p10 --samples 200 --objective net_savings
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "docs" / "examples" / "leeds-five-programmes.yaml"
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"
TARGETS = {"none": 60.0, "mean": 600.0, "p10": 600.0}


def child(objective: str, criterion: str, samples: int) -> None:
    """One configuration in this (fresh) process: print a JSON line of time, runs and the split."""
    from leftshift.experiments.optimise import Settings, optimise
    from leftshift.scenario.loading import load_scenario

    scenario, baseline = load_scenario(SCENARIO), load_scenario(BASELINE)
    short = ["horizon_years=1"]
    optimise(load_scenario(SCENARIO, short), load_scenario(BASELINE, short), Settings(5e6, objective))  # warm-up
    settings = Settings(5e6, objective, criterion=None if criterion == "none" else criterion,
                        samples=samples if criterion != "none" else None)  # fmt: skip
    start = time.perf_counter()
    found = optimise(scenario, baseline, settings)
    wall = time.perf_counter() - start
    row = {"objective": objective, "criterion": criterion, "samples": settings.samples, "wall_s": round(wall, 1),
           "model_runs": found.runs, "best_value": found.best.value, "unit": found.objective.unit,
           "split_gbp": {v.label: round(float(x)) for v, x in zip(found.variables, found.best.x, strict=True)},
           "search": found.best.search.message, "load_average": os.getloadavg()[0]}  # fmt: skip
    print(json.dumps(row))


def run_child(objective: str, criterion: str, samples: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--objective", objective, "--criterion", criterion,
                          "--samples", str(samples)], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objective", default="emergency_admissions")
    ap.add_argument("--criterion", choices=["none", "mean", "p10"], default=None)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.objective, a.criterion, a.samples)
        return
    rows = []
    for criterion in [a.criterion] if a.criterion else ["none", "p10"]:
        row = run_child(a.objective, criterion, a.samples)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'objective':>22} {'criterion':>9} {'draws':>6} {'wall s':>7} {'runs':>8} {'target s':>9} {'load':>5}")
    for r in rows:
        target = TARGETS[r["criterion"]]
        verdict = "met" if r["wall_s"] < target else "NOT met"
        print(f"{r['objective']:>22} {r['criterion']:>9} {r['samples'] or 1:>6} {r['wall_s']:>7.1f} "
              f"{r['model_runs']:>8,} {target:>9.0f} {r['load_average']:>5.1f}  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
