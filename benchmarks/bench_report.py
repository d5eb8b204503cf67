"""Speed of what `leftshift run` and `compare` write besides the tables: report.html (the Plotly figures and the
page), results.xlsx and yearly.csv, for the shipped Leeds scenarios at a 2-year horizon (as most tests run them)
and at their own 20 years; and, for comparison, the reports of a sweep and of `--samples` draws.

The scenarios are run once (not timed); each piece is then built `--repeats` times and the median kept, after
one warm-up build (imports, Plotly's validators). Pieces: run report (`report.results.run_report`), run workbook
(`report.workbook.run_workbook` and its bytes), yearly table (`analysis.yearly.yearly` of each result), comparison
report and comparison workbook; sweep report and samples report (from the tables the commands save).

`--against DIR` times the same pieces with this tree's code and with the code in DIR (e.g. a worktree of main:
`git worktree add --detach /tmp/base main`), alternately, each in a fresh process, and prints each median and
their ratio (other tree / this tree: above 1, this tree is faster), so both are measured under the same load.

Usage: python benchmarks/bench_report.py [--years 2 20] [--repeats 3]
       python benchmarks/bench_report.py --against /tmp/base [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"


def _median_seconds(build: Callable[[], Any], repeats: int) -> float:
    build()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        build()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _experiment_pages(years: int) -> dict[str, Callable[[], Any]]:
    """Builders of the report of a 9-point sweep of both budgets and of 20 draws of the uncertain inputs, from
    the tables the commands save."""
    from leftshift.cli.experiments import REPORT_SERIES
    from leftshift.experiments.runs import sweep, uncertainty
    from leftshift.report.experiments import samples_report, sweep_report
    from leftshift.scenario.loading import load_scenario
    from leftshift.scenario.vary import parse_vary

    horizon = [f"horizon_years={years}"]
    scenario, baseline = load_scenario(SCENARIO, horizon), load_scenario(BASELINE, horizon)
    vary = [parse_vary("interventions[0].budget=0:10e6:3"), parse_vary("interventions[1].budget=0:2e6:3")]
    table = sweep(scenario, vary, baseline=baseline).table
    draws = uncertainty(scenario, 20, baseline=baseline)
    series = draws.series[draws.series["series"].isin(REPORT_SERIES)]
    quantiles = series.rename(columns={"series": "metric", "p5": "q05", "p25": "q25", "p50": "q50", "p75": "q75",
                                       "p95": "q95"})  # fmt: skip
    return {
        "sweep report": lambda: sweep_report(table, "net_savings_gbp_discounted", None, "max", scenario),
        "samples report": lambda: samples_report(draws.samples, quantiles, scenario, scenario.start_year),
    }


def child(years: int, repeats: int) -> None:
    """In this (fresh) process: run Leeds at `years`, then time each piece; print a JSON line of medians."""
    from leftshift import api
    from leftshift.analysis import summary
    from leftshift.analysis.breakdown import breakdown
    from leftshift.analysis.yearly import yearly
    from leftshift.report import excel
    from leftshift.report.results import comparison_report, run_report
    from leftshift.report.workbook import comparison_workbook, run_workbook
    from leftshift.scenario.loading import load_scenario

    horizon = [f"horizon_years={years}"]
    results = [api.run(load_scenario(path, horizon)) for path in (BASELINE, SCENARIO)]
    comparisons = api.compare(*results)
    breakdowns = [breakdown(comparisons[0], results[0], results[1])]
    summaries = [summary.build(r) for r in results]
    pieces = {
        "run report": lambda: run_report(results[1], summaries[1]),
        "run workbook": lambda: excel.deterministic_bytes(run_workbook(results[1], summaries[1])),
        "yearly tables": lambda: [yearly(r) for r in results],
        "comparison report": lambda: comparison_report(results, comparisons, summaries, (), breakdowns),
        "comparison workbook": lambda: excel.deterministic_bytes(comparison_workbook(results, comparisons, summaries)),
        **_experiment_pages(years),
    }
    print(json.dumps({name: _median_seconds(build, repeats) for name, build in pieces.items()}))


def measure(years: int, repeats: int, src: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, __file__, "--child", "--years", str(years), "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True, env=env, cwd=tempfile.gettempdir())  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def against(other: Path, years: list[int], repeats: int, rounds: int) -> None:
    """Each piece's median with this tree and with `other`, alternating rounds so both see the same load."""
    for y in years:
        mine, theirs = [], []
        for _ in range(rounds):
            mine.append(measure(y, repeats, REPO / "src"))
            theirs.append(measure(y, repeats, other / "src"))
        print(f"Leeds, {y} years: seconds (median of {rounds} rounds), this tree / {other.name}, ratio {other.name} "
              "/ this tree per round")  # fmt: skip
        for piece in mine[0]:
            a = [m[piece] for m in mine]
            b = [t[piece] for t in theirs]
            ratios = [t / m for m, t in zip(a, b, strict=True)]
            print(f"  {piece:22s} {statistics.median(a):7.3f} / {statistics.median(b):7.3f}   ratio "
                  f"{statistics.median(ratios):5.2f} ({', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[2, 20])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", type=Path, help="a source tree to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.years[0], args.repeats)
    elif args.against:
        against(args.against.resolve(), args.years, args.repeats, args.rounds)
    else:
        for y in args.years:
            found = measure(y, args.repeats, REPO / "src")
            print(f"Leeds, {y} years: " + ", ".join(f"{k} {v:.3f} s" for k, v in found.items()))


if __name__ == "__main__":
    main()
