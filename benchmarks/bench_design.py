"""Per-point cost of an experiment's design points: building each point's scenario (and its baseline's) from a
row of the design, and running them (`stockflow.simulate(record="yearly")`), in batches as `leftshift`
runs them, for the shipped Leeds left-shift scenario against its baseline at a short horizon (so that the
per-point Python work, not the kernel, is what is measured).

Designs: `sensitivity` (the Sobol design of `leftshift sensitivity --method sobol`: tornado rows and SALib's
Saltelli rows), `samples` (the draws of `compare --samples`), `sweep` (a grid of both programme budgets).

`--against DIR` runs the same in a fresh process with another worktree's `src` first on the path (e.g. the
code before a change) and prints the ratio of its time to this one's: run both in one session on a shared
machine, where only ratios measured side by side mean much.

Usage: PYTHONPATH=src python benchmarks/bench_design.py [--design sensitivity] [--samples 64] [--years 2]
                                                         [--repeat 3] [--against ../other-worktree]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from children import run_child  # benchmarks/children.py, beside this script

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"
DESIGNS = ("sensitivity", "samples", "sweep")
BATCH = 500  # points per engine call, as `--batch-size` defaults to


def _design(kind: str, scenario, baseline, samples: int):
    """The design `leftshift` would run for this kind of experiment."""
    from leftshift.experiments.design import Design, grid_design, uncertainty_design
    from leftshift.experiments.runs import uncertain_parameters
    from leftshift.rng import generator
    from leftshift.scenario.vary import parse_vary

    if kind == "sweep":
        side = max(1, round(samples**0.5))
        return grid_design([parse_vary(f"interventions[0].budget=0:10e6:{side}"),
                            parse_vary(f"interventions[1].budget=0:2e6:{side}")])  # fmt: skip
    names = uncertain_parameters(scenario, baseline)
    if kind == "samples":
        return uncertainty_design(names, samples, "random", generator(0, 0, "bench"))
    from SALib.sample import sobol as sobol_sample

    from leftshift.experiments.sensitivity import _tornado_design

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    u = sobol_sample.sample(problem, samples, calc_second_order=False, seed=1)
    return Design(tuple(names), np.vstack([_tornado_design(names).values, u]), unit=True)


def child(kind: str, samples: int, years: float, repeat: int) -> dict:
    """Time building and running every point of the design (best of `repeat`), in this process."""
    from leftshift.engines.stockflow.engine import simulate
    from leftshift.experiments.runs import prepare
    from leftshift.scenario.loading import load_scenario

    scenario, baseline = (load_scenario(p).model_copy(update={"horizon_years": years}) for p in (SCENARIO, BASELINE))
    design = _design(kind, scenario, baseline, samples)
    job = prepare(scenario, baseline, design, "a draw of", series=False)
    templates = [t for t in (job.scenario, job.baseline) if t is not None]
    simulate(templates[0].scenarios(templates[0].values(design.values[:2], design.unit)), record="yearly")  # warm
    best = {"build_ms": np.inf, "simulate_ms": np.inf}
    n = design.n_points
    for _ in range(repeat):
        build = run = 0.0
        for start in range(0, n, BATCH):
            rows = design.values[start : start + BATCH]
            for template in templates:
                values = template.values(rows, design.unit)
                t0 = time.perf_counter()
                points = template.scenarios(values)
                t1 = time.perf_counter()
                simulate(points, record="yearly")
                build, run = build + t1 - t0, run + time.perf_counter() - t1
        best = {"build_ms": min(best["build_ms"], 1000 * build / n), "simulate_ms": min(best["simulate_ms"],
                                                                                        1000 * run / n)}  # fmt: skip
    return {"design": kind, "points": n, "templates": len(templates), **{k: round(v, 4) for k, v in best.items()},
            "total_ms": round(best["build_ms"] + best["simulate_ms"], 4)}  # fmt: skip


def measure(src: Path, kind: str, samples: int, years: float, repeat: int) -> dict:
    out = run_child(__file__, src, "--child", "--design", kind, "--samples", str(samples), "--years", str(years),
                    "--repeat", str(repeat))  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", choices=DESIGNS, action="append", help="default: all three")
    ap.add_argument("--samples", type=int, default=64, help="SALib's N, draws, or grid points (default 64)")
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--against", type=Path, help="another worktree to compare with (its src/ is used)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    kinds = a.design or list(DESIGNS)
    if a.child:
        print(json.dumps(child(kinds[0], a.samples, a.years, a.repeat)))
        return
    print(f"{'design':>12} {'points':>7} {'code':>8} {'build ms':>9} {'sim ms':>8} {'total ms':>9}  per point")
    for kind in kinds:
        rows = [("this", measure(REPO / "src", kind, a.samples, a.years, a.repeat))]
        if a.against:
            rows.append(("against", measure(a.against.resolve() / "src", kind, a.samples, a.years, a.repeat)))
        for label, r in rows:
            print(f"{kind:>12} {r['points']:>7} {label:>8} {r['build_ms']:>9.3f} {r['simulate_ms']:>8.3f} "
                  f"{r['total_ms']:>9.3f}")  # fmt: skip
        if a.against:
            this, other = rows[0][1], rows[1][1]
            print(f"{kind:>12} {'':>7} {'ratio':>8} {other['build_ms'] / this['build_ms']:>9.2f} "
                  f"{other['simulate_ms'] / this['simulate_ms']:>8.2f} {other['total_ms'] / this['total_ms']:>9.2f}"
                  "  (against / this: above 1, this is faster)")  # fmt: skip


if __name__ == "__main__":
    main()
