"""The library's front door: run a scenario with an engine, compare scenarios with a baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from leftshift.economics import Comparison
from leftshift.economics import compare as compare_results
from leftshift.errors import LeftshiftError
from leftshift.loading import load_scenario
from leftshift.result import Result
from leftshift.scenario import Scenario

ENGINES = ("stockflow", "des")


def run(
    scenario: Scenario | str | Path,
    engine: str = "stockflow",
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> Result:
    """Run one scenario. `options` go to the discrete-event engine (replications, jobs, warm_up_years)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if engine == "stockflow":
        if options:
            raise LeftshiftError(f"the stock-flow engine takes no options ({', '.join(options)} given)")
        from leftshift.engines.stockflow import simulate
        from leftshift.engines.tables import to_result

        return to_result(simulate(scenario, progress=progress))
    if engine == "des":
        from leftshift.engines.des import run_des

        return run_des(scenario, progress=progress, **options)
    raise LeftshiftError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")


def compare(baseline: Result, *scenarios: Result) -> list[Comparison]:
    """Each scenario against the baseline (net savings, ROI, payback, activity avoided)."""
    return [compare_results(baseline, s) for s in scenarios]
