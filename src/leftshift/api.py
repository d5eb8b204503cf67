"""The library's front door: run a scenario with an engine, compare scenarios with a baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from leftshift.analysis.economics import Comparison
from leftshift.analysis.economics import compare as compare_results
from leftshift.errors import LeftshiftError
from leftshift.result import Result
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.model import Scenario

ENGINES = ("stockflow", "des")


RESOLUTIONS = {"step": "full", "month": "monthly", "year": "yearly"}


def run(
    scenario: Scenario | str | Path,
    engine: str = "stockflow",
    progress: Callable[[int], None] | None = None,
    resolution: str = "step",
    **options: Any,
) -> Result:
    """Run one scenario. `resolution` (step, month or year) is how often the stock-flow engine's tables
    report; `options` go to the discrete-event engine (replications, jobs, warm_up_years)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if resolution not in RESOLUTIONS:
        raise LeftshiftError(f"unknown resolution '{resolution}'; choose one of: {', '.join(RESOLUTIONS)}")
    if engine == "stockflow":
        if options:
            raise LeftshiftError(f"the stock-flow engine takes no options ({', '.join(options)} given)")
        from leftshift.engines.stockflow.engine import simulate
        from leftshift.engines.tables import to_result

        return to_result(simulate(scenario, record=RESOLUTIONS[resolution], progress=progress))
    if resolution != "step":
        raise LeftshiftError("the discrete-event engine reports every step; leave out --resolution")
    if engine == "des":
        from leftshift.engines.des.engine import run_des

        return run_des(scenario, progress=progress, **options)
    raise LeftshiftError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")


def compare(baseline: Result, *scenarios: Result) -> list[Comparison]:
    """Each scenario against the baseline (net savings, ROI, payback, activity avoided)."""
    return [compare_results(baseline, s) for s in scenarios]
