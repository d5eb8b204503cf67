"""A 1,000-run sweep the PySD way, against the same-sized sweep in leftshift, per point.

PySD side: the reference model of ../shared/anchors (sd_model.py: 6 states x 4 age bands = 24
stocks, a first-order delay and a cost stock, 10 years of weekly Euler steps), written as a flat
Vensim file, translated once with `pysd.read_vensim`, then run once per parameter set with
`model.run(params=..., return_columns=...)`, as PySD's documentation shows a sweep. Its four swept
parameters come from `sd_model.sweep_params`.

leftshift side: the shipped Leeds left-shift scenario (40 stocks x 5 programme layers = 200
stocks, RK4, capacity queues, two programmes with ramp-up, costs by payer) against its baseline,
with four parameters of the same kind (programme budget, home care and care home places, the
85+ admission rate) sampled by Latin hypercube: every point gets every metric and net savings.
It is timed at 10 years (the PySD model's horizon) and at 20 years, one engine run per point as
PySD does, and at 20 years against the baseline (two runs per point: the varied places and
admission rate apply to the baseline too).

PySD is a benchmark-only dependency: `pip install pysd` (never a project dependency).

Usage: python benchmarks/bench_pysd.py [--runs 1000] [--anchors ../shared/anchors]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"
VARY = ["interventions[0].budget=0:10e6", "capacity.home_care.places=2500:3500",
        "capacity.residential.places=3000:4200", "transitions[0].rate.85+=0.4:0.6"]  # fmt: skip


def pysd_sweep(anchors: Path, runs: int) -> dict:
    sys.path.insert(0, str(anchors))
    import sd_model  # the anchors' reference model

    warnings.filterwarnings("ignore")  # PySD warns about element-wise definitions
    import pysd

    with tempfile.TemporaryDirectory() as tmp:
        model = pysd.read_vensim(sd_model.write_models(tmp)["leeds_sd_flat.mdl"])
        params = sd_model.sweep_params(1000)
        columns = ["total acute", "total delayed", "total home care", "cumulative cost"]
        model.run(return_columns=columns)  # warm-up
        start = time.perf_counter()
        for i in range(runs):
            p = {name: float(params[key][i]) for name, key in sd_model.SWEEP_VENSIM.items()}
            model.run(params=p, return_columns=columns)
        wall = time.perf_counter() - start
    return {
        "tool": "pysd",
        "version": pysd.__version__,
        "runs": runs,
        "wall_s": wall,
        "ms_per_point": 1000 * wall / runs,
    }


def leftshift_sweep(points: int, horizon: int, compare: bool, path: Path = SCENARIO, vary: list[str] = VARY) -> dict:
    """One engine run per point (like PySD's sweep); with `compare`, each point also runs its baseline
    (the varied places and admission rate apply to both), so a point is two runs plus the comparison."""
    from leftshift.experiments.runs import sweep
    from leftshift.scenario.loading import load_scenario
    from leftshift.scenario.vary import parse_vary

    overrides = [f"horizon_years={horizon}"]
    scenario = load_scenario(path, overrides)
    baseline = load_scenario(BASELINE, overrides) if compare else None
    dims = [parse_vary(v) for v in vary]
    sweep(scenario, dims, baseline=baseline, sample="lhs", points=4)  # warm-up: imports, cached kernel
    start = time.perf_counter()
    table = sweep(scenario, dims, baseline=baseline, sample="lhs", points=points, seed=1).table
    wall = time.perf_counter() - start
    from leftshift.engines.model import build_layout

    stocks = build_layout(scenario).n_stocks
    return {"tool": "leftshift", "scenario": path.stem, "stocks": stocks, "horizon_years": horizon,
            "with_baseline": compare, "runs": len(table), "wall_s": wall,
            "ms_per_point": 1000 * wall / len(table)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--anchors", type=Path, default=REPO.parent / "shared" / "anchors")
    a = ap.parse_args()
    # first the like-for-like row: the baseline (no programmes, 40 stocks, close to PySD's 24), 10 years
    rows = [leftshift_sweep(a.runs, 10, False, BASELINE, VARY[1:]), leftshift_sweep(a.runs, 10, False),
            leftshift_sweep(a.runs, 20, False), leftshift_sweep(a.runs, 20, True)]  # fmt: skip
    rows.append(pysd_sweep(a.anchors, a.runs))
    for row in rows:
        print(json.dumps(row), flush=True)
    pysd_ms = rows[-1]["ms_per_point"]
    for row in rows[:-1]:
        extra = ", + baseline run and comparison" if row["with_baseline"] else ""
        what = f"{row['scenario']}, {row['horizon_years']} years, {row['stocks']} stocks, RK4{extra}"
        print(
            f"leftshift ({what}): {row['ms_per_point']:.2f} ms per point; PySD (10 years, 24 stocks, Euler): "
            f"{pysd_ms:.1f} ms per run; {pysd_ms / row['ms_per_point']:.0f}x faster per point (target >= 100x)"
        )


if __name__ == "__main__":
    main()
