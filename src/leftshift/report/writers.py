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

from leftshift.analysis.economics import Comparison
from leftshift.errors import LeftshiftError
from leftshift.experiments.calibration import Calibration
from leftshift.experiments.optimise import Optimisation
from leftshift.io.writing import files_below, write_text_atomic
from leftshift.report.calibration import calibration_report
from leftshift.report.experiments import samples_report, sensitivity_report, sweep_report
from leftshift.report.headline import format_value
from leftshift.report.page import REPORT
from leftshift.report.parameters import parameter_table
from leftshift.report.results import comparison_report, run_report
from leftshift.result import Result
from leftshift.scenario.model import Scenario


def _write(directory: str | Path, page: str) -> Path:
    return write_text_atomic(Path(directory) / REPORT, page)


def write_run_report(directory: str | Path, result: Result, summary: dict[str, Any]) -> Path:
    """report.html for one run: headline totals, assumptions, charts and the parameter table."""
    return _write(directory, run_report(result, summary, files_below(Path(directory), REPORT)))


def write_comparison_report(
    directory: str | Path, results: Sequence[Result], comparisons: Sequence[Comparison],
    summaries: Sequence[dict[str, Any]],
) -> Path:  # fmt: skip
    """report.html for a baseline (results[0]) and scenarios: headline savings, who pays and saves, charts."""
    related = files_below(Path(directory), REPORT)
    return _write(directory, comparison_report(results, comparisons, summaries, related))


def write_sweep_report(
    directory: str | Path, sweep: pd.DataFrame, metric: str, varied: Sequence[str] | None = None,
    best: Literal["max", "min"] = "max", scenario: Scenario | None = None, also: Sequence[str] = (),
) -> Path:  # fmt: skip
    """report.html for a sweep: the best point, `metric` (and any `also` metrics) against the varied parameters."""
    return _write(directory, sweep_report(sweep, metric, varied, best, scenario, also))


def write_sensitivity_report(
    directory: str | Path, metric: str, tornado: pd.DataFrame | None = None, base: float | None = None,
    sobol: pd.DataFrame | None = None, scenario: Scenario | None = None,
) -> Path:  # fmt: skip
    """report.html for a sensitivity analysis: a tornado (one at a time) and Sobol indices, as given."""
    return _write(directory, sensitivity_report(metric, tornado, base, sobol, scenario))


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
    """Rebuild report.html from the files `leftshift run` or `leftshift compare` wrote, without re-running."""
    from leftshift.analysis.economics import compare
    from leftshift.io import reading

    directory = Path(results_dir)
    if not directory.is_dir():
        raise LeftshiftError(f"{directory} is not a directory of results")
    if (directory / reading.COMPARISON).is_file():
        results, summaries, _ = reading.read_comparison(directory)
        comparisons = [compare(results[0], r) for r in results[1:]]
        return write_comparison_report(directory, results, comparisons, summaries)
    if (directory / reading.SUMMARY).is_file():
        return write_run_report(directory, reading.read_result(directory), reading.read_summary(directory))
    raise LeftshiftError(
        f"{directory} holds no leftshift results: expected summary.json (from `leftshift run`) or comparison.csv "
        "(from `leftshift compare`)"
    )


__all__ = [
    "REPORT", "format_value", "parameter_table", "rebuild_report", "write_calibration_report",
    "write_comparison_report", "write_optimise_report", "write_run_report", "write_samples_report",
    "write_sensitivity_report", "write_sweep_report",
]  # fmt: skip
