"""Warnings for inputs and results that are plausible enough to run but probably wrong.

Validation (scenario.py) refuses what cannot be right; this module flags what is legal but suspicious:
a relative risk written as a reduction or a percentage, a service that starts over full, entrants
sent into a full service, a population that collapses, a queue that grows without bound, a comparison
given the wrong way round. Each warning is one plain-English sentence naming the key path, so the CLI
can print it (`Warning: ...`) or, with --strict, refuse to go on. The thresholds are documented in
docs/design.md ("Warnings"); change both together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leftshift.analysis.metrics import REPLICATION
from leftshift.result import Result
from leftshift.scenario.model import DEAD, Scenario

EFFECT_LOW = 0.2
"""A relative risk below this cuts a rate by more than 80%: more likely a reduction (0.05 for 5%)."""
EFFECT_HIGH = 5.0
"""A relative risk above this multiplies a rate more than five-fold: more likely a percentage (95 for 95%)."""
COLLAPSE_SHARE = 0.5
"""A population that ends below this share of its starting size has collapsed."""
QUEUE_YEARS = 5
"""A queue whose yearly average size trends up over the last this many years (all of them if fewer) ..."""
QUEUE_GROWTH = 0.02
"""... by more than this share of its last year's size a year ..."""
QUEUE_MIN_PEOPLE = 10.0
"""... and averages at least this many people in the last year, is still growing: it has not settled by
the horizon (it grows without bound, or towards a level far above today's)."""
SPEND_TOLERANCE_GBP = 1.0
"""Extra intervention spend below minus this is negative, not rounding."""


def _people(value: float) -> str:
    return f"{value:,.0f}"


def check_scenario(scenario: Scenario) -> list[str]:
    """Warnings about a scenario before it runs."""
    return [*_effects(scenario), *_over_full_at_start(scenario), *_entrants_into_capacity(scenario),
            *_empty_roles(scenario)]  # fmt: skip


_ROLE_OUTCOMES = {
    "hospital": ("hospital_state", "emergency admissions and acute and delayed discharge bed days"),
    "care_home": ("care_home_state", "care home admissions"),
    "home_care": ("home_care_state", "home care admissions and clients"),
}


def _empty_roles(s: Scenario) -> list[str]:
    """A role no state plays: its headline outcomes would be zero whatever happens."""
    out = []
    for role, (attribute, outcomes) in _ROLE_OUTCOMES.items():
        name = getattr(s, attribute)
        if name not in s.states:
            out.append(f"no state plays the {role} role (it is '{name}', which is not among the states): {outcomes} "
                       f"will be zero; name the state that does with roles.{role}")  # fmt: skip
    return out


def _effects(s: Scenario) -> list[str]:
    out = []
    for i, iv in enumerate(s.interventions):
        for key, value in iv.effects.items():
            path = f"interventions[{i}].effects.{key}"
            if value == 0:
                out.append(f"{path} is 0: the programme removes this transition entirely for participants; "
                           "effects are relative risks (1 = no effect, 0.9 = a 10% reduction)")  # fmt: skip
            elif value < EFFECT_LOW:
                out.append(
                    f"{path} is {value:g}: effects are relative risks (multipliers on the rate), so this cuts the "
                    f"rate by {1 - value:.0%}; if you meant a {value:.0%} reduction write {1 - value:g}"
                )
            elif value > EFFECT_HIGH:
                out.append(
                    f"{path} is {value:g}: effects are relative risks (multipliers on the rate), so this multiplies "
                    f"the rate {value:g}-fold; if it is a percentage, write it as a fraction ({value / 100:g})"
                )
    return out


def _over_full_at_start(s: Scenario) -> list[str]:
    out = []
    for state, cap in s.capacity.items():
        start = float(sum(s.initial.get(state, {}).values()))
        if cap.bought:
            places = cap.initial_places
            if places is None:
                places = s.place_budget_gbp(state, s.start_year) / (cap.cost_per_place_year or 1.0)
        else:
            places = s.places_in(state, s.start_year)
        if start > places:
            given = f"has {_people(places)} places at the start" if cap.bought else f"places is {_people(places)}"
            out.append(
                f"initial.{state} puts {_people(start)} people in '{state}' but capacity.{state}"
                f"{' ' if cap.bought else '.'}{given}: it starts over full, so nobody is admitted until "
                f"{_people(start - places)} have left"
            )
    return out


def _entrants_into_capacity(s: Scenario) -> list[str]:
    entry = s.demography.entry_state
    entrants = float(sum(s.demography.entrants_per_year.values()))
    if entry in s.capacity and entrants > 0:
        return [
            f"demography.entry_state is '{entry}', which is capacity-limited (capacity.{entry}): entrants "
            f"({_people(entrants)} a year) are not admissions, so they join it even when it is full and are "
            "counted above its places"
        ]
    return []


def check_result(result: Result) -> list[str]:
    """Warnings about a run's results (either engine; the mean over replications)."""
    return [*_collapse(result), *_runaway_queues(result)]


def _mean_by_time(frame: pd.DataFrame, column: str) -> pd.Series:
    """`column` summed per time, averaged over replications."""
    return frame.groupby([REPLICATION, "time"])[column].sum().groupby("time").mean()


def _collapse(result: Result) -> list[str]:
    ts = result.timeseries
    alive = _mean_by_time(ts[ts["state"] != DEAD], "people")
    if alive.empty or alive.iloc[0] <= 0:
        return []
    start, end = float(alive.iloc[0]), float(alive.iloc[-1])
    if end >= COLLAPSE_SHARE * start:
        return []
    return [
        f"the population falls from {_people(start)} to {_people(end)} ({end / start - 1:.0%}) over "
        f"{result.scenario.horizon_years:g} years: check the death rates (transitions to 'dead'), "
        "demography.entrants_per_year and initial"
    ]


def yearly_mean(frame: pd.DataFrame, column: str) -> pd.Series:
    """`column` summed per reported time, averaged over each calendar year and over replications. An
    average over the year, not its last value, so that one replication's noise does not decide."""
    per_time = frame.groupby([REPLICATION, "year", "time"])[column].sum()
    return per_time.groupby([REPLICATION, "year"]).mean().groupby("year").mean()


def _runaway_queues(result: Result) -> list[str]:
    queues = result.queues
    if queues.empty:
        return []
    out = []
    for resource, frame in queues.groupby("resource", sort=False):
        yearly = yearly_mean(frame, "waiting").to_numpy(dtype=float)
        if runaway(yearly):
            years = min(QUEUE_YEARS, len(yearly) - 1)
            slope = _slope(yearly[-years - 1 :])
            out.append(
                f"the queue for '{resource}' is still growing at the horizon: by about {_people(slope)} people a "
                f"year over the last {years} years, to {_people(yearly[-1])} on average in the last year "
                f"({_people(yearly[0])} in the first). Demand outstrips capacity.{resource}.places, so waits and "
                "delayed discharges depend on where the horizon ends"
            )
    return out


def _slope(values: np.ndarray) -> float:
    """Least-squares change per year of equally spaced yearly values."""
    return float(np.polyfit(np.arange(len(values), dtype=float), values, 1)[0])


def runaway(yearly: np.ndarray) -> bool:
    """Whether a queue (its average size in each simulated year) is still growing at the horizon: at least
    QUEUE_MIN_PEOPLE in the last year, and a least-squares trend over the last QUEUE_YEARS years (all, if
    fewer; at least three years in all) rising by more than QUEUE_GROWTH of the last year's level a year.
    A queue settling to a steady size rises by ever less and is not flagged; a fitted trend, not year-on-year
    rises, so that the discrete-event engine's noise does not decide."""
    yearly = np.asarray(yearly, dtype=float)
    if len(yearly) < 3 or yearly[-1] < QUEUE_MIN_PEOPLE:
        return False
    years = min(QUEUE_YEARS, len(yearly) - 1)
    return _slope(yearly[-years - 1 :]) > QUEUE_GROWTH * yearly[-1]


def check_comparison(comparison: Any) -> list[str]:
    """Warnings about a scenario compared with its baseline (an economics.Comparison)."""
    head = comparison.headline
    spend = float(head["intervention_spend_gbp_discounted"].astype(float).mean())
    if spend < -SPEND_TOLERANCE_GBP:
        return [
            f"'{comparison.scenario}' spends £{-spend:,.0f} less on interventions (discounted) than the baseline "
            f"'{comparison.baseline}': were the baseline and the scenario given the wrong way round? "
            "(leftshift compare BASELINE SCENARIO)"
        ]
    return []


__all__ = ["check_comparison", "check_result", "check_scenario", "runaway", "yearly_mean"]
