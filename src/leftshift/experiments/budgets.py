"""What `leftshift optimise` splits: the budgets of a scenario's programmes and of the places it buys, each as
GBP a year, their bounds, and how a split becomes the scenario's own budget keys.

Every programme (`interventions[i].budget`) and every capacity-limited state whose places are bought from a budget
(`capacity.<state>.budget`) is one budget of the split. The optimiser works in GBP a year, averaged over the
horizon (a final part-year counts for its part). A budget written as a number becomes that number. A budget
written by year (`{2026: 250000, 2028: 500000}`) or growing (`{start, growth}`) keeps its shape and is scaled in
proportion, so that its average a year over the horizon is the optimiser's figure (a pilot year stays a pilot
year; growth stays growth); one whose average is 0 (all zeros, or every year after the horizon) becomes a
constant number. So `sum of the budgets <= total` says: on average over the horizon, at most `total` a year.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leftshift.errors import LeftshiftError
from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path, split_assignment
from leftshift.scenario.model import MAX_VALUE, Budget, BudgetGrowth, Scenario, by_year


@dataclass(frozen=True)
class BudgetVariable:
    """One budget of the split: `key` is its key path; `parts` the (key path, GBP per GBP a year) it sets."""

    key: str
    label: str  # the programme's name, or 'places: <state>'
    payer: str
    kind: str  # 'programme' or 'places'
    written: float  # the scenario's own budget, GBP a year on average over the horizon
    parts: tuple[tuple[str, float], ...]
    shape: str  # how a figure becomes the budget (for the source note): 'a number', '... scaled in proportion'


def year_weights(scenario: Scenario) -> np.ndarray:
    """How much of each simulated year the horizon holds (1, but a final part-year counts for its part)."""
    h = float(scenario.horizon_years)
    return np.array([min(1.0, h - y) for y in range(math.ceil(h))])


def mean_a_year(budget: Budget, scenario: Scenario) -> float:
    """A budget's average GBP a year over the horizon (a number: itself)."""
    if not isinstance(budget, dict | BudgetGrowth):
        return float(budget)
    w = year_weights(scenario)
    total = sum(wy * by_year(budget, scenario.start_year, scenario.start_year + y) for y, wy in enumerate(w))
    return float(total / scenario.horizon_years)


def _parts(key: str, budget: Budget, scenario: Scenario) -> tuple[tuple[tuple[str, float], ...], str]:
    mean = mean_a_year(budget, scenario)
    if isinstance(budget, BudgetGrowth) and budget.start > 0 and mean > 0:
        return ((f"{key}.start", budget.start / mean),), "its {start, growth} scaled in proportion"
    if isinstance(budget, dict) and mean > 0:
        parts = tuple((f"{key}.{year}", value / mean) for year, value in budget.items())
        return parts, "its budget by year scaled in proportion"
    return ((key, 1.0),), "a number"


def budget_variables(scenario: Scenario) -> list[BudgetVariable]:
    """Every budget a split can move: the programmes', then the bought places', in the file's order."""
    out = []
    for i, iv in enumerate(scenario.interventions):
        key = format_path(("interventions", i, "budget"))
        parts, shape = _parts(key, iv.budget, scenario)
        out.append(BudgetVariable(key, iv.name, iv.payer, "programme", mean_a_year(iv.budget, scenario), parts, shape))
    for state, cap in scenario.capacity.items():
        if cap.budget is not None:
            key = format_path(("capacity", state, "budget"))
            parts, shape = _parts(key, cap.budget, scenario)
            out.append(BudgetVariable(key, f"places: {state}", scenario.place_payer(state), "places",
                                      mean_a_year(cap.budget, scenario), parts, shape))  # fmt: skip
    if not out:
        raise LeftshiftError(f"'{scenario.name}' has nothing to split: it has no programmes (interventions) and buys "
                             "no places with a budget (capacity.<state>.budget); add the programmes to choose "
                             "between, each with a budget")  # fmt: skip
    return out


def parts_matrix(variables: Sequence[BudgetVariable]) -> tuple[tuple[str, ...], np.ndarray]:
    """(the key paths a split sets, (variables, paths) GBP set per GBP a year): values = budgets @ matrix."""
    paths = tuple(p for v in variables for p, _ in v.parts)
    matrix = np.zeros((len(variables), len(paths)))
    col = 0
    for i, v in enumerate(variables):
        for _, coefficient in v.parts:
            matrix[i, col] = coefficient
            col += 1
    return paths, matrix


# Bounds from --min and --max -----------------------------------------------------------------------------


def _match(key: str, variables: Sequence[BudgetVariable]) -> int:
    """The budget a --min/--max KEY names: its key path, the item (`interventions[0]`) or the programme's name."""
    for i, v in enumerate(variables):
        if key.strip() in (v.key, v.key.removesuffix(".budget")) or key.strip().casefold() == v.label.casefold():
            return i
    try:
        loc = parse_path(key.strip())
    except KeyPathError:
        loc = ()
    if loc[:1] == ("interventions",) and len(loc) >= 2:
        raise LeftshiftError(f"{key}: there is no programme {format_path(loc[:2])} with a budget to split "
                             f"(the scenario has {sum(v.kind == 'programme' for v in variables)})")  # fmt: skip
    known = "; ".join(f"{v.key} ({v.label})" for v in variables)
    raise LeftshiftError(f"'{key}' is not one of the budgets being split; give a key path or a programme's name: "
                         f"{known}")  # fmt: skip


def _bound(text: str, option: str, variables: Sequence[BudgetVariable]) -> tuple[int, float]:
    parts = split_assignment(text)
    if parts is None or not parts[0].strip():
        raise LeftshiftError(f"{option} expects KEY=GBP_A_YEAR, e.g. {option} interventions[0].budget=500000 "
                             f"(got '{text}')")  # fmt: skip
    try:
        value = float(parts[1])
    except ValueError:
        raise LeftshiftError(f"{option} {text}: '{parts[1].strip()}' is not a number of GBP a year") from None
    if not 0 <= value <= MAX_VALUE:
        raise LeftshiftError(f"{option} {text}: a budget is a number of GBP a year from 0 to {MAX_VALUE:g}")
    return _match(parts[0], variables), value


def bounds(
    variables: Sequence[BudgetVariable], total: float, mins: Sequence[str] = (), maxs: Sequence[str] = (),
    spend_all: bool = False,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(low, high) of every budget: 0 and no maximum (inf) unless --min/--max say otherwise (a split of a total caps
    each budget at that total); a clear error for a split that cannot be made (a minimum above a maximum, the
    minimums above the total, too little room to spend it all)."""
    if not (np.isfinite(total) and 0 < total <= MAX_VALUE):
        raise LeftshiftError(f"--budget must be a number of GBP a year above 0 (got {total:g})")
    low, high = np.zeros(len(variables)), np.full(len(variables), np.inf)  # (then at most the budget)
    for option, given, into in (("--min", mins, low), ("--max", maxs, high)):
        seen: set[int] = set()
        for text in given:
            i, value = _bound(text, option, variables)
            if i in seen:
                raise LeftshiftError(f"{option}: {variables[i].key} ({variables[i].label}) is given twice")
            seen.add(i)
            into[i] = value
    for i, v in enumerate(variables):
        if low[i] > high[i]:
            raise LeftshiftError(f"{v.key} ({v.label}): --min {low[i]:,.0f} is above --max {high[i]:,.0f}")
    check_total(variables, low, high, total, spend_all)
    return low, high


def check_total(variables: Sequence[BudgetVariable], low: np.ndarray, high: np.ndarray, total: float,
                spend_all: bool, what: str = "--budget") -> None:  # fmt: skip
    """A total (the budget, or a total of --frontier) must cover the minimums and, with --spend-all, fit under the
    maximums."""
    if low.sum() > total * (1 + 1e-12):
        listed = ", ".join(f"{v.label} {low[i]:,.0f}" for i, v in enumerate(variables) if low[i] > 0)
        raise LeftshiftError(f"{what} {total:,.0f} is below the sum of the minimums, {low.sum():,.0f} a year "
                             f"({listed}); raise it or lower a --min")  # fmt: skip
    room = np.minimum(high, total).sum()
    if spend_all and room < total * (1 - 1e-12):
        raise LeftshiftError(f"--spend-all: the maximums add up to {room:,.0f} a year, less than {what} "
                             f"{total:,.0f}, so it cannot all be spent; raise a --max or lower it")  # fmt: skip


def with_budgets(
    scenario: Scenario, variables: Sequence[BudgetVariable], x: np.ndarray, note: str, name: str | None = None
) -> Scenario:
    """The scenario with budgets x (GBP a year, one per variable), each with a source note saying where it came
    from, and a new `name` if given; runnable as it is against the same baseline."""
    from leftshift.experiments.design import set_path

    data: dict[str, Any] = scenario.model_dump(by_alias=True)
    paths, matrix = parts_matrix(variables)
    values = np.asarray(x, dtype=float) @ matrix
    for path, value in zip(paths, values, strict=True):
        set_path(data, path, float(value))
    chosen = {v.key for v in variables}
    data["uncertainty"] = {k: d for k, d in data["uncertainty"].items() if not under(k, chosen)}
    data["correlations"] = [c for c in data["correlations"] if not (under(c["a"], chosen) or under(c["b"], chosen))]
    notes = {v.key: f"{note}: GBP {x[i]:,.0f} a year on average over the horizon ({v.shape})"
             for i, v in enumerate(variables)}  # fmt: skip
    data["sources"] = {k: s for k, s in data["sources"].items() if not under(k, chosen)} | notes
    data["name"] = name or data["name"]
    return Scenario.model_validate(data)


def under(path: str, keys: set[str]) -> bool:
    """Is `path` one of `keys` or inside one (a year of a budget by year)?"""
    return any(path == k or path.startswith(f"{k}.") for k in keys)


__all__ = ["BudgetVariable", "bounds", "budget_variables", "check_total", "mean_a_year", "parts_matrix", "under",
           "with_budgets", "year_weights"]  # fmt: skip
