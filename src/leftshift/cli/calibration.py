"""`leftshift calibrate`: fit scenario values to observed yearly figures, and what it prints.

The library does the work (`leftshift.api.calibrate`, `leftshift.experiments.calibration`); `leftshift.io`
writes calibrated.yaml, parameters.csv, fit.csv and experiment.json, `leftshift.report` the report. Everything
that can be checked before the fit is (the scenario, observed.csv's file, the --out folder); the observed rows
and the bounds are checked before the first optimiser step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from leftshift.cli.shared import Command, after_report, handle_errors, report_failed, report_options, try_report

MAX_STEPS = 100
"""`leftshift.experiments.calibration.MAX_STEPS`, written out so that `--help` imports nothing heavy (a test checks)."""


@click.command(cls=Command)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--observed", type=click.Path(path_type=Path), required=True, metavar="FILE.csv",
              help="Observed figures: a CSV with columns year, metric, value, and optionally age_band, weight, unit "
              "(metric names as in yearly.csv).")  # fmt: skip
@click.option("--fit", "fits", multiple=True, required=True, metavar="KEY.PATH[=LOW:HIGH]",
              help="A value to fit, between LOW and HIGH (without them: the range of the value's distribution); "
              "repeatable.")  # fmt: skip
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a scenario value before fitting (repeatable).")  # fmt: skip
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=MAX_STEPS,
    show_default=True,
    help="Optimiser steps at most (each runs the model once; a Jacobian, twice per fitted value).",
)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: results/calibrate-<scenario-name>/).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the output directory if it already holds files.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@report_options
@handle_errors
def calibrate(
    scenario: Path, observed: Path, fits: tuple[str, ...], overrides: tuple[str, ...], max_steps: int,
    out: Path | None, force: bool, quiet: bool, open_report: bool, no_report: bool, strict: bool,
) -> None:  # fmt: skip
    """Fit scenario values to observed yearly figures (admissions, deaths, bed days, ...) by weighted least
    squares on relative differences, with the stock-flow engine. Writes calibrated.yaml (the scenario with
    the fitted values, each with a source note saying how it was fitted), parameters.csv (fitted values,
    approximate 95% intervals, and whether the data can identify each), fit.csv (observed against fitted)
    and report.html, and says which values the data cannot identify. docs/calibration.md explains it.

    \b
    Example:
      leftshift calibrate scenarios/leeds-baseline.yaml --observed docs/examples/observed-leeds.csv \\
        --fit 'transitions[0].rate.85+=0.3:0.8' --fit 'transitions[3].rate.85+=0.01:0.1'
    """
    from leftshift.cli.progress import progress_bar
    from leftshift.cli.shared import check_plausible, check_scenarios, load, with_file
    from leftshift.errors import ScenarioError
    from leftshift.experiments.calibration import calibrate as fit_scenario
    from leftshift.io.outputs import claim_output
    from leftshift.io.reading import read_observed
    from leftshift.io.writing import slug, write_calibration

    base = load(scenario, overrides)
    raw = read_observed(observed)
    check_scenarios([base], strict, quiet)
    target = out or Path("results") / f"calibrate-{slug(base.name)}"
    failures: list[str] = []
    with claim_output(target, force) as claim:
        with progress_bar(f"{base.name}: fitting (optimiser steps)", max_steps, quiet, transient=True) as advance:
            try:
                result = fit_scenario(base, raw, fits, source=str(observed), max_steps=max_steps, progress=advance)
            except ScenarioError as exc:  # a bound the scenario cannot take: name the file it came from
                raise with_file(exc, scenario) from None
        check_plausible("scenario", result.scenario, strict, quiet)
        with claim.writing() as work:
            write_calibration(work, result, _provenance(result, observed, fits, max_steps))
            written = not no_report and try_report(lambda: _report(work, result), failures)
    if not quiet:
        print_calibration(result, target)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target, rebuild=False)


def _report(work: Path, result: Any) -> None:
    from leftshift.report.writers import write_calibration_report

    write_calibration_report(work, result)


def _provenance(result: Any, observed: Path, fits: tuple[str, ...], max_steps: int) -> dict[str, Any]:
    from leftshift.cli.experiments import provenance
    from leftshift.scenario.loading import scenario_hash

    return provenance(
        result.original, command="calibrate", observed=str(observed), fit=list(fits), max_steps=max_steps,
        observations=len(result.fit), model_runs=result.runs, converged=result.converged, message=result.message,
        rms_relative_miss_start=result.rms("start"), rms_relative_miss_fitted=result.rms(),
        unidentified=result.unidentified(), calibrated_scenario=result.scenario.name,
        calibrated_scenario_hash=scenario_hash(result.scenario),
    )  # fmt: skip


def _value(value: float) -> str:
    return "-" if value != value else f"{value:,.5g}"


def print_calibration(result: Any, directory: Path) -> None:
    """The fitted values (start, fitted, interval, identifiable), how close the fit is, and what cannot be told."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    view = Table(title=f"Calibrated {result.original.name}: {len(result.parameters)} value(s) fitted to "
                 f"{len(result.fit)} observed figures", title_justify="left")  # fmt: skip
    widest = max(len(p) for p in result.parameters["parameter"])
    view.add_column("parameter", no_wrap=True, min_width=min(widest, 60))
    for column in ("start", "fitted", "± approx. 95%", "identified"):
        view.add_column(column, justify="right")
    for r in result.parameters.itertuples(index=False):
        interval = f"±{r.ci95_high - r.fitted:.2g}" if r.ci95_low == r.ci95_low else "-"
        view.add_row(Text(r.parameter), _value(r.start), _value(r.fitted), interval, "yes" if r.identifiable else "NO")
    console.print(view)
    console.print(f"Typical miss (root mean square of (model - observed) / observed): {result.rms('start'):.1%} "
                  f"before fitting, {result.rms():.1%} after.", highlight=False)  # fmt: skip
    if not result.converged:
        console.print(Text(f"Warning: the optimiser stopped before converging ({result.message}); try --max-steps."))
    for r in result.parameters.itertuples(index=False):
        if not r.identifiable:
            console.print(Text(f"The data cannot identify {r.parameter}: {r.note}."))
    console.print(Text(f"Results written to {directory}/ (calibrated.yaml, parameters.csv, fit.csv, report.html)"))


__all__ = ["calibrate", "print_calibration"]
