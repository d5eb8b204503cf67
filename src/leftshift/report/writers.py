"""report.html: one self-contained page a commissioner can email to a director, and open offline.

The public functions build a page (`leftshift.report.results`, `leftshift.report.experiments`,
`leftshift.report.calibration`, `leftshift.report.optimise`) and write it as `report.html` into an existing
directory through `leftshift.io` (atomically: a reader never sees half a report), returning its path:
`write_run_report`, `write_comparison_report`, `write_sweep_report`, `write_sensitivity_report`, `write_samples_report`,
`write_calibration_report`, `write_optimise_report`; `rebuild_report` rebuilds it from a results directory without
re-running.
docs/reports.md describes the sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from leftshift.analysis.breakdown import Breakdown
from leftshift.analysis.economics import Comparison
from leftshift.errors import LeftshiftError
from leftshift.experiments.calibration import Calibration
from leftshift.experiments.optimise import Optimisation
from leftshift.io.writing import files_below, write_text_atomic
from leftshift.report.calibration import calibration_report
from leftshift.report.experiments import samples_report, sensitivity_report, sweep_report
from leftshift.report.explain import Uncertainty, read_uncertainty
from leftshift.report.headline import format_value
from leftshift.report.page import REPORT
from leftshift.report.parameters import parameter_table
from leftshift.report.results import comparison_report, run_report
from leftshift.result import Result
from leftshift.scenario.model import Scenario

BREAKDOWN = "breakdown.csv"
"""Where `leftshift compare` writes each comparison's breakdown (`analysis.breakdown.table`)."""


def _write(directory: str | Path, page: str) -> Path:
    return write_text_atomic(Path(directory) / REPORT, page)


def write_run_report(directory: str | Path, result: Result, summary: dict[str, Any]) -> Path:
    """report.html for one run: headline totals, assumptions, charts and the parameter table."""
    return _write(directory, run_report(result, summary, files_below(Path(directory), REPORT)))


def write_comparison_report(
    directory: str | Path, results: Sequence[Result], comparisons: Sequence[Comparison],
    summaries: Sequence[dict[str, Any]], breakdowns: Sequence[Breakdown] | None = None,
) -> Path:  # fmt: skip
    """report.html for a baseline (results[0]) and scenarios: the verdict, why, who pays and saves, charts.

    `breakdowns` (`analysis.breakdown`) default to the folder's breakdown.csv, if any; the verdict quotes the
    draws of `--samples` saved in the folder's uncertainty/ and links their report."""
    directory = Path(directory)
    related = files_below(directory, REPORT)
    if breakdowns is None:
        breakdowns = _saved_breakdowns(directory, comparisons)
    found = {r.scenario.name: u for r in results[1:] if (u := _saved_draws(directory, r, len(results) > 2))}
    page = comparison_report(results, comparisons, summaries, related, breakdowns, found)
    return _write(directory, page)


def _saved_breakdowns(directory: Path, comparisons: Sequence[Comparison]) -> list[Breakdown] | None:
    """The breakdowns in `directory`/breakdown.csv, if it holds one for each comparison."""
    from leftshift.analysis.breakdown import from_table

    path = directory / BREAKDOWN
    if not path.is_file():
        return None
    saved = {b.scenario: b for b in from_table(pd.read_csv(path, keep_default_na=False, na_values=[""]))}
    if any(c.scenario not in saved for c in comparisons):
        return None
    return [saved[c.scenario] for c in comparisons]


def _saved_draws(directory: Path, result: Result, several: bool) -> Uncertainty | None:
    """The `--samples` draws of a scenario saved below a comparison: uncertainty/ (one scenario) or
    uncertainty/<scenario>/ (several), with the path of their report."""
    from leftshift.io.writing import slug

    folder = directory / "uncertainty" / slug(result.scenario.name) if several else directory / "uncertainty"
    samples = folder / "samples.parquet"
    if not samples.is_file():
        return None
    report, by_year = folder / REPORT, folder / "percentiles_by_year.csv"
    link = report.relative_to(directory) if report.is_file() else None
    return read_uncertainty(pd.read_parquet(samples), link, pd.read_csv(by_year) if by_year.is_file() else None)


def write_sweep_report(
    directory: str | Path, sweep: pd.DataFrame, metric: str, varied: Sequence[str] | None = None,
    best: Literal["max", "min"] = "max", scenario: Scenario | None = None, also: Sequence[str] = (),
) -> Path:  # fmt: skip
    """report.html for a sweep: the best point, `metric` (and any `also` metrics) against the varied parameters."""
    return _write(directory, sweep_report(sweep, metric, varied, best, scenario, also))


def write_sensitivity_report(
    directory: str | Path, metric: str, tornado: pd.DataFrame | None = None, base: float | None = None,
    sobol: pd.DataFrame | None = None, scenario: Scenario | None = None, samples: int | None = None,
) -> Path:  # fmt: skip
    """report.html for a sensitivity analysis: a tornado (one at a time) and Sobol indices, as given (`samples`:
    the Sobol base sample size, to warn when it is too small)."""
    return _write(directory, sensitivity_report(metric, tornado, base, sobol, scenario, samples))


def write_samples_report(
    directory: str | Path, samples: pd.DataFrame | None = None, quantiles: pd.DataFrame | None = None,
    scenario: Scenario | None = None, start_year: int | None = None,
) -> Path:  # fmt: skip
    """report.html for Monte Carlo samples: P(net savings > 0), P(ROI > 1), distributions and fan charts."""
    return _write(directory, samples_report(samples, quantiles, scenario, start_year))


def write_calibration_report(directory: str | Path, calibration: Calibration) -> Path:
    """report.html for a calibration: the fit before and after, the fitted values, what the data cannot identify."""
    return _write(directory, calibration_report(calibration))


def write_optimise_report(directory: str | Path, optimisation: Optimisation) -> Path:
    """report.html for an optimisation: the best split, marginal returns, each payer's best split, the frontier."""
    from leftshift.report.optimise import optimise_report

    return _write(directory, optimise_report(optimisation))


def rebuild_report(results_dir: str | Path) -> Path:
    """Rebuild report.html from the files `leftshift run`, `compare`, `sweep` or `sensitivity` wrote, without
    re-running (`leftshift.report.rebuild` for the last two)."""
    from leftshift.analysis.economics import compare
    from leftshift.io import reading

    directory = Path(results_dir)
    if not directory.is_dir():
        raise LeftshiftError(f"{directory} is not a directory of results")
    if (directory / reading.EXPERIMENT).is_file():
        from leftshift.report.rebuild import rebuild_experiment

        return rebuild_experiment(directory)
    if (directory / reading.COMPARISON).is_file():
        results, summaries, _ = reading.read_comparison(directory)
        comparisons = [compare(results[0], r) for r in results[1:]]
        return write_comparison_report(directory, results, comparisons, summaries)
    if (directory / reading.SUMMARY).is_file():
        return write_run_report(directory, reading.read_result(directory), reading.read_summary(directory))
    raise LeftshiftError(
        f"{directory} holds no leftshift results: expected summary.json (from `leftshift run`), comparison.csv "
        "(from `leftshift compare`) or experiment.json (from `leftshift sweep` or `leftshift sensitivity`)"
    )


__all__ = [
    "REPORT", "format_value", "parameter_table", "rebuild_report", "write_calibration_report",
    "write_comparison_report", "write_optimise_report", "write_run_report", "write_samples_report",
    "write_sensitivity_report", "write_sweep_report",
]  # fmt: skip
