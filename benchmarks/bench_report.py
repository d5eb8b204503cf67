"""Speed of what `leftshift run` and `compare` write besides the tables: report.html (the Plotly figures and the
page), results.xlsx and yearly.csv, for the shipped Leeds scenarios at a 2-year horizon (as most tests run them)
and at their own 20 years; and, for comparison, the reports of a sweep and of `--samples` draws.

The scenarios are run once (not timed); each piece is then built `--repeats` times and the median CPU time kept
(the machine is shared), after one warm-up build (imports, Plotly's validators). Pieces, as `leftshift run` and
`compare` build them: the report page (`report.results.run_report`, `comparison_report`); yearly.csv's tables
(`analysis.yearly`) and the workbook with its bytes (`report.workbook`); their sum; and the pages of a sweep and
of `--samples` draws (from the tables those commands save).

`--against DIR` times the same pieces with this tree's code and with the code in DIR (e.g. a worktree of main:
`git worktree add --detach /tmp/base main`), alternately, each in a fresh process, and prints each median and
their ratio (other tree / this tree: above 1, this tree is faster), so both are measured under the same load.

Usage: python benchmarks/bench_report.py [--years 2 20] [--repeats 3]
       python benchmarks/bench_report.py --against /tmp/base [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from children import run_child  # benchmarks/children.py, beside this script

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "leeds-baseline.yaml"
SCENARIO = REPO / "scenarios" / "leeds-left-shift.yaml"


def _median_seconds(build: Callable[[], Any], repeats: int) -> float:
    """Median CPU seconds of `build` after one warm-up call."""
    build()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.process_time()
        build()
        times.append(time.process_time() - start)
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


def _workbooks(results: list[Any], comparisons: list[Any], summaries: list[Any]) -> dict[str, Callable[[], Any]]:
    """The run and comparison workbooks as the commands build them: with the yearly tables they computed for
    yearly.csv, when the workbook takes them (older trees compute them again inside)."""
    import inspect

    from leftshift.analysis.yearly import yearly
    from leftshift.report import excel
    from leftshift.report.workbook import comparison_workbook, run_workbook

    shared = "yearlies" in inspect.signature(comparison_workbook).parameters

    def run() -> bytes:
        table = yearly(results[1])  # (for yearly.csv)
        book = run_workbook(results[1], summaries[1], table) if shared else run_workbook(results[1], summaries[1])
        return excel.deterministic_bytes(book)

    def compare() -> bytes:
        tables = [yearly(r) for r in results]  # (for each scenario's yearly.csv)
        extra = (tables,) if shared else ()
        return excel.deterministic_bytes(comparison_workbook(results, comparisons, summaries, *extra))

    return {"run: yearly.csv + workbook": run, "compare: yearly.csv + workbook": compare}


def child(years: int, repeats: int) -> None:
    """In this (fresh) process: run Leeds at `years`, then time each piece; print a JSON line of medians (CPU
    seconds of this process: what compares on a shared machine)."""
    from leftshift import api
    from leftshift.analysis import summary
    from leftshift.analysis.breakdown import breakdown
    from leftshift.report.results import comparison_report, run_report
    from leftshift.scenario.loading import load_scenario

    horizon = [f"horizon_years={years}"]
    results = [api.run(load_scenario(path, horizon)) for path in (BASELINE, SCENARIO)]
    comparisons = api.compare(*results)
    breakdowns = [breakdown(comparisons[0], results[0], results[1])]
    summaries = [summary.build(r) for r in results]
    books = _workbooks(results, comparisons, summaries)
    pieces = {
        "run: report": lambda: run_report(results[1], summaries[1]),
        "run: yearly.csv + workbook": books["run: yearly.csv + workbook"],
        "compare: report": lambda: comparison_report(results, comparisons, summaries, (), breakdowns),
        "compare: yearly.csv + workbook": books["compare: yearly.csv + workbook"],
        **_experiment_pages(years),
    }
    found = {name: _median_seconds(build, repeats) for name, build in pieces.items()}
    for command in ("run", "compare"):
        found[f"{command}: all of it"] = found[f"{command}: report"] + found[f"{command}: yearly.csv + workbook"]
    print(json.dumps(found))


def measure(years: int, repeats: int, src: Path) -> dict[str, float]:
    out = run_child(__file__, src, "--child", "--years", str(years), "--repeats", str(repeats),
                    cwd=tempfile.gettempdir())  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


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
            print(f"  {piece:32s} {statistics.median(a):7.3f} / {statistics.median(b):7.3f}   ratio "
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
