"""The library's front door: run a scenario with an engine, compare scenarios with a baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from leftshift import engines
from leftshift.analysis.economics import Comparison
from leftshift.analysis.economics import compare as compare_results
from leftshift.result import Result
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.model import Scenario


def run(
    scenario: Scenario | str | Path,
    engine: str = "stockflow",
    progress: Callable[[int], None] | None = None,
    resolution: str = "step",
    **options: Any,
) -> Result:
    """Run one scenario with the engine called `engine` (`leftshift.engines.ENGINES`). `resolution`
    (step, month or year) is how often the stock-flow engine's tables report; `options` go to the
    engine (the discrete-event engine's replications, jobs, warm_up_years)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    engines.check_resolution(resolution)
    return engines.engine(engine)(scenario, progress=progress, resolution=resolution, **options)


def compare(baseline: Result, *scenarios: Result) -> list[Comparison]:
    """Each scenario against the baseline (net savings, ROI, payback, activity avoided)."""
    return [compare_results(baseline, s) for s in scenarios]
