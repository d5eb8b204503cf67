"""The runs that attribute a scenario's avoided cost to its programmes: the scenario again without each one.

`analysis.breakdown.programmes` takes a programme's avoided cost as the scenario's minus that of the scenario
without the programme (leave one out). Here are those scenarios and their runs. A scenario without a programme
that is the baseline in all but name (the usual "baseline plus one programme") is not run again: the baseline's
Result stands for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leftshift.result import Result
from leftshift.scenario.model import Scenario

BOOKKEEPING = ("name", "description", "sources", "uncertainty", "correlations")
"""Keys that do not change a run with central values: left out when telling whether two scenarios are the same."""


def without_programme(scenario: Scenario, name: str) -> Scenario:
    """The scenario with the programme called `name` taken out (and its distributions, correlations and source
    notes, whose key paths would no longer point at the same programme: a central-value run does not use them)."""
    data = scenario.model_dump(mode="python", by_alias=True)
    data["interventions"] = [iv for iv in data["interventions"] if iv["name"] != name]
    for key in ("sources", "uncertainty", "correlations"):
        data.pop(key, None)
    data["name"] = f"{scenario.name} without {name}"
    return Scenario.model_validate(data)


def same_run(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios give the same run (they differ at most in name, notes and distributions)."""

    def essence(s: Scenario) -> dict[str, Any]:
        data = s.model_dump(mode="json", by_alias=True)
        return {k: v for k, v in data.items() if k not in BOOKKEEPING}

    return essence(a) == essence(b)


def runs_without_each(scenario: Scenario, baseline: Result, run: Callable[[Scenario], Result]) -> dict[str, Result]:
    """For each programme of `scenario`, its Result without that programme: `baseline` when that is the
    baseline's scenario, otherwise `run(scenario without it)` (with the engine and options of the comparison)."""
    out = {}
    for iv in scenario.interventions:
        other = without_programme(scenario, iv.name)
        out[iv.name] = baseline if same_run(other, baseline.scenario) else run(other)
    return out


__all__ = ["runs_without_each", "same_run", "without_programme"]
