"""The experiment commands: `leftshift sweep`, `leftshift sensitivity`, and `--samples` for run/compare.

Kept apart from commands.py so the experiment options live in one place; commands.py registers the
commands and calls `write_samples` / `print_samples`. The library (`leftshift.experiments`) runs the
points, `leftshift.io` writes the files; this module holds the options, the progress bar and what is
printed. Heavy imports happen inside the functions.

Long runs save one parquet part per finished batch to a hidden folder beside the output
(`.<out>.parts/`, `leftshift.io.parts`); the outputs themselves appear all at once when the run ends.
After Ctrl-C or a killed process, the same command with `--resume` runs only the missing batches.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from leftshift.cli.experiment_terminal import print_best, print_samples, print_sensitivity
from leftshift.cli.shared import Command, after_report, handle_errors, report_failed, report_options, try_report

BEST_ROWS = 5
REPORT_SERIES = ("emergency_admissions", "care_home_admissions", "acute_bed_days", "delayed_discharge_bed_days",
                 "total_cost_gbp", "cumulative_net_savings_gbp_discounted")  # fmt: skip


def _options(func: Callable[..., Any], options: Sequence[Any]) -> Callable[..., Any]:
    for option in reversed(options):
        func = option(func)
    return func


def _dask_option() -> Any:
    return click.option("--dask", metavar="ADDRESS", default=None,
                        help="Run batches on a Dask cluster (tcp://host:8786), or 'local' to start one.")  # fmt: skip


def _resume_option() -> Any:
    return click.option("--resume", is_flag=True,
                        help="Finish an interrupted run of the same command: only missing points are run.")  # fmt: skip


def sampling_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--samples and friends for `run` and `compare` (their --jobs sets local processes)."""
    return _options(func, [
        click.option("--samples", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Draw N parameter sets from the scenario's distributions and report percentiles "
                     "(stock-flow engine)."),
        click.option("--sampler", type=click.Choice(["lhs", "sobol", "random"]), default="lhs", show_default=True,
                     help="How --samples are drawn: Latin hypercube, scrambled Sobol, or plain random."),
        _dask_option(), _resume_option(),
    ])  # fmt: skip


def experiment_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by `sweep` and `sensitivity`."""
    return _options(func, [
        click.option("--baseline", type=click.Path(path_type=Path), default=None,
                     help="Compare every point with this scenario: net savings, ROI, payback."),
        click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                     help="Override a value in every scenario before the experiment (repeatable)."),
        click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the scenario's seed)."),
        click.option("--jobs", type=click.IntRange(min=1), default=None,
                     help="Local processes to run batches in (default: this process, vectorised)."),
        _dask_option(),
        click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
                     help="Points per vectorised engine run (and per saved part)."),
        _resume_option(),
        click.option("--out", type=click.Path(path_type=Path), default=None, help="Output directory."),
        click.option("--force", is_flag=True, help="Replace the output directory if it already holds files."),
        click.option("--quiet", is_flag=True, help="Print nothing but errors."),
    ])  # fmt: skip


# Running with saved parts ------------------------------------------------------------------------------


def parts_dir(target: Path, tag: str = "") -> Path:
    """Where the batches of the run that writes `target` are saved until it finishes."""
    return target.parent / f".{target.name}{'.' + tag if tag else ''}.parts"


class _Counter:
    def __init__(self, advance: Callable[[int], None]) -> None:
        self.done = 0
        self._advance = advance

    def __call__(self, n: int = 1) -> None:
        self.done += n
        self._advance(n)


@contextmanager
def saved_progress(label: str, total: int, parts: Path, quiet: bool) -> Iterator[_Counter]:
    """A progress bar; on Ctrl-C, say how much is saved and how to finish, and exit 130."""
    from leftshift.cli.progress import progress_bar

    try:
        with progress_bar(label, total, quiet) as advance:
            counter = _Counter(advance)
            yield counter
    except KeyboardInterrupt:
        done = counter.done if "counter" in locals() else 0
        click.echo(f"Interrupted: {done:,} of {total:,} points are saved in {parts}/. "
                   "Run the same command with --resume to finish.", err=True)  # fmt: skip
        sys.exit(130)


def _execution(parts: Path, counter: _Counter, jobs: int | None, dask: str | None, batch_size: int,
               resume: bool) -> Any:  # fmt: skip
    from leftshift.experiments.execute import Execution
    from leftshift.io.parts import PartsFolder

    return Execution(jobs=jobs, dask=dask, batch_size=batch_size, parts=PartsFolder(parts), resume=resume,
                     progress=counter)  # fmt: skip


def provenance(scenario: Any, **settings: Any) -> dict[str, Any]:
    from leftshift.analysis.summary import version
    from leftshift.scenario.loading import scenario_hash

    return {"scenario": scenario.name, "scenario_hash": scenario_hash(scenario), "leftshift_version": version(),
            "seed": scenario.seed, **settings}  # fmt: skip


def best_direction(metric: str) -> tuple[str | None, str]:
    """('max' or 'min', metric) when --best starts with 'max:' or 'min:', else (None, metric): then the
    measure's own direction (analysis.measures) decides, once the name is resolved."""
    for prefix in ("min:", "max:"):
        if metric.startswith(prefix):
            return prefix[:3], metric[4:]
    return None, metric


# sweep ----------------------------------------------------------------------------------------------------


@click.command(cls=Command)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--vary",
    multiple=True,
    metavar="KEY.PATH=START:STOP:COUNT|V1,V2",
    help="A parameter to vary: a range (start:stop:count) or a list of values (repeatable).",
)
@click.option(
    "--sample",
    type=click.Choice(["lhs", "sobol", "random"]),
    default=None,
    help="Sample --points points over the ranges instead of the full grid.",
)
@click.option("--points", type=click.IntRange(min=1), default=None, help="Points to sample with --sample.")
@click.option(
    "--best",
    metavar="METRIC",
    default=None,
    help="Print the best points by METRIC (e.g. net_savings, roi; prefix min: or max: to choose).",
)
@click.option("--top", type=click.IntRange(min=1), default=BEST_ROWS, show_default=True, help="Rows for --best.")
@experiment_options
@report_options
@handle_errors
def sweep(
    scenario: Path, vary: tuple[str, ...], sample: str | None, points: int | None, best: str | None, top: int,
    baseline: Path | None, overrides: tuple[str, ...], seed: int | None, jobs: int | None, dask: str | None,
    batch_size: int, resume: bool, out: Path | None, force: bool, quiet: bool, open_report: bool, no_report: bool,
    strict: bool,
) -> None:  # fmt: skip
    """Run a scenario over a grid (or a sample) of parameter values: one row per point in sweep.parquet
    and sweep.csv, with every metric (and net savings, ROI and payback with --baseline).

    Without --vary, the scenario's own `sweep:` block is used. A varied value applies to the
    baseline too when the baseline has the same key path.

    \b
    Example:
      leftshift sweep scenarios/leeds-left-shift.yaml --baseline scenarios/leeds-baseline.yaml \\
        --vary interventions[0].budget=0:10e6:21 --vary capacity.residential.places=3000,3600,4200 \\
        --best net_savings
    """
    from leftshift.analysis.measures import higher_is_better
    from leftshift.cli.shared import check_dask, check_scenarios, load, load_raw
    from leftshift.errors import LeftshiftError
    from leftshift.experiments.design import plan_from_block
    from leftshift.experiments.runs import sweep as run_sweep
    from leftshift.experiments.sensitivity import ALIASES, resolve_metric
    from leftshift.io.outputs import claim_output
    from leftshift.io.writing import remove_folder, slug, write_frame, write_json, write_resolved
    from leftshift.scenario.vary import parse_vary

    base = load(scenario, overrides)
    if vary:
        dims, plan_sample, plan_points, plan_baseline = [parse_vary(v) for v in vary], sample, points, None
    else:
        block = load_raw(scenario, overrides)[0].get("sweep")
        if block is None:
            raise LeftshiftError("nothing to vary: give --vary KEY.PATH=START:STOP:COUNT, or a sweep: block in "
                                 f"{scenario}")  # fmt: skip
        plan = plan_from_block(block)
        dims, plan_sample, plan_points = list(plan.dimensions), sample or plan.sample, points or plan.points
        plan_baseline = Path(scenario).parent / plan.baseline if plan.baseline else None
    baseline_path = baseline or plan_baseline
    other = load(baseline_path, overrides) if baseline_path else None
    chosen, metric = best_direction(best) if best else (None, "")
    metric = resolve_metric(metric, other is not None) if best else ""
    shown = metric or ("net_savings_gbp_discounted" if other is not None else "total_cost_gbp_discounted")
    direction = chosen or ("max" if higher_is_better(shown) else "min")
    check_dask(dask)
    check_scenarios([base, *([other] if other else [])], strict, quiet)
    target = out or Path("results") / f"sweep-{slug(base.name)}"
    parts = parts_dir(target)
    total = _grid_size(dims) if plan_sample is None else int(plan_points or 0)
    failures: list[str] = []
    with claim_output(target, force) as claim:  # the folder and its .parts are this run's until it ends
        with saved_progress(f"{base.name}: points", total, parts, quiet) as c:
            result = run_sweep(base, dims, baseline=other, sample=plan_sample, points=plan_points, seed=seed,
                               execution=_execution(parts, c, jobs, dask, batch_size, resume))  # fmt: skip
        with claim.writing() as work:
            write_frame(work, "sweep", result.table)
            write_resolved(work, base)
            write_json(work / "experiment.json", provenance(
                base, command="sweep", vary=[d.path for d in dims], sample=plan_sample, points=len(result.table),
                baseline=other.name if other else None, metric_aliases=ALIASES, metric=shown, best=direction,
            ))  # fmt: skip
            written = not no_report and try_report(
                lambda: _sweep_report(work, result, shown, direction, base), failures
            )
        remove_folder(parts)
    if not quiet:
        print_best(result.table, list(result.parameters), shown, direction, top, target)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target)


def _sweep_report(work: Path, result: Any, shown: str, direction: str, base: Any) -> None:
    from leftshift.report.writers import write_sweep_report

    write_sweep_report(work, result.table, shown, list(result.parameters), direction, base)  # type: ignore[arg-type]


def _grid_size(dims: Sequence[Any]) -> int:
    total = 1
    for d in dims:
        total *= len(d.grid_values())
    return total


# sensitivity ------------------------------------------------------------------------------------------------


@click.command(cls=Command)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--metric",
    default="net_savings",
    show_default=True,
    help="What to explain: a metric or comparison figure (net_savings, roi, emergency_admissions, ...).",
)
@click.option(
    "--method",
    type=click.Choice(["sobol", "morris", "oat"]),
    default="sobol",
    show_default=True,
    help="sobol: variance shares (S1, ST); morris: screening (mu*); oat: the tornado alone.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="SALib's N: base samples for sobol (rounded up to a power of 2; runs = N x (params + 2)), "
    "trajectories for morris (runs = N x (params + 1)). Default 256 / 20.",
)
@experiment_options
@report_options
@handle_errors
def sensitivity(
    scenario: Path, metric: str, method: str, samples: int | None, baseline: Path | None,
    overrides: tuple[str, ...], seed: int | None, jobs: int | None, dask: str | None, batch_size: int, resume: bool,
    out: Path | None, force: bool, quiet: bool, open_report: bool, no_report: bool, strict: bool,
) -> None:  # fmt: skip
    """Which uncertain parameters (those written as distributions) move a metric most: Sobol or Morris
    indices with confidence intervals, and a one-at-a-time tornado (5th and 95th percentiles).

    \b
    Example:
      leftshift sensitivity scenarios/leeds-left-shift.yaml --baseline scenarios/leeds-baseline.yaml \\
        --metric net_savings --method sobol --samples 256
    """
    import numpy as np

    from leftshift.cli.shared import check_dask, check_scenarios, load
    from leftshift.errors import LeftshiftError
    from leftshift.experiments.sensitivity import resolve_metric
    from leftshift.experiments.sensitivity import sensitivity as run_sensitivity
    from leftshift.io.outputs import claim_output
    from leftshift.io.writing import remove_folder, slug, write_frame, write_json, write_resolved, write_table

    base = load(scenario, overrides)
    other = load(baseline, overrides) if baseline else None
    column = resolve_metric(metric, other is not None)
    d = len({*base.uncertainty, *(other.uncertainty if other else {})})
    if d == 0:
        raise LeftshiftError(f"'{base.name}' has no uncertain parameters to explain; write a value as a "
                             "distribution, e.g. {dist: triangular, low: 0.85, mode: 0.95, high: 1.0} "
                             "(docs/experiments.md)")  # fmt: skip
    check_dask(dask)
    check_scenarios([base, *([other] if other else [])], strict, quiet)
    n = 1 << max(0, int(np.ceil(np.log2(samples or 256))))
    runs = 2 * d + 1 + {"sobol": n * (d + 2), "morris": (samples or 20) * (d + 1), "oat": 0}[method]
    target = out or Path("results") / f"sensitivity-{slug(base.name)}"
    parts = parts_dir(target)
    failures: list[str] = []
    with claim_output(target, force) as claim:  # the folder and its .parts are this run's until it ends
        with saved_progress(f"{base.name}: runs", runs, parts, quiet) as c:
            result = run_sensitivity(base, column, method, baseline=other, samples=samples, seed=seed,
                                     execution=_execution(parts, c, jobs, dask, batch_size, resume))  # fmt: skip
        with claim.writing() as work:
            write_table(work / "sensitivity.csv", result.indices, float_format=None)
            write_table(work / "tornado.csv", result.tornado, float_format=None)
            write_frame(work, "runs", result.runs, csv=False)
            write_resolved(work, base)
            write_json(work / "experiment.json", provenance(
                base, command="sensitivity", metric=column, method=method, samples=samples, runs=len(result.runs),
                baseline=other.name if other else None, metric_central=result.central,
            ))  # fmt: skip
            written = not no_report and try_report(lambda: _sensitivity_report(work, result, base), failures)
        remove_folder(parts)
    if not quiet:
        print_sensitivity(result, target)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target)


def _sensitivity_report(work: Path, result: Any, scenario: Any) -> None:
    from leftshift.report.rebuild import sensitivity_page

    sensitivity_page(work, result.metric, result.method, result.indices, result.tornado, result.central, scenario,
                     runs=len(result.runs))  # fmt: skip


# --samples for run and compare ---------------------------------------------------------------------------


def write_samples(
    work: Path, target: Path, scenarios: Sequence[Any], baseline: Any = None, *, samples: int | None = None,
    sampler: str = "lhs", dask: str | None = None, resume: bool = False, jobs: int | None = None,
    quiet: bool = False, report: bool = True, failures: list[str] | None = None,
) -> list[Any]:  # fmt: skip
    """Run --samples draws of each (loaded, checked) scenario, against the baseline if any, into `work`/uncertainty/.

    Returns the UncertaintyResults (none without --samples), for `print_samples`; a report that fails
    is noted in `failures` (the tables stay).
    """
    if not samples:
        return []
    from leftshift.experiments.runs import uncertainty
    from leftshift.io.writing import new_folder, remove_folder, slug, write_frame, write_json, write_table

    root = new_folder(work / "uncertainty")
    results = []
    for scenario in scenarios:
        name = slug(scenario.name)
        directory = new_folder(root / name, exist_ok=True) if len(scenarios) > 1 else root
        parts = parts_dir(target, f"samples-{name}")
        with saved_progress(f"{scenario.name}: draws", samples, parts, quiet) as counter:
            draws = uncertainty(scenario, samples, baseline=baseline, sampler=sampler,
                                execution=_execution(parts, counter, jobs, dask, 500, resume))  # fmt: skip
        write_frame(directory, "samples", draws.samples, csv=False)
        write_table(directory / "percentiles.csv", draws.metrics, float_format=None)
        write_table(directory / "percentiles_by_year.csv", draws.series, float_format=None)
        write_json(directory / "uncertainty.json", {
            **provenance(scenario, samples=samples, sampler=sampler, baseline=baseline.name if baseline else None),
            **draws.probabilities,
            "parameters": {p: scenario.uncertainty[p].describe() if p in scenario.uncertainty
                           else baseline.uncertainty[p].describe() for p in draws.parameters},
        })  # fmt: skip
        if report:
            where = directory.relative_to(work).as_posix()
            try_report(lambda d=directory, r=draws, s=scenario: _samples_report(d, r, s),
                       failures if failures is not None else [], f"{where}/report.html")  # fmt: skip
        remove_folder(parts)
        results.append(draws)
    return results


def _samples_report(directory: Path, draws: Any, scenario: Any) -> None:
    from leftshift.report.writers import write_samples_report

    series = draws.series[draws.series["series"].isin(REPORT_SERIES)]
    quantiles = series.rename(columns={"series": "metric", "p5": "q05", "p25": "q25", "p50": "q50", "p75": "q75",
                                       "p95": "q95"})  # fmt: skip
    write_samples_report(directory, draws.samples, quantiles, scenario, scenario.start_year)


__all__ = ["parts_dir", "print_samples", "provenance", "sampling_options", "sensitivity", "sweep", "write_samples"]
