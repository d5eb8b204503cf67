"""The outputs of the shipped scenarios that the regression tests pin, made by the public API.

`python tests/regression/outputs.py` rewrites the saved snapshots: do that only for a change meant to move
the numbers, and say why in the commit. Tables are kept small (yearly, aggregated) so a diff stays readable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import leftshift
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.vary import parse_vary

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
BASELINE, LEFT_SHIFT = SCENARIOS / "leeds-baseline.yaml", SCENARIOS / "leeds-left-shift.yaml"


def _yearly(result: leftshift.Result) -> dict[str, pd.DataFrame]:
    by_year = ["year", "replication"]
    people = result.timeseries.groupby([*by_year, "state", "programme"], as_index=False)[["people", "person_years"]]
    flows = result.flows.groupby([*by_year, "kind", "source", "target"], as_index=False)["people"]
    costs = result.costs.groupby([*by_year, "service", "payer"], as_index=False)[["cost_gbp", "cost_gbp_discounted"]]
    return {"people": people.sum(), "flows": flows.sum(), "costs": costs.sum()}


def stockflow_run() -> dict[str, pd.DataFrame]:
    """The Leeds-like baseline, 20 years, stock-flow engine."""
    return _yearly(leftshift.run(BASELINE, resolution="year"))


def stockflow_compare() -> dict[str, pd.DataFrame]:
    """The Leeds-like left shift against its baseline: activity avoided and the economic headline."""
    base, shift = leftshift.run(BASELINE, resolution="year"), leftshift.run(LEFT_SHIFT, resolution="year")
    [comparison] = leftshift.compare(base, shift)
    return {"metrics": comparison.metrics, "headline": comparison.headline}


def des_run() -> dict[str, pd.DataFrame]:
    """Two discrete-event replications of the baseline over 2 years (seeded: the same every run)."""
    scenario = load_scenario(BASELINE, ["horizon_years=2"])
    return _yearly(leftshift.run(scenario, engine="des", replications=2, jobs=1))


def sweep() -> dict[str, pd.DataFrame]:
    """Five budgets for the neighbourhood networks, each against the baseline."""
    scenario, baseline = load_scenario(LEFT_SHIFT), load_scenario(BASELINE)
    done = leftshift.sweep(scenario, [parse_vary("interventions[0].budget=0:10e6:5")], baseline=baseline)
    return {"table": done.table}


CASES: dict[str, Callable[[], dict[str, pd.DataFrame]]] = {
    "stockflow_run": stockflow_run,
    "stockflow_compare": stockflow_compare,
    "des_run": des_run,
    "sweep": sweep,
}


def snapshot_path(case: str, table: str) -> Path:
    return SNAPSHOTS / f"{case}.{table}.csv"


def main(cases: list[str]) -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for case in cases or CASES:
        for table, frame in CASES[case]().items():
            frame.to_csv(snapshot_path(case, table), index=False, float_format="%.12g")
            print(f"wrote {snapshot_path(case, table).relative_to(REPO)} ({len(frame)} rows)")


if __name__ == "__main__":
    main(sys.argv[1:])
