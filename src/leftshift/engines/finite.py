"""Refuse results that are not finite numbers.

A count of 1e308 people, a cost of 1e306 a week or growth compounding over two centuries overflows
floating point: the engines then hold inf or NaN, and pandas sums skip NaN, so a run would otherwise
end "successfully" with a table of zeros. Both engines call these checks after running and raise a
LeftshiftError that names the inputs most likely to blame (the largest numbers of the right kind).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario.model import Scenario

PEOPLE_KEYS = ("initial", "demography", "transitions", "interventions")
MONEY_KEYS = ("costs", "interventions")
SUSPECT = 1e9  # an input (or a growth factor over the horizon) at least this large is named as a suspect


class NonFiniteError(LeftshiftError):
    """A run produced inf or NaN. `members` are the positions in the batch of the parameter sets that did."""

    def __init__(self, problems: list[Problem] | str, members: Sequence[int] = (), hint: str = "") -> None:
        self.members = list(members)
        super().__init__(problems, hint)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, float(value)


def suspects(scenario: Scenario, money: bool, limit: int = 3) -> list[str]:
    """The key paths (with values) of the largest inputs that feed people (or money), largest first.

    A growth rate is ranked by what it compounds to over the horizon, a cost per participant by how many
    places a pound buys."""
    data = scenario.model_dump(by_alias=True, exclude={"sources", "uncertainty", "correlations"})
    prefixes = MONEY_KEYS if money else PEOPLE_KEYS
    ranked = []
    for path, value in _leaves(data, ""):
        if not path.startswith(prefixes):
            continue
        if "growth" in path.rsplit(".", 1)[-1] or path.endswith(".growth") or "growth_per_year." in path:
            size = (1 + value) ** scenario.horizon_years if value > -1 else 0.0
        elif path.endswith("cost_per_participant_year"):
            size = 1 / value if value > 0 else np.inf
        else:
            size = abs(value)
        ranked.append((size, path, value))
    ranked.sort(key=lambda r: -r[0])
    big = [r for r in ranked if r[0] >= SUSPECT] or ranked[:limit]
    return [f"{path} = {value:g}" for _, path, value in big[:limit]]


def _bad_members(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """Members (last axis) with a non-finite value or total in any array, and the first array affected."""
    bad_any = None
    first = ""
    with np.errstate(over="ignore", invalid="ignore"):
        for name, array in arrays.items():
            flat = array.reshape(-1, array.shape[-1]) if array.size else np.zeros((0, array.shape[-1]))
            bad = ~np.isfinite(flat).all(axis=0) | ~np.isfinite(flat.sum(axis=0))
            if bad.any() and not first:
                first = name
            bad_any = bad if bad_any is None else bad_any | bad
    return (np.flatnonzero(bad_any) if bad_any is not None else np.zeros(0, dtype=int)), first


def _raise(scenario: Scenario, what: str, money: bool, members: Sequence[int], n_members: int, engine: str) -> None:
    where = f" (parameter set {members[0]} of {n_members} in the batch)" if n_members > 1 else ""
    kind = "costs" if money else "numbers of people"
    names = "; ".join(suspects(scenario, money))
    raise NonFiniteError(
        [Problem(f"the {engine} run produced {kind} too large to compute (infinite or not a number, in "
                 f"{what}){where}. Likely inputs: {names}")],
        members,
        hint="Check these values for a typing error (an extra zero, a percentage written as a whole number).",
    )  # fmt: skip


def check_trajectory(traj: Any) -> None:
    """Raise NonFiniteError if any member of a stock-flow Trajectory holds inf or NaN (or overflows when summed)."""
    people = {n: getattr(traj, n) for n in ("stocks", "person_years", "flows", "queue_admits", "waiting")}
    money = {n: getattr(traj, n) for n in ("costs", "costs_discounted", "funded_places")}
    n_members = traj.stocks.shape[-1]
    for arrays, is_money in ((people, False), (money, True)):
        members, first = _bad_members(arrays)
        if len(members):
            _raise(traj.scenarios[int(members[0])], first, is_money, members.tolist(), n_members, "stock-flow")


def check_tables(result: Any) -> None:
    """Raise NonFiniteError if a Result's tables hold inf or NaN (or their totals overflow)."""
    checks = [
        (result.timeseries, ("people", "person_years"), False),
        (result.flows, ("people",), False),
        (result.costs, ("cost_gbp", "cost_gbp_discounted"), True),
    ]
    for table, columns, money in checks:
        for column in columns:
            values = table[column].to_numpy(dtype=float)
            with np.errstate(over="ignore", invalid="ignore"):
                ok = np.isfinite(values).all() and np.isfinite(values.sum())
            if not ok:
                engine = {"des": "discrete-event", "stockflow": "stock-flow"}.get(result.engine, result.engine)
                _raise(result.scenario, column, money, [0], 1, engine)


__all__ = ["NonFiniteError", "check_tables", "check_trajectory", "suspects"]
