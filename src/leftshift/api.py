"""The library's front door: run a scenario with an engine, compare scenarios with a baseline, calibrate a
scenario to observed figures, split a budget across a scenario's programmes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leftshift import engines
from leftshift.analysis.economics import Comparison
from leftshift.analysis.economics import compare as compare_results
from leftshift.result import Result
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from leftshift.experiments.calibration import Calibration
    from leftshift.experiments.optimise import Optimisation


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


def calibrate(
    scenario: Scenario | str | Path,
    observed: pd.DataFrame | str | Path,
    fit: Sequence[str],
    max_steps: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Fit scenario values to observed yearly figures by weighted least squares (docs/calibration.md).

    `observed`: observed.csv (year, metric, value, optionally age_band, weight, unit), or the same as a
    DataFrame; `fit`: key paths as `--fit` takes them, `KEY.PATH=LOW:HIGH` or `KEY.PATH` (bounds from the
    value's distribution). `progress(1)` is called at each optimiser step (at most `max_steps`, by default
    `experiments.calibration.MAX_STEPS`)."""
    from leftshift.experiments.calibration import MAX_STEPS
    from leftshift.experiments.calibration import calibrate as fit_scenario
    from leftshift.io.reading import read_observed

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if isinstance(observed, str | Path):
        source, observed = str(observed), read_observed(observed)
    else:
        source = "the observed table"
    steps = MAX_STEPS if max_steps is None else max_steps
    return fit_scenario(scenario, observed, fit, source=source, max_steps=steps, progress=progress)


def optimise(
    scenario: Scenario | str | Path,
    baseline: Scenario | str | Path,
    budget: float,
    objective: str = "net_savings",
    payer: str | None = None,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> Optimisation:
    """The best split of `budget` GBP a year across the scenario's programmes (and places bought from a budget)
    against the baseline (docs/optimise.md). `objective`: net_savings, system_cost, person_years_at_home or
    emergency_admissions; `payer`: nhs, council or all (money objectives); `options`: the other fields of
    `experiments.optimise.Settings` (criterion='mean'|'p10' with samples, mins, maxs, spend_all, frontier, seed)."""
    from leftshift.experiments.optimise import Settings
    from leftshift.experiments.optimise import optimise as find

    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    baseline = baseline if isinstance(baseline, Scenario) else load_scenario(baseline)
    return find(scenario, baseline, Settings(float(budget), objective, payer, **options), progress=progress)
