"""The `leftshift` command: thin click commands over the library.

Heavy imports (numpy, pandas, the engines) happen inside the commands so that `--help` is quick.
Errors the user can fix exit with status 2 and a short message, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from leftshift.cli.calibration import calibrate
from leftshift.cli.experiments import sampling_options, sensitivity, sweep
from leftshift.cli.optimise import optimise
from leftshift.cli.shared import EXIT_USAGE, Group, after_report, handle_errors, report_options, scenario_options


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="leftshift")
def cli() -> None:
    """leftshift: see what moving money "left", into prevention and the voluntary, community and
    faith sector, does to demand for care and hospital, to queues and to costs: who pays, who
    saves, and when it pays back.

    Exit status: 0 done; 1 the results were written but report.html failed (rebuild it with
    `leftshift report DIR`); 2 bad input or an unusable --out folder, and nothing was written.

    \b
    Example:
      leftshift compare scenarios/leeds-baseline.yaml scenarios/leeds-left-shift.yaml
    """


def _simulate(
    path: Path, scenario: Any, engine: str, options: dict[str, Any], quiet: bool, des: dict | None = None
) -> Any:
    """Run one scenario; `des`: the discrete-event engine's `client` (Dask) and `waits_sink`, if any. A
    scenario the engine cannot run as given is reported against its file."""
    from leftshift.api import run
    from leftshift.cli.progress import progress_bar
    from leftshift.cli.shared import with_file
    from leftshift.errors import LeftshiftError

    try:
        if engine == "des":
            with progress_bar(f"{scenario.name}: replications", options["replications"], quiet) as advance:
                return run(scenario, engine="des", progress=advance, **options, **(des or {}))
        return run(scenario, **options)  # a stock-flow run takes well under a second: no progress bar
    except LeftshiftError as exc:
        raise with_file(exc, path) from None


class _Waits:
    """A discrete-event run's `waits` rows, written to waits.csv (waits.parquet past Excel's rows) and summarised
    one replication at a time (a ten-year city run has millions), keeping only what the report's chart needs,
    and only if asked."""

    def __init__(self, work: Path, chart: bool) -> None:
        from leftshift.analysis.resources import WaitOutcomes
        from leftshift.io.tables import TableAppender

        self.write, self.outcomes = TableAppender(work, "waits"), WaitOutcomes()
        self.chart: list[Any] | None = [] if chart else None

    def __call__(self, waits: Any) -> None:
        self.write(waits)
        self.outcomes.add(waits)
        if self.chart is not None:  # (the chart leaves out people turned away or admitted above capacity)
            self.chart.append(waits.loc[~waits["outcome"].isin(["turned_away", "overflow"]), ["resource", "wait_days"]])

    def charted(self, result: Any) -> Any:
        """The Result with the rows the report's wait chart reads."""
        import dataclasses

        import pandas as pd

        rows = pd.concat(self.chart or [], ignore_index=True)
        return dataclasses.replace(result, extra={**result.extra, "waits": rows})


@contextmanager
def _dask_client(dask: str | None, engine: str, jobs: int | None) -> Iterator[Any]:
    """A Dask client for the discrete-event replications (`--dask`; 'local' starts `--jobs` workers)."""
    from leftshift.engines.des.engine import default_jobs
    from leftshift.experiments.execute import dask_client

    with dask_client(dask if engine == "des" else None, jobs or default_jobs()) as client:
        yield client


def _engine_options(
    engine: str, replications: int, jobs: int | None, warm_up_years: float, only_replication: int | None,
    resolution: str,
) -> dict[str, Any]:  # fmt: skip
    """The engine's options. Engines run every step: the summary, yearly.csv, the comparison and the report are
    computed from the full record, and only the written tables are by --resolution. (The discrete-event engine's
    flows come by --resolution: whole numbers of people, whose every sum is the same either way.)"""
    if engine != "des":
        return {}
    return {"replications": replications, "jobs": jobs, "warm_up_years": warm_up_years,
            "only_replication": only_replication, "flows_by": resolution}  # fmt: skip


def _print_notes(notes: list[str], quiet: bool) -> None:
    """Tables written as Parquet because they are longer than an Excel sheet."""
    if notes and not quiet:
        for note in notes:
            click.echo(f"Note: {note}")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@scenario_options
@sampling_options
@report_options
@handle_errors
def run(
    scenario: Path, overrides: tuple[str, ...], out: Path | None, force: bool, engine: str,
    replications: int, jobs: int | None, warm_up_years: float, only_replication: int | None, resolution: str,
    quiet: bool, open_report: bool, no_report: bool, strict: bool, **sampling: Any,
) -> None:  # fmt: skip
    """Run one scenario and write its results (CSV tables, summary.json, the resolved scenario).

    Everything is checked before the run starts (the scenario, the --out folder, --samples, --dask).
    --force replaces only what leftshift wrote before.

    \b
    Example:
      leftshift run scenarios/leeds-baseline.yaml --out results/baseline
      leftshift run scenarios/leeds-baseline.yaml --engine des --replications 20
    """
    from leftshift.analysis import summary
    from leftshift.analysis.yearly import yearly
    from leftshift.cli.experiments import print_samples, write_samples
    from leftshift.cli.shared import check_dask, check_plausible, check_samples, check_scenarios, load, report_failed
    from leftshift.cli.shared import try_report as attempt
    from leftshift.cli.terminal import print_run
    from leftshift.io.outputs import claim_output
    from leftshift.io.writing import slug, write_result
    from leftshift.report.workbook import WORKBOOK

    options = _engine_options(engine, replications, jobs, warm_up_years, only_replication, resolution)
    loaded = load(scenario, overrides)
    check_samples(sampling["samples"], engine, [loaded])
    check_dask(sampling["dask"], engine, sampling["samples"])
    check_scenarios([loaded], strict, quiet)
    target = out or Path("results") / slug(loaded.name)
    failures: list[str] = []
    with claim_output(target, force) as claim, claim.writing() as work:
        waits = _Waits(work, chart=not no_report) if engine == "des" else None
        with _dask_client(sampling["dask"], engine, jobs) as client:
            des = {"client": client, "waits_sink": waits} if engine == "des" else None
            result = _simulate(scenario, loaded, engine, options, quiet, des)
        check_plausible("result", result, strict, quiet)
        facts = summary.build(result, waits.outcomes if waits else None)
        notes = [waits.write.close()] if waits else []
        by_year = yearly(result)  # yearly.csv and the workbook's activity sheet
        notes += write_result(work, result, facts, written=("waits",) if waits else (), resolution=resolution,
                              yearly=by_year)  # fmt: skip
        attempt(lambda: _run_workbook(work, result, facts, by_year), failures, WORKBOOK)
        draws = write_samples(work, target, [loaded], jobs=jobs, quiet=quiet, report=not no_report,
                              failures=failures, **sampling)  # fmt: skip
        shown = waits.charted(result) if waits and not no_report else result
        written = not no_report and attempt(lambda: _run_report(work, shown, facts), failures)
    if not quiet:
        print_run(facts, target)
        print_samples(draws)
    _print_notes([n for n in notes if n], quiet)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target)


def _run_report(work: Path, result: Any, facts: dict[str, Any]) -> None:
    from leftshift.report.writers import write_run_report

    write_run_report(work, result, facts)


def _run_workbook(work: Path, result: Any, facts: dict[str, Any], by_year: Any) -> None:
    from leftshift.report.workbook import write_run_workbook

    write_run_workbook(work, result, facts, by_year)


@cli.command()
@click.argument("baseline", type=click.Path(path_type=Path))
@click.argument("scenarios", type=click.Path(path_type=Path), nargs=-1, required=True)
@click.option("--set-scenario", "scenario_overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a value in the compared scenarios only, not the baseline (repeatable).")  # fmt: skip
@scenario_options
@sampling_options
@report_options
@handle_errors
def compare(
    baseline: Path, scenarios: tuple[Path, ...], scenario_overrides: tuple[str, ...], overrides: tuple[str, ...],
    out: Path | None, force: bool, engine: str, replications: int, jobs: int | None, warm_up_years: float,
    only_replication: int | None, resolution: str, quiet: bool, open_report: bool, no_report: bool, strict: bool,
    **sampling: Any,
) -> None:  # fmt: skip
    """Run a baseline and one or more scenarios, and compare each with the baseline: activity
    avoided, intervention spend, avoided cost, net savings by payer, return on investment and
    payback year. --set applies to every file, the baseline too; --set-scenario to the compared
    scenarios only (e.g. a programme's budget, which the baseline does not have).

    \b
    Example:
      leftshift compare scenarios/leeds-baseline.yaml scenarios/leeds-left-shift.yaml --out results/leeds
      leftshift compare scenarios/leeds-baseline.yaml scenarios/leeds-left-shift.yaml \\
        --set-scenario interventions[0].budget=2e6
    """
    import pandas as pd

    from leftshift.analysis import summary
    from leftshift.analysis.breakdown import breakdown as explain
    from leftshift.analysis.breakdown import table as breakdown_table
    from leftshift.analysis.breakdown import with_breakdown
    from leftshift.analysis.economics import compare as compare_results
    from leftshift.analysis.economics import comparison_rows
    from leftshift.analysis.yearly import yearly
    from leftshift.cli.experiments import print_samples, write_samples
    from leftshift.cli.shared import check_dask, check_plausible, check_samples, check_scenarios, load, report_failed
    from leftshift.cli.shared import try_report as attempt
    from leftshift.cli.terminal import print_comparison
    from leftshift.errors import LeftshiftError
    from leftshift.experiments.attribution import runs_without_each
    from leftshift.io.outputs import claim_output
    from leftshift.io.writing import new_folder, slug, write_result, write_table
    from leftshift.report.workbook import WORKBOOK

    options = _engine_options(engine, replications, jobs, warm_up_years, only_replication, resolution)
    base = load(baseline, overrides)
    others = [load(path, (*overrides, *scenario_overrides)) for path in scenarios]
    slugs = [slug(s.name) for s in (base, *others)]
    if len(set(slugs)) != len(slugs):
        raise LeftshiftError("two scenarios have the same name; give each a distinct `name:` so outputs do not clash")
    check_samples(sampling["samples"], engine, others, base)
    check_dask(sampling["dask"], engine, sampling["samples"])
    check_scenarios([base, *others], strict, quiet)
    target = out or Path("results") / f"compare-{slugs[0]}"
    failures: list[str] = []
    with claim_output(target, force) as claim:
        with _dask_client(sampling["dask"], engine, jobs) as client:
            des = {"client": client} if engine == "des" else None
            results = [
                _simulate(path, s, engine, options, quiet, des)
                for path, s in zip((baseline, *scenarios), (base, *others), strict=True)
            ]
            without = [runs_without_each(r.scenario, results[0], lambda s, p=path: _simulate(p, s, engine, options,
                                                                                              True, des))
                       for path, r in zip(scenarios, results[1:], strict=True)]  # fmt: skip
        comparisons = [compare_results(results[0], r) for r in results[1:]]
        breakdowns = [explain(c, results[0], r, w) for c, r, w in zip(comparisons, results[1:], without, strict=True)]
        for result in results:
            check_plausible("result", result, strict, quiet)
        for comparison in comparisons:
            check_plausible("comparison", comparison, strict, quiet)
        summaries = [summary.build(r) for r in results]
        yearlies = [yearly(r) for r in results]  # yearly.csv and the workbook's activity sheet
        with claim.writing() as work:
            notes = []
            for result, facts, name, by_year in zip(results, summaries, slugs, yearlies, strict=True):
                written_as = write_result(new_folder(work / name), result, facts, resolution=resolution,
                                          yearly=by_year)  # fmt: skip
                notes += [f"{name}/{note}" for note in written_as]
            explained = zip(comparisons, breakdowns, strict=True)
            rows = pd.concat([with_breakdown(comparison_rows(c), b) for c, b in explained], ignore_index=True)
            write_table(work / "comparison.csv", rows)
            write_table(work / "breakdown.csv", pd.concat([breakdown_table(b) for b in breakdowns], ignore_index=True))
            attempt(lambda: _comparison_workbook(work, results, comparisons, summaries, yearlies), failures, WORKBOOK)
            draws = write_samples(work, target, others, base, jobs=jobs, quiet=quiet, report=not no_report,
                                  failures=failures, **sampling)  # fmt: skip
            written = not no_report and attempt(
                lambda: _comparison_report(work, results, comparisons, summaries, breakdowns), failures
            )
    if not quiet:
        print_comparison(comparisons, target, breakdowns, [d.samples for d in draws] if draws else None)
        print_samples(draws)
    _print_notes(notes, quiet)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target)


def _comparison_report(work: Path, results: Any, comparisons: Any, summaries: Any, breakdowns: Any) -> None:
    from leftshift.report.writers import write_comparison_report

    write_comparison_report(work, results, comparisons, summaries, breakdowns)


def _comparison_workbook(work: Path, results: Any, comparisons: Any, summaries: Any, yearlies: Any) -> None:
    from leftshift.report.workbook import write_comparison_workbook

    write_comparison_workbook(work, results, comparisons, summaries, yearlies)


@cli.command()
@click.argument("files", type=click.Path(path_type=Path), nargs=-1, required=True)
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override values before checking.")
def validate(files: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario files without running them; report every problem with its file, key and line.

    \b
    Example:
      leftshift validate scenarios/*.yaml
    """
    from leftshift.cli.shared import load
    from leftshift.errors import LeftshiftError

    failed = False
    for path in files:
        try:
            scenario = load(path, overrides)  # a --set that does not fit names this file
            click.echo(f"ok  {path}: {scenario.name}")
        except LeftshiftError as exc:
            failed = True
            click.echo(exc.render(), err=True)
    if failed:
        sys.exit(EXIT_USAGE)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editor autocompletion and checking).

    \b
    Example:
      leftshift schema > leftshift.schema.json
    """
    import json

    from leftshift.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


cli.add_command(sweep)
cli.add_command(sensitivity)
cli.add_command(calibrate)
cli.add_command(optimise)


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--open", "open_report", is_flag=True, help="Open report.html in a browser when done.")
@handle_errors
def report(results_dir: Path, open_report: bool) -> None:
    """Rebuild report.html from the saved outputs of `leftshift run`, `compare`, `sweep` or
    `sensitivity`, without running the model again (e.g. after upgrading leftshift, or if the report
    was deleted). Only a report.html that leftshift wrote is ever replaced.

    \b
    Example:
      leftshift report results/leeds
      leftshift report results/leeds --open
    """
    from leftshift.errors import LeftshiftError
    from leftshift.io.outputs import adding_to
    from leftshift.io.writing import written_by_leftshift
    from leftshift.report.page import REPORT
    from leftshift.report.writers import rebuild_report

    if not results_dir.is_dir():
        raise LeftshiftError(f"{results_dir} is not a directory of results")
    with adding_to(results_dir, [REPORT], ours=written_by_leftshift):  # a report from before manifests is ours
        path = rebuild_report(results_dir)
    click.echo(f"Report: {path}")
    if open_report:
        click.launch(str(path))


def main() -> None:
    cli(prog_name="leftshift")
