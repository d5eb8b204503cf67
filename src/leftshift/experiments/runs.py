"""Experiments on the stock-flow engine: sweeps over options, Monte Carlo uncertainty, sensitivity.

    from leftshift.experiments.runs import sweep, uncertainty
    from leftshift.scenario.vary import parse_vary
    table = sweep(scenario, [parse_vary("interventions[0].budget=0:10e6:21")], baseline=base).table
    draws = uncertainty(scenario, 1000, baseline=base)   # percentiles, P(net savings > 0)

Every experiment is a Design (points x parameters) run in vectorised batches by
`leftshift.experiments.execute`; `leftshift.experiments.sensitivity` adds SALib's Sobol and Morris
methods and the one-at-a-time tornado. Nothing here touches disk: finished batches go to the store
`Execution(parts=...)` is given, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.errors import LeftshiftError
from leftshift.experiments.design import (
    SAMPLERS,
    Design,
    Template,
    baseline_template,
    correlation_for,
    grid_design,
    sampled_design,
    uncertainty_design,
)  # fmt: skip
from leftshift.experiments.execute import SERIES_SEP, Execution, Job, baseline_summary, dask_client, execute
from leftshift.rng import generator
from leftshift.scenario.model import Scenario
from leftshift.scenario.vary import Dimension

PERCENTILES = (5, 25, 50, 75, 95)
MAX_GRID_POINTS = 5_000_000


@dataclass(frozen=True)
class SweepResult:
    """One row per point: `point`, the varied values, every metric (and vs-baseline figures)."""

    table: pd.DataFrame
    parameters: tuple[str, ...]
    scenario: str
    baseline: str | None = None


@dataclass(frozen=True)
class UncertaintyResult:
    """Draws and their spread. `samples`: one row per draw (parameters + metrics); `metrics`: metric,
    mean, p5, p50, p95; `series`: series, year, mean, p5, p50, p95 (yearly figures); `probabilities`:
    P(net savings > 0) and P(ROI > 1) when there is a baseline."""

    samples: pd.DataFrame
    metrics: pd.DataFrame
    series: pd.DataFrame
    probabilities: dict[str, float]
    parameters: tuple[str, ...]
    scenario: str
    baseline: str | None = None


def check_pair(scenario: Scenario, baseline: Scenario | None) -> None:
    """A baseline must cover the same years as the scenario, or yearly savings cannot be lined up."""
    if baseline is None:
        return
    if (baseline.start_year, baseline.horizon_years, baseline.time_step_weeks) != (
        scenario.start_year, scenario.horizon_years, scenario.time_step_weeks,
    ):  # fmt: skip
        raise LeftshiftError(
            f"the baseline '{baseline.name}' and the scenario '{scenario.name}' must have the same start_year, "
            "horizon_years and time_step_weeks"
        )


def prepare(scenario: Scenario, baseline: Scenario | None, design: Design, origin: str, series: bool) -> Job:
    """Templates for both scenarios, with every extreme value checked before any work starts."""
    check_pair(scenario, baseline)
    fallback = dict(baseline.uncertainty) if baseline is not None else {}
    template = Template.of(scenario, design, origin=origin, only_present=design.unit, fallback=fallback)
    template.check(design)
    base = baseline_template(baseline, scenario, template, design) if baseline is not None else None
    if base is not None:
        base.check(design)
    return Job(template, base, unit=design.unit, series=series)


def run_design(
    job: Job, design: Design, baseline: Scenario | None, execution: Execution
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run a prepared design (connecting to Dask first, so a bad address fails before any work)."""
    with dask_client(execution.dask, execution.jobs) as client:
        if baseline is not None and job.baseline is None:
            fixed = baseline_summary(Template.of(baseline, Design((), np.zeros((1, 0))), label="baseline"))
            job = Job(job.scenario, None, fixed, job.unit, job.series)
        return execute(job, design, execution, client)


def sweep(
    scenario: Scenario,
    dimensions: Sequence[Dimension],
    *,
    baseline: Scenario | None = None,
    sample: str | None = None,
    points: int | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
) -> SweepResult:
    """Run the scenario at every point of a full grid, or at `points` sampled points (lhs | sobol | random).

    A varied key path applies to the baseline too when the baseline has it (and, inside
    `interventions[i]`, the same intervention): the comparison is then the same world with and
    without the change, point by point.
    """
    if not dimensions:
        raise LeftshiftError("nothing to vary: give --vary key.path=start:stop:count (or a sweep: block)")
    paths = [d.path for d in dimensions]
    if len(set(paths)) != len(paths):
        raise LeftshiftError(f"--vary: a key path is given twice ({', '.join(p for p in paths if paths.count(p) > 1)})")
    if sample is None:
        n = int(np.prod([len(d.grid_values()) for d in dimensions], dtype=float))
        if n > MAX_GRID_POINTS:
            raise LeftshiftError(f"the full grid has {n:,} points; sample some with --sample lhs --points N")
        design = grid_design(dimensions)
    else:
        if sample not in SAMPLERS:
            raise LeftshiftError(f"unknown --sample '{sample}'; choose one of: {', '.join(SAMPLERS)}")
        if not points or points < 1:
            raise LeftshiftError("--sample needs --points N (at least 1)")
        rng = generator(scenario.seed if seed is None else seed, 0, "sweep")
        design = sampled_design(dimensions, sample, points, rng)
    job = prepare(scenario, baseline, design, "--vary", series=False)
    table, _ = run_design(job, design, baseline, execution or Execution())
    return SweepResult(table, tuple(paths), scenario.name, baseline.name if baseline else None)


def uncertain_parameters(scenario: Scenario, baseline: Scenario | None = None) -> list[str]:
    names = list(scenario.uncertainty)
    if baseline is not None:
        names += [n for n in baseline.uncertainty if n not in scenario.uncertainty]
    return names


def uncertainty(
    scenario: Scenario,
    samples: int,
    *,
    baseline: Scenario | None = None,
    sampler: str = "lhs",
    seed: int | None = None,
    execution: Execution | None = None,
) -> UncertaintyResult:
    """Draw `samples` parameter sets from the scenario's distributions and run them all.

    Draws are a Latin hypercube by default, seeded from the scenario's seed (or `seed`), with any
    `correlations:` imposed on their ranks. Baseline and scenario get the same draw of every
    parameter they share (common random numbers), so the spread of the savings is the spread of
    the inputs, not noise.
    """
    names = uncertain_parameters(scenario, baseline)
    if not names:
        raise LeftshiftError(
            f"'{scenario.name}' has no uncertain parameters; write a value as a distribution, e.g. "
            "{dist: triangular, low: 0.85, mode: 0.95, high: 1.0} (docs/experiments.md)"
        )
    if samples < 1:
        raise LeftshiftError("--samples must be at least 1")
    rng = generator(scenario.seed if seed is None else seed, 0, "uncertainty")
    design = uncertainty_design(names, samples, sampler, rng, correlation_for(names, scenario, *_maybe(baseline)))
    job = prepare(scenario, baseline, design, "a draw of", series=True)
    table, wide = run_design(job, design, baseline, execution or Execution())
    return summarise_draws(table, wide, names, scenario.name, baseline.name if baseline else None)


def _maybe(baseline: Scenario | None) -> list[Scenario]:
    return [baseline] if baseline is not None else []


def summarise_draws(
    table: pd.DataFrame, wide: pd.DataFrame | None, names: Sequence[str], scenario: str, baseline: str | None
) -> UncertaintyResult:
    """Percentiles of every metric and yearly series, and the chance that the investment pays."""
    metric_columns = [c for c in table.columns if c != "point" and c not in names]
    rows = []
    for column in metric_columns:
        values = table[column].to_numpy(dtype=float)
        rows.append({"metric": column, **_spread(values)})
    series_rows = []
    if wide is not None:
        for column in wide.columns:
            if column == "point":
                continue
            name, _, year = column.rpartition(SERIES_SEP)
            series_rows.append({"series": name, "year": int(year), **_spread(wide[column].to_numpy(dtype=float))})
    probabilities: dict[str, float] = {}
    if "net_savings_gbp_discounted" in table:
        probabilities["p_net_savings_positive"] = float((table["net_savings_gbp_discounted"] > 0).mean())
        probabilities["p_roi_above_1"] = float((table["roi"].fillna(-np.inf) > 1).mean())
    return UncertaintyResult(table, pd.DataFrame(rows), pd.DataFrame(series_rows), probabilities, tuple(names),
                             scenario, baseline)  # fmt: skip


def _spread(values: np.ndarray) -> dict[str, float]:
    finite = values[~np.isnan(values)]
    if not len(finite):
        return {"mean": np.nan, **{f"p{p}": np.nan for p in PERCENTILES}, "share_undefined": 1.0}
    pct = np.percentile(finite, PERCENTILES)
    return {"mean": float(finite.mean()), **{f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)},
            "share_undefined": float(1 - len(finite) / len(values))}  # fmt: skip


__all__ = ["PERCENTILES", "SweepResult", "UncertaintyResult", "check_pair", "prepare", "run_design", "summarise_draws",
           "sweep", "uncertain_parameters", "uncertainty"]  # fmt: skip
