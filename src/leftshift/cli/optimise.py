"""`leftshift optimise`: the best split of a yearly budget over a scenario's programmes, and what it prints.

The library does the work (`leftshift.experiments.optimise`); `leftshift.io.optimise` writes optimal.yaml,
allocation.csv, frontier.csv and experiment.json, `leftshift.report` the report. Everything that can be checked
before the search is: both scenarios, the objective and payer, the budget against the bounds, --frontier, and the
--out folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from leftshift.cli.shared import Command, after_report, handle_errors, report_failed, report_options, try_report

OBJECTIVES = ("net_savings", "system_cost", "person_years_at_home", "emergency_admissions")
"""`leftshift.experiments.objective.OBJECTIVES`, written out so that `--help` imports nothing heavy (a test checks)."""


@click.command(cls=Command)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--baseline", type=click.Path(path_type=Path), required=True,
              help="The scenario to compare every split with (e.g. the place without the programmes).")  # fmt: skip
@click.option("--budget", type=float, required=True, metavar="GBP_A_YEAR",
              help="The yearly budget to split (on average over the horizon), e.g. 5e6.")  # fmt: skip
@click.option("--objective", type=click.Choice(OBJECTIVES), default="net_savings", show_default=True,
              help="What the split is best for (docs/optimise.md defines each).")  # fmt: skip
@click.option("--payer", type=click.Choice(["all", "nhs", "council"]), default=None,
              help="Whose net savings or cost count (money objectives; default: all, the whole system).")  # fmt: skip
@click.option("--under-uncertainty", "criterion", type=click.Choice(["mean", "p10"]), default=None,
              help="Score each split over --samples draws of the uncertain values: their mean, or the pessimistic "
              "10th percentile.")  # fmt: skip
@click.option("--samples", type=click.IntRange(min=1), default=None, metavar="N",
              help="Draws for --under-uncertainty (default 200).")  # fmt: skip
@click.option("--min", "mins", multiple=True, metavar="KEY=GBP_A_YEAR",
              help="A budget's least (KEY: its key path, e.g. interventions[0].budget, or the programme's name); "
              "repeatable.")  # fmt: skip
@click.option("--max", "maxs", multiple=True, metavar="KEY=GBP_A_YEAR", help="A budget's most; repeatable.")
@click.option("--spend-all", is_flag=True, help="Spend the whole budget (by default no money is spent that does not "
              "pay its way).")  # fmt: skip
@click.option("--frontier", "frontier_text", metavar="LOW:HIGH:N", default=None,
              help="Also find the best split at N total budgets from LOW to HIGH (default: 5 up to the budget, none "
              "under uncertainty).")  # fmt: skip
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override a value in both scenarios before optimising (repeatable).")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the draws (default: the scenario's).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: results/optimise-<scenario-name>/).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the output directory if it already holds files.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@report_options
@handle_errors
def optimise(
    scenario: Path, baseline: Path, budget: float, objective: str, payer: str | None, criterion: str | None,
    samples: int | None, mins: tuple[str, ...], maxs: tuple[str, ...], spend_all: bool, frontier_text: str | None,
    overrides: tuple[str, ...], seed: int | None, out: Path | None, force: bool, quiet: bool, open_report: bool,
    no_report: bool, strict: bool,
) -> None:  # fmt: skip
    """Split a yearly budget across a scenario's programmes (and places bought from a budget) for the best net
    savings, system cost, person-years at home or emergency admissions, against a baseline. Writes optimal.yaml
    (the scenario with the best budgets, runnable against the baseline), allocation.csv (each budget, what it adds
    and what an extra £100k a year on it would do), frontier.csv (the best result by total budget) and report.html
    (with the NHS's and the council's own best splits side by side). docs/optimise.md explains it.

    \b
    Example:
      leftshift optimise scenarios/leeds-left-shift.yaml --baseline scenarios/leeds-baseline.yaml \\
        --budget 5e6 --objective emergency_admissions --max 'interventions[1].budget=1e6'
    """
    from leftshift.cli.progress import progress_bar
    from leftshift.cli.shared import check_scenarios, load, with_file
    from leftshift.errors import LeftshiftError, ScenarioError
    from leftshift.experiments.budgets import bounds, budget_variables
    from leftshift.experiments.objective import drawn_parameters
    from leftshift.experiments.objective import objective as pick_objective
    from leftshift.experiments.optimise import Settings, frontier_levels, parse_frontier, stages
    from leftshift.experiments.optimise import optimise as run_optimise
    from leftshift.experiments.runs import check_pair
    from leftshift.io.optimise import write_optimisation
    from leftshift.io.outputs import claim_output
    from leftshift.io.writing import slug

    if samples is not None and criterion is None:
        raise LeftshiftError("--samples sets the draws of --under-uncertainty; add --under-uncertainty mean|p10, or "
                             "leave out --samples")  # fmt: skip
    settings = Settings(budget, objective, payer, criterion, samples, mins, maxs, spend_all,
                        parse_frontier(frontier_text) if frontier_text else None, seed)  # fmt: skip
    pick_objective(objective, payer)
    base, other = load(scenario, overrides), load(baseline, overrides)
    try:
        check_pair(base, other)
        variables = budget_variables(base)
        frontier_levels(settings, variables, *bounds(variables, budget, mins, maxs, spend_all))
        if criterion:
            drawn_parameters(base, other, variables)
    except LeftshiftError as exc:
        raise LeftshiftError(f"{scenario}: {exc.render()}") from None
    check_scenarios([base, other], strict, quiet)
    target = out or Path("results") / f"optimise-{slug(base.name)}"
    failures: list[str] = []
    with claim_output(target, force) as claim:
        with progress_bar(f"{base.name}: optimising", stages(settings), quiet, transient=True) as advance:
            try:
                result = run_optimise(base, other, settings, progress=advance)
            except ScenarioError as exc:  # a budget the scenario cannot take: name the file it came from
                raise with_file(exc, scenario) from None
        with claim.writing() as work:
            write_optimisation(work, result, _provenance(result))
            written = not no_report and try_report(lambda: _report(work, result), failures)
    if not quiet:
        print_optimisation(result, target)
    after_report(target, written, open_report, quiet)
    report_failed(failures, target, rebuild=False)


def _report(work: Path, result: Any) -> None:
    from leftshift.report.writers import write_optimise_report

    write_optimise_report(work, result)


def _provenance(result: Any) -> dict[str, Any]:
    from leftshift.cli.experiments import provenance
    from leftshift.scenario.loading import scenario_hash

    s = result.settings
    return provenance(
        result.original, command="optimise", baseline=result.baseline.name, budget_gbp_a_year=s.total,
        objective=s.objective, payer=result.payer, under_uncertainty=s.criterion,
        samples=(s.samples or _default_samples()) if s.criterion else None,
        min=list(s.mins), max=list(s.maxs), spend_all=s.spend_all, frontier=list(s.frontier) if s.frontier else None,
        draws_seed=s.seed, model_runs=result.runs, optimal_scenario=result.optimal.name,
        optimal_scenario_hash=scenario_hash(result.optimal),
    )  # fmt: skip


def _default_samples() -> int:
    from leftshift.experiments.optimise import DEFAULT_SAMPLES

    return DEFAULT_SAMPLES


def print_optimisation(result: Any, directory: Path) -> None:
    """The split (best, each payer's best, as written, marginal returns), the verdict (what the best split gains and
    who saves and who pays: `experiments.optimise_verdict`), the risk share that would make both payers gain."""
    import math

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from leftshift.analysis.measures import format_number as number
    from leftshift.experiments.optimise_verdict import optimise_verdict

    console, o = Console(), result.objective
    view = Table(title=f"Best split of {number(result.settings.total, 'GBP')} a year for {result.what}",
                 title_justify="left")  # fmt: skip
    view.add_column("Programme (GBP a year)")
    for column in ("payer", "best", "best: NHS", "best: council", "as written", "adds", "extra £100k"):
        view.add_column(column, justify="right")
    for a in result.allocation.itertuples(index=False):
        view.add_row(Text(a.intervention), a.payer, *(number(v, "GBP") for v in (
            a.budget_gbp, a.budget_gbp_nhs_optimal, a.budget_gbp_council_optimal, a.written_budget_gbp)),
            number(a.contribution, o.unit), number(a.marginal_per_100k, o.unit))  # fmt: skip
    console.print(view)
    console.print(Text(optimise_verdict(result) + ".", style="bold"))
    share = result.share
    if not math.isnan(share["low"]):
        console.print(Text(f"A risk share from {share['from']} to {share['to']} of {share['low']:.1%} to "
                           f"{share['high']:.1%} of its avoided cost would leave both at or above zero."))  # fmt: skip
    console.print(Text(f"Results written to {directory}/ (optimal.yaml, allocation.csv, frontier.csv, report.html)"))


__all__ = ["optimise", "print_optimisation"]
