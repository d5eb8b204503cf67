"""What every leftshift command shares: errors as a short message and an exit status, the options of the
commands that run scenarios, --open, --no-report and --strict, loading scenarios so that every error names its
file, the checks that run before any long work, keeping the results when the report fails, and help that ends
with an example. Heavy imports happen inside the functions, so --help stays quick.
"""

from __future__ import annotations

import functools
import importlib
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

EXIT_REPORT_FAILED = 1
EXIT_USAGE = 2


# Errors and options --------------------------------------------------------------------------------


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's user-facing errors into a short message and exit status 2 (1: the report failed)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from leftshift.errors import LeftshiftError

        try:
            return func(*args, **kwargs)
        except LeftshiftError as exc:
            _fail(exc.render())
        except ReportFailed as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_REPORT_FAILED)
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing was written.", err=True)
            sys.exit(130)

    return wrapper


def scenario_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that runs scenarios."""
    options = [
        click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                     help="Override any scenario value, e.g. --set capacity.residential.places=4000 (repeatable)."),
        click.option("--out", type=click.Path(path_type=Path), default=None,
                     help="Output directory (default: results/<scenario-name>/)."),
        click.option("--force", is_flag=True, help="Replace the output directory if it already holds files."),
        click.option("--engine", type=click.Choice(["stockflow", "des"]), default="stockflow", show_default=True,
                     help="stockflow: fast deterministic averages; des: individuals, queues and randomness."),
        click.option("--replications", type=click.IntRange(min=1), default=10, show_default=True,
                     help="Discrete-event replications."),
        click.option("--jobs", type=click.IntRange(min=1), default=None,
                     help="Processes for discrete-event replications (default: all cores)."),
        click.option("--warm-up-years", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Discrete-event: leave the first W years out of the statistics."),
        click.option("--replication", "only_replication", type=click.IntRange(min=0), default=None,
                     help="Discrete-event: re-run only replication N (numbered from 0); its rows are identical."),
        click.option("--resolution", type=click.Choice(["step", "month", "year"]), default="month",
                     show_default=True,
                     help="How often the written tables report, each row dated (`date`): month or year fit in "
                     "Excel; step writes every step (Parquet for a table longer than an Excel sheet). The "
                     "summary, yearly.csv, the comparison and the report use every step whatever this is."),
        click.option("--quiet", is_flag=True, help="Print nothing but errors."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --open, --no-report and --strict to a command."""
    func = strict_option(func)
    func = click.option("--no-report", is_flag=True,
                        help="Do not write report.html. (If the report fails, the tables are still written and "
                        "the exit status is 1.)")(func)  # fmt: skip
    return click.option("--open", "open_report", is_flag=True, help="Open report.html in a browser when done.")(func)


def strict_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--strict", is_flag=True,
                        help="Treat warnings (implausible inputs or results) as errors: exit 2 before running, "
                        "or before writing.")(func)  # fmt: skip


# Loading ---------------------------------------------------------------------------------------------


def with_file(exc: Any, path: Path) -> Any:
    """The same error as a ScenarioError, with `path` on every problem that names no file (a bad --set, or a
    scenario the engine cannot run as given)."""
    from dataclasses import replace

    from leftshift.errors import ScenarioError

    problems = [p if p.file is not None else replace(p, file=str(path)) for p in exc.problems]
    return ScenarioError(problems, hint=exc.hint)


def load(path: Path, overrides: Sequence[str] = ()) -> Any:
    """load_scenario, with the file named in every error (an override that fits one file but not another)."""
    from leftshift.errors import ScenarioError
    from leftshift.scenario.loading import load_scenario

    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        raise with_file(exc, path) from None


def load_raw(path: Path, overrides: Sequence[str] = ()) -> Any:
    """loading.load_raw, with the file named in every error."""
    from leftshift.errors import ScenarioError
    from leftshift.scenario import loading

    try:
        return loading.load_raw(path, overrides)
    except ScenarioError as exc:
        raise with_file(exc, path) from None


# Checks before any long work ---------------------------------------------------------------------------


def check_plausible(kind: str, subject: Any, strict: bool, quiet: bool) -> None:
    """Run plausibility.check_<kind> (scenario, result or comparison) and report what it finds.

    Each warning is printed as `Warning (<scenario>): ...` on stderr (unless quiet); with --strict they
    are an error, raised before any long work (scenario) or before anything is written (result, comparison).
    """
    from leftshift.errors import LeftshiftError

    plausibility = importlib.import_module("leftshift.analysis.plausibility")  # (tests may stand a module in for it)
    warnings = list(getattr(plausibility, f"check_{kind}")(subject))
    if strict and warnings:
        raise LeftshiftError(warnings, hint="--strict treats these warnings as errors; fix them, or leave out "
                             "--strict to run anyway")  # fmt: skip
    name = {"scenario": lambda: subject.name, "result": lambda: subject.scenario.name}.get(
        kind, lambda: subject.scenario
    )()
    if not quiet:
        for warning in warnings:
            click.echo(f"Warning ({name}): {warning}", err=True)


def check_scenarios(scenarios: Sequence[Any], strict: bool, quiet: bool) -> None:
    for scenario in scenarios:
        check_plausible("scenario", scenario, strict, quiet)


def check_samples(samples: int | None, engine: str, scenarios: Sequence[Any], baseline: Any = None) -> None:
    """--samples needs the stock-flow engine and at least one distribution: say so before any work."""
    from leftshift.errors import LeftshiftError

    if not samples:
        return
    if engine != "stockflow":
        raise LeftshiftError("--samples runs the stock-flow engine; leave out --engine des")
    for scenario in scenarios:
        if not scenario.uncertainty and not (baseline is not None and baseline.uncertainty):
            raise LeftshiftError(
                f"--samples: '{scenario.name}' has no uncertain parameters; write a value as a distribution, e.g. "
                "{dist: triangular, low: 0.85, mode: 0.95, high: 1.0} (docs/experiments.md), or leave out --samples"
            )


def check_dask(dask: str | None, engine: str = "stockflow", samples: int | None = 1) -> None:
    """--dask must be usable (a scheduler that answers) and must not be silently ignored: it runs the
    discrete-event engine's replications, or the --samples draws of the stock-flow engine."""
    from leftshift.errors import LeftshiftError

    if not dask:
        return
    if engine != "des" and not samples:
        raise LeftshiftError("--dask runs the --samples draws; add --samples N, or leave out --dask")
    from leftshift.experiments.execute import check_dask as reachable

    reachable(dask)


# Keeping the results when the report fails -------------------------------------------------------------


class ReportFailed(Exception):
    """The results are written but a report is not: exit status 1, with how to rebuild it."""

    def __init__(self, failures: Sequence[str], hint: str) -> None:
        self.failures = list(failures)
        super().__init__("\n".join([*self.failures, hint]))


def try_report(write: Callable[[], Any], failures: list[str], name: str = "report.html") -> bool:
    """Write a report; if it fails, note why in `failures` and leave no half-written file (the tables stay)."""
    try:
        write()
    except Exception as exc:  # leftshift.io leaves no half-written report behind
        failures.append(f"{name} could not be written ({exc.__class__.__name__}: {exc})")
        return False
    return True


def report_failed(failures: Sequence[str], target: Path, rebuild: bool = True) -> None:
    """Raise ReportFailed after the results are in place, if any report failed.

    `rebuild`: `leftshift report DIR` can rebuild this command's report (run, compare, sweep and
    sensitivity; not calibrate's or --samples' reports, nor results.xlsx).
    """
    if not failures:
        return
    rebuild = rebuild and all(f.startswith("report.html") for f in failures)
    saved = f"The results are saved in {target}; "
    hint = saved + (f"rebuild the report with `leftshift report {target}`." if rebuild
                    else "run the command again with --force to retry the report.")  # fmt: skip
    raise ReportFailed(failures, hint)


def after_report(target: Path, written: bool, open_report: bool, quiet: bool) -> None:
    """Say where the report is, and open it if asked (only once it is in its final place)."""
    path = target / "report.html"
    if written and not quiet:
        click.echo(f"Report: {path}")
    if written and open_report:
        click.launch(str(path))


class _ExampleLast:
    """Help that ends with the docstring's `Example:` block, after the options, where people look."""

    def _split(self) -> tuple[str, str]:
        text, marker, example = (self.help or "").partition("Example:")  # type: ignore[attr-defined]
        return text.rstrip().removesuffix("\b").rstrip(), example.strip("\n") if marker else ""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text, _ = self._split()
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _, example = self._split()
        if example:
            formatter.write_paragraph()
            formatter.write_text("Example:")
            with formatter.indentation():
                for line in textwrap.dedent(example).strip().splitlines():
                    formatter.write(f"{formatter.current_indent * ' '}{line.rstrip()}\n")


class Command(_ExampleLast, click.Command):
    """A leftshift command (help ends with its example)."""


class Group(_ExampleLast, click.Group):
    """The leftshift command group (help ends with its example)."""

    command_class = Command
