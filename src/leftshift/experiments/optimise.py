"""`leftshift optimise`: the best split of a yearly budget over a scenario's programmes (and bought places), what
each extra £100k a year would buy, the frontier of the best result by total budget, and who gains.

    from leftshift.experiments.optimise import optimise
    found = optimise(scenario, baseline, 5e6, "net_savings")
    found.allocation        # intervention, budget_gbp, contribution, marginal_per_100k, ...
    found.optimal           # the scenario with the best budgets, runnable against the baseline

The budgets are `experiments.budgets`, the objectives and the model that scores a batch of splits in one engine
call `experiments.objective`, the search `experiments.search`. Besides the split for the objective asked for, the
splits that are best for the NHS's and for the council's own net savings are found the same way (the 'wrong
pocket': each payer's best split when it counts only its own savings), and the risk shares under which both the
NHS and the council gain at the chosen split (`analysis.risk_share.share_for_both`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from leftshift.analysis.risk_share import share_for_both
from leftshift.errors import LeftshiftError
from leftshift.experiments.budgets import BudgetVariable, bounds, budget_variables, check_total, with_budgets
from leftshift.experiments.objective import (
    OBJECTIVES,
    TIE_ACTIVITY,
    TIE_MONEY,
    Model,
    Objective,
    Outcomes,
    aggregate,
    build_model,
    objective,
)
from leftshift.experiments.search import Box, Search, maximise
from leftshift.scenario.model import MAX_VALUE, Scenario

STEP_GBP = 100_000.0  # the marginal return is per extra £100k a year
DEFAULT_SAMPLES = 200
DEFAULT_FRONTIER = 5
DRAWS_SEARCH = {"first_step": 0.01, "tolerance": 0.005, "slsqp_steps": 15, "polish_rounds": 3}
"""The search over many draws, from the central values' answer: fewer SLSQP steps, a short polish."""
MAIN_STARTS = 3  # SLSQP runs of the main search (1 for the payers' splits and the frontier, warm-started)
PAYER_SPLITS = ("nhs", "council")
ALLOCATION_COLUMNS = ["intervention", "key_path", "kind", "payer", "budget_gbp", "share_of_budget",
                      "written_budget_gbp", "min_budget_gbp", "max_budget_gbp", "objective", "contribution",
                      "marginal_per_100k", "unit", "budget_gbp_nhs_optimal", "budget_gbp_council_optimal"]  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """What was asked: the budget (GBP a year), the objective and payer, how uncertainty counts, the bounds."""

    total: float
    objective: str = "net_savings"
    payer: str | None = None
    criterion: str | None = None  # None: the scenario's central values; 'mean' or 'p10' over `samples` draws
    samples: int | None = None
    mins: tuple[str, ...] = ()
    maxs: tuple[str, ...] = ()
    spend_all: bool = False
    frontier: tuple[float, float, int] | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Split:
    """One optimised split: its budgets, the objective it was chosen for, and what it gives each payer."""

    name: str  # 'optimal', 'nhs', 'council'
    x: np.ndarray
    value: float  # the objective it was chosen for, as reported (a cost as a cost)
    net: dict[str, float]  # net savings by payer and 'all' (after any risk share)
    search: Search
    change: float = np.nan  # the objective minus the baseline's (each draw's, then over the draws by the criterion)
    net_before: dict[str, float] = field(default_factory=dict)  # net savings by payer before any risk share


@dataclass(frozen=True)
class Optimisation:
    """A finished optimisation (docs/optimise.md): tables for allocation.csv and frontier.csv, the optimal scenario."""

    original: Scenario
    baseline: Scenario
    optimal: Scenario
    settings: Settings
    objective: Objective
    payer: str
    variables: tuple[BudgetVariable, ...]
    best: Split
    payer_splits: dict[str, Split]
    written: Split  # the scenario's own budgets, scored the same way
    allocation: pd.DataFrame
    frontier: pd.DataFrame
    share: dict  # analysis.risk_share.share_for_both at the optimal split
    runs: int  # scenarios run

    @property
    def what(self) -> str:
        """'net savings (discounted) to the whole system, mean over 200 draws' ..."""
        s = self.settings
        how = "" if s.criterion is None else f", {s.criterion} over {s.samples or DEFAULT_SAMPLES} draws"
        return f"{self.objective.describe(self.payer)}{how}"


def parse_frontier(text: str) -> tuple[float, float, int]:
    """'LOW:HIGH:N' -> (low, high, n): N total budgets from LOW to HIGH (GBP a year)."""
    parts = text.split(":")
    try:
        low, high, n = float(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise LeftshiftError(f"--frontier expects LOW:HIGH:N in GBP a year, e.g. 0:5e6:11 (got '{text}')") from None
    if len(parts) != 3 or not (0 <= low <= high <= MAX_VALUE) or n < 1 or (n > 1 and low == high):
        raise LeftshiftError(f"--frontier {text}: give 0 <= LOW < HIGH and N >= 1 budgets (N = 1: LOW alone)")
    return low, high, n


class _Scorer:
    """The search's objective for one (objective, payer): higher is better, with the tie-break on spend."""

    def __init__(self, model: Model, chosen: Objective, payer: str, criterion: str, total: float, tie: bool) -> None:
        self.model, self.chosen, self.payer, self.criterion, self.total = model, chosen, payer, criterion, total
        self.tie = 0.0
        if tie and chosen.money:
            self.tie = TIE_MONEY * total * float(model.template.base["horizon_years"])
        elif tie:
            base = model.outcomes(np.zeros((1, model.matrix.shape[0])))
            self.tie = TIE_ACTIVITY * max(float(np.abs(_reported(base, chosen, payer, criterion))[0]), 1.0)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        value = _reported(self.model.outcomes(x), self.chosen, self.payer, self.criterion)
        gain = value if self.chosen.higher_is_better else -value
        return gain - self.tie * np.atleast_2d(x).sum(axis=1) / self.total


def _reported(outcomes: Outcomes, chosen: Objective, payer: str, criterion: str) -> np.ndarray:
    """(m,) the objective of each split, as reported (a cost as a cost), over the draws by the criterion."""
    return aggregate(outcomes.score(chosen, payer), criterion, chosen.higher_is_better)


def _split(name: str, model: Model, chosen: Objective, payer: str, criterion: str, box: Box, *,
           screen: Model | None, starts: np.ndarray | None = None, n_starts: int = 1) -> Split:  # fmt: skip
    """The best split for one objective and payer: SLSQP from the best `n_starts` of the grid and the `starts`.
    Under uncertainty (`screen`: the model at central values) the whole search runs at central values first,
    and the search over the draws starts from its answer and the `starts`, without a grid and with a shorter polish
    (each point there costs a run per draw)."""
    tie = not box.spend_all
    score = _Scorer(model, chosen, payer, criterion, box.total, tie)
    if screen is None:
        found = maximise(score, box, starts=starts, n_starts=n_starts)
    else:
        central = maximise(_Scorer(screen, chosen, payer, "mean", box.total, tie), box, starts=starts,
                           n_starts=n_starts)  # fmt: skip
        begin = np.vstack([central.x, *([] if starts is None else np.atleast_2d(starts))])
        found = maximise(score, box, starts=begin, n_starts=1, use_grid=False, **DRAWS_SEARCH)  # type: ignore[arg-type]
    return _scored(name, model, chosen, payer, criterion, _whole_pounds(found.x, box), found)


def _whole_pounds(x: np.ndarray, box: Box) -> np.ndarray:
    """The split in whole pounds (a budget within £1 of a bound at the bound), if that is still feasible."""
    rounded = np.round(x)
    rounded = np.where(np.abs(x - box.low) < 1, box.low, np.where(np.abs(box.high - x) < 1, box.high, rounded))
    gap = box.total - rounded.sum()
    if box.spend_all or gap < 0:
        rounded[int(np.argmax(rounded - box.low))] += gap
    return rounded if box.feasible(rounded)[0] else x


def _scored(name: str, model: Model, chosen: Objective, payer: str, criterion: str, x: np.ndarray,
            search: Search) -> Split:  # fmt: skip
    out = model.outcomes(x[None, :])
    net = {p: float(v.mean()) for p, v in out.net.items()}
    before = {p: float(v.mean()) for p, v in out.net_before.items()}
    change = aggregate(out.score(chosen, payer) - model.baseline_value(chosen, payer)[None, :], criterion,
                       chosen.higher_is_better)  # fmt: skip
    return Split(name, x, float(_reported(out, chosen, payer, criterion)[0]), net, search, float(change[0]), before)


def frontier_levels(settings: Settings, variables: Sequence[BudgetVariable], low: np.ndarray,
                    high: np.ndarray) -> list[float]:  # fmt: skip
    """The totals of the frontier: --frontier's (each checked as the budget is), else 5 up to the budget (only the
    budget under uncertainty)."""
    if settings.frontier is not None:
        start, stop, n = settings.frontier
        for level in {start, stop}:
            check_total(variables, low, high, level, settings.spend_all, "--frontier's total")
        return [float(v) for v in np.linspace(start, stop, n)]
    if settings.criterion is not None:
        return [settings.total]  # each level is a whole optimisation over every draw: only when asked
    return [float(v) for v in np.linspace(low.sum(), settings.total, DEFAULT_FRONTIER)]


def stages(settings: Settings) -> int:
    """How many searches `optimise` runs (its progress counts them): the best split, each payer's, the frontier."""
    if settings.frontier is not None:
        levels = settings.frontier[2]
    else:
        levels = 1 if settings.criterion is not None else DEFAULT_FRONTIER
    return 1 + len(PAYER_SPLITS) + levels


def _frontier(model: Model, screen: Model | None, chosen: Objective, payer: str, criterion: str,
              variables: Sequence[BudgetVariable], low: np.ndarray, high: np.ndarray, settings: Settings, best: Split,
              progress: Callable[[int], None]) -> list[tuple[float, Split]]:  # fmt: skip
    """The best split at each total budget, warm-started from the one below; without --spend-all, never worse than a
    lower budget's best (any split affordable at a lower total is affordable at a higher one)."""
    out: list[Split] = []
    levels = frontier_levels(settings, variables, low, high)
    for level in levels:
        if abs(level - settings.total) <= 1e-9 * settings.total:
            found = best
        elif level <= low.sum() * (1 + 1e-12):
            x = low.copy()
            found = _scored("frontier", model, chosen, payer, criterion, x, Search(x, np.nan, 1, 1, "the minimums"))
        else:
            box = Box(low, np.minimum(high, level), level, settings.spend_all)
            starts = np.array([box.repair(s.x) for s in [*out[-1:], best]])
            found = _split("frontier", model, chosen, payer, criterion, box, screen=screen, starts=starts)
        better = (lambda a, b: a > b) if chosen.higher_is_better else (lambda a, b: a < b)
        if out and not settings.spend_all and better(out[-1].value, found.value):
            found = replace(out[-1], name="frontier")
        out.append(found)
        progress(1)
    return list(zip(levels, out, strict=True))


def optimise(
    scenario: Scenario, baseline: Scenario, settings: Settings, progress: Callable[[int], None] | None = None
) -> Optimisation:
    """Find the best split of `settings.total` GBP a year (see the module's docstring and docs/optimise.md)."""
    advance = progress or (lambda n: None)
    chosen, payer = objective(settings.objective, settings.payer)
    variables = budget_variables(scenario)
    low, high = bounds(variables, settings.total, settings.mins, settings.maxs, settings.spend_all)
    frontier_levels(settings, variables, low, high)  # a bad --frontier fails now, not after the search
    samples = (settings.samples or DEFAULT_SAMPLES) if settings.criterion else None
    model = build_model(scenario, baseline, variables, samples, settings.seed)
    screen = build_model(scenario, baseline, variables) if samples else None
    criterion = settings.criterion or "mean"
    box = Box(low, np.minimum(high, settings.total), settings.total, settings.spend_all)
    written_x = np.array([v.written for v in variables])
    starts = box.repair(written_x)[None, :]
    best = _split("optimal", model, chosen, payer, criterion, box, screen=screen, starts=starts,
                  n_starts=1 if screen is not None else MAIN_STARTS)  # fmt: skip
    advance(1)
    splits = _payer_splits(model, screen, criterion, box, best)
    advance(len(PAYER_SPLITS))
    frontier = _frontier(model, screen, chosen, payer, criterion, variables, low, high, settings, best, advance)
    if not settings.spend_all:  # a lower total's best split is affordable too: the frontier may have found better
        better = -1.0 if chosen.higher_is_better else 1.0
        affordable = [s for level, s in frontier if level <= settings.total * (1 + 1e-12)]
        best = min([best, *affordable], key=lambda s: better * s.value)
    none = Search(written_x, np.nan, 1, 1, "as written")
    written = _scored("written", model, chosen, payer, criterion, written_x, none)
    note = (f"optimised by leftshift optimise for {chosen.describe(payer)} against '{baseline.name}' with a budget of "
            f"GBP {settings.total:,.0f} a year")  # fmt: skip
    optimal = with_budgets(scenario, variables, best.x, note, f"{scenario.name} (optimised)")
    allocation = _allocation(model, chosen, payer, criterion, variables, best, splits, low, box.high, settings.total)
    outcomes = model.outcomes(best.x[None, :])
    share = share_for_both({p: float(v.mean()) for p, v in outcomes.net_before.items()},
                           {p: float(v.mean()) for p, v in outcomes.avoided_before.items()})  # fmt: skip
    return Optimisation(scenario, baseline, optimal, settings, chosen, payer, tuple(variables), best, splits, written,
                        allocation, _frontier_table(frontier, variables, chosen), share, model.runs
                        + (screen.runs if screen is not None else 0))  # fmt: skip


def _payer_splits(model: Model, screen: Model | None, criterion: str, box: Box, best: Split) -> dict[str, Split]:
    """The splits best for the NHS's and the council's own net savings. Under uncertainty they are found at central
    values (a search over every draw for each payer would triple the time) and then scored over the draws."""
    money = OBJECTIVES["net_savings"]
    out = {}
    for p in PAYER_SPLITS:
        found = _split(p, screen or model, money, p, "mean", box, screen=None, starts=best.x[None, :])
        out[p] = found if screen is None else _scored(p, model, money, p, criterion, found.x, found.search)
    return out


def _allocation(model: Model, chosen: Objective, payer: str, criterion: str, variables: Sequence[BudgetVariable],
                best: Split, splits: dict[str, Split], low: np.ndarray, high: np.ndarray,
                total: float) -> pd.DataFrame:  # fmt: skip
    """allocation.csv: each budget at the optimum, what it adds to the objective (against the same split without
    it), and what an extra £100k a year on it would change, in one engine call."""
    n = len(variables)
    without = np.repeat(best.x[None, :], n, axis=0)
    without[np.arange(n), np.arange(n)] = 0.0
    more = best.x[None, :] + STEP_GBP * np.eye(n)
    values = _reported(model.outcomes(np.vstack([best.x, without, more])), chosen, payer, criterion)
    at, values = values[0], values[1:]  # the best split in the same batch: differences free of batch rounding
    adds = np.where(best.x == 0, 0.0, at - values[:n])
    return pd.DataFrame({
        "intervention": [v.label for v in variables], "key_path": [v.key for v in variables],
        "kind": [v.kind for v in variables], "payer": [v.payer for v in variables], "budget_gbp": best.x,
        "share_of_budget": best.x / total, "written_budget_gbp": [v.written for v in variables],
        "min_budget_gbp": low, "max_budget_gbp": high, "objective": chosen.name,
        "contribution": adds, "marginal_per_100k": values[n:] - at, "unit": chosen.unit,
        "budget_gbp_nhs_optimal": splits["nhs"].x, "budget_gbp_council_optimal": splits["council"].x,
    })[ALLOCATION_COLUMNS]  # fmt: skip


def _frontier_table(frontier: Sequence[tuple[float, Split]], variables: Sequence[BudgetVariable],
                    chosen: Objective) -> pd.DataFrame:  # fmt: skip
    """frontier.csv: total_budget_gbp, best_value (the objective), spent_gbp, net savings by payer, each budget."""
    rows = []
    for level, s in frontier:
        row: dict[str, object] = {"total_budget_gbp": level}
        row.update(best_value=s.value, unit=chosen.unit, spent_gbp=float(s.x.sum()),
                   net_savings_gbp_discounted=s.net["all"], net_savings_gbp_discounted_nhs=s.net["nhs"],
                   net_savings_gbp_discounted_council=s.net["council"])  # fmt: skip
        row.update({v.label: float(x) for v, x in zip(variables, s.x, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


__all__ = ["ALLOCATION_COLUMNS", "DEFAULT_SAMPLES", "Optimisation", "Settings", "Split", "frontier_levels", "optimise",
           "parse_frontier", "stages"]  # fmt: skip
