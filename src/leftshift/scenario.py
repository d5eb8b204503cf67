"""The validated, frozen description of one scenario.

Engines, metrics and reports read only these models: never YAML, never dicts. Everything a user
can get wrong is checked here, so that an engine can trust what it is handed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from leftshift.distributions import Correlation, Distribution

DEAD = "dead"
PAYERS = ("nhs", "council", "self_funder", "other")
Payer = Literal["nhs", "council", "self_funder", "other"]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
BandValues = NonNegative | dict[str, NonNegative]
DAYS_PER_YEAR = 365.25
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Transition(_Frozen):
    """An annual hazard per person from one state to another, by age band."""

    from_state: str = Field(alias="from")
    to: str
    rate: BandValues = Field(description="annual hazard per person; a number applies to every band")

    @property
    def key(self) -> str:
        return f"{self.from_state}->{self.to}"


class Capacity(_Frozen):
    """A limit on the number of people in a state, and what happens to demand when it is full."""

    places: NonNegative
    when_full: Literal["wait", "overflow", "lost"] = "wait"
    overflow_premium: NonNegative = Field(
        0.0, description="extra cost of an over-capacity person-week, as a share of the state's weekly cost"
    )
    waiting_acute_risk_multiplier: NonNegative = Field(
        1.0, description="multiplier on the emergency-admission hazard of people waiting outside hospital"
    )


class Costs(_Frozen):
    per_person_week: dict[str, dict[Payer, NonNegative]] = {}
    per_transition: dict[str, dict[Payer, NonNegative]] = {}
    real_growth_per_year: Annotated[float, Field(gt=-1, allow_inf_nan=False)] = 0.0


class Demography(_Frozen):
    """Ageing between bands and new entrants (people turning 18, net migration)."""

    ageing: bool | dict[str, NonNegative] = Field(
        True, description="true: derive from band widths; or an annual rate of moving up, by band"
    )
    entrants_per_year: dict[str, NonNegative] = {}
    entrants_growth_per_year: Annotated[float, Field(gt=-1, allow_inf_nan=False)] = 0.0
    entry_state: str = "community"


class BudgetGrowth(_Frozen):
    start: NonNegative
    growth: Annotated[float, Field(gt=-1, allow_inf_nan=False)] = 0.0


Budget = NonNegative | dict[int, NonNegative] | BudgetGrowth


class Eligibility(_Frozen):
    states: list[str] = ["community"]
    age_bands: list[str] | None = Field(None, description="absent = every band")


class RampUp(_Frozen):
    """Capacity follows funding as a first-order delay, faster down than up."""

    build_years: NonNegative = 1.0
    loss_years: NonNegative = 0.25
    initial_places: NonNegative = 0.0


class Intervention(_Frozen):
    name: Annotated[str, Field(min_length=1)]
    sector: Literal["prevention", "vcf"]
    budget: Budget
    payer: Payer = "council"
    cost_per_participant_year: Positive
    eligible: Eligibility = Eligibility()
    referrals: dict[str, NonNegative]
    programme_years: Positive = 1.0
    ramp_up: RampUp = RampUp()
    effects: dict[str, NonNegative] = {}
    effect_years_after: NonNegative = 0.0
    description: str = ""


class Scenario(_Frozen):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    start_year: int
    horizon_years: Annotated[float, Field(gt=0, le=200)]
    time_step_weeks: Annotated[float, Field(gt=0, le=52)] = 1.0
    seed: Annotated[int, Field(ge=0)] = 0
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.035
    price_base: str = ""
    age_bands: Annotated[list[str], Field(min_length=1)]
    states: Annotated[list[str], Field(min_length=1)]
    emergency_state: str = "acute"
    home_states: list[str] | None = Field(None, description="states counted as living at home")
    initial: dict[str, dict[str, NonNegative]]
    transitions: list[Transition]
    capacity: dict[str, Capacity] = {}
    costs: Costs = Costs()
    demography: Demography = Demography()
    interventions: list[Intervention] = []
    sources: dict[str, str] = Field({}, description="source note per key path")
    uncertainty: dict[str, Distribution] = Field(
        {}, description="distribution per key path: ordinary runs use its central value, --samples draws from it"
    )
    correlations: list[Correlation] = Field([], description="rank correlations between uncertain parameters")

    @model_validator(mode="before")
    @classmethod
    def _expand_splits(cls, data: Any) -> Any:
        """`{from: acute, rate: 29, split: {community: 0.5, home_care: 0.42, ...}}` is shorthand for one
        transition per destination with rate x share (e.g. discharge pathways); shares must sum to 1."""
        if not isinstance(data, dict) or not isinstance(data.get("transitions"), list):
            return data
        expanded: list[Any] = []
        problems = []
        for i, t in enumerate(data["transitions"]):
            if not (isinstance(t, dict) and "split" in t):
                expanded.append(t)
                continue
            split, rate = t.get("split"), t.get("rate")
            extra = set(t) - {"from", "rate", "split"}
            if extra or not isinstance(split, dict) or not split:
                problems.append(
                    (f"transitions[{i}]", "a split transition has exactly: from, rate, split {state: share}")
                )
                continue
            shares = [v for v in split.values() if isinstance(v, int | float) and v >= 0]
            if len(shares) != len(split) or abs(sum(shares) - 1) > 1e-6:
                total = sum(v for v in split.values() if isinstance(v, int | float))
                problems.append(
                    (f"transitions[{i}].split", f"shares must be numbers >= 0 that sum to 1 (they sum to {total:g})")
                )
                continue
            for to, share in split.items():
                scaled = {b: v * share for b, v in rate.items()} if isinstance(rate, dict) else (
                    rate * share if isinstance(rate, int | float) else rate)  # fmt: skip
                expanded.append({"from": t.get("from"), "to": to, "rate": scaled})
        if problems:
            raise PydanticCustomError(
                "scenario_reference", "{message}", {"message": problems[0][1], "problems": problems}
            )
        return {**data, "transitions": expanded}

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        problems = list(_reference_problems(self))
        if problems:
            raise PydanticCustomError(
                "scenario_reference", "{message}", {"message": problems[0][1], "problems": problems}
            )
        return self

    # Derived, read-only views engines use -------------------------------------------------------

    @property
    def all_states(self) -> list[str]:
        return [*self.states, DEAD]

    @property
    def at_home(self) -> list[str]:
        if self.home_states is not None:
            return list(self.home_states)
        return [s for s in ("community", "prevention", "home_care") if s in self.states]

    def band_array(self, values: BandValues) -> np.ndarray:
        """A per-band value (number or mapping) as an array over age bands; missing bands are 0."""
        if isinstance(values, dict):
            return np.array([values.get(b, 0.0) for b in self.age_bands], dtype=float)
        return np.full(len(self.age_bands), float(values))

    def budget_gbp(self, intervention: Intervention, year: int) -> float:
        """Budget in a calendar year: a listed year holds until the next listed one."""
        budget = intervention.budget
        if isinstance(budget, BudgetGrowth):
            return budget.start * (1 + budget.growth) ** (year - self.start_year)
        if isinstance(budget, dict):
            listed = [y for y in sorted(budget) if y <= year]
            return budget[listed[-1]] if listed else 0.0
        return float(budget)


def split_key(key: str) -> tuple[str, str] | None:
    """'a->b' -> ('a', 'b'); None if malformed."""
    parts = key.split("->")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return None
    return parts[0].strip(), parts[1].strip()


_BAND = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def band_width_years(band: str) -> float | None:
    """Width of a band such as '65-74' (10 years); None for an open band such as '85+'."""
    match = _BAND.match(band)
    if not match:
        return None
    low, high = int(match.group(1)), int(match.group(2))
    return float(high - low + 1) if high >= low else None


def _unknown(kind: str, name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known {kind}s: {', '.join(known)}"
    return f"unknown {kind} '{name}'{hint}"


def _reference_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Every cross-reference that does not resolve, as (key path, message)."""
    states, bands, all_states = list(s.states), list(s.age_bands), s.all_states
    for field, names in (("states", states), ("age_bands", bands)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            yield field, f"listed more than once: {', '.join(dupes)}"
    if DEAD in states:
        yield "states", "'dead' is implicit (the absorbing state); do not list it"

    def state(path: str, name: str, allow_dead: bool = False) -> Iterator[tuple[str, str]]:
        if name not in (all_states if allow_dead else states):
            yield path, _unknown("state", name, all_states if allow_dead else states)

    def band_keys(path: str, values: Any) -> Iterator[tuple[str, str]]:
        if isinstance(values, dict):
            for band in values:
                if band not in bands:
                    yield f"{path}.{band}", _unknown("age band", band, bands)

    def transition_key(path: str, key: str) -> Iterator[tuple[str, str]]:
        pair = split_key(key)
        if pair is None:
            yield path, f"'{key}' is not of the form 'from->to'"
            return
        yield from state(path, pair[0])
        yield from state(path, pair[1], allow_dead=True)

    for name, by_band in s.initial.items():
        yield from state(f"initial.{name}", name)
        yield from band_keys(f"initial.{name}", by_band)
    seen: set[str] = set()
    for i, t in enumerate(s.transitions):
        yield from state(f"transitions[{i}].from", t.from_state)
        yield from state(f"transitions[{i}].to", t.to, allow_dead=True)
        if t.from_state == t.to:
            yield f"transitions[{i}]", f"a transition from '{t.to}' to itself does nothing"
        if t.key in seen:
            yield f"transitions[{i}]", f"'{t.key}' is listed twice; give one rate (by band if needed)"
        seen.add(t.key)
        yield from band_keys(f"transitions[{i}].rate", t.rate)
    if s.emergency_state not in states and any(c for c in s.capacity.values() if c.waiting_acute_risk_multiplier != 1):
        yield "emergency_state", _unknown("state", s.emergency_state, states)
    for name in s.home_states or []:
        yield from state("home_states", name)
    for name in s.capacity:
        yield from state(f"capacity.{name}", name)
    for name in s.costs.per_person_week:
        yield from state(f"costs.per_person_week.{name}", name)
    for key in s.costs.per_transition:
        yield from transition_key(f"costs.per_transition.{key}", key)
        if split_key(key) and key not in seen:
            yield f"costs.per_transition.{key}", f"there is no transition '{key}' for this cost to apply to"
    demo = s.demography
    if demo.entrants_per_year:
        yield from state("demography.entry_state", demo.entry_state)
    yield from band_keys("demography.entrants_per_year", demo.entrants_per_year)
    yield from band_keys("demography.ageing", demo.ageing)
    if demo.ageing is True:
        for band in bands[:-1]:
            if band_width_years(band) is None:
                yield (
                    "demography.ageing",
                    (
                        f"cannot read a width from age band '{band}'; give ageing rates by band "
                        '(e.g. {"18-64": 0.021}) or ageing: false'
                    ),
                )
    names = [iv.name for iv in s.interventions]
    for i, iv in enumerate(s.interventions):
        path = f"interventions[{i}]"
        if names.count(iv.name) > 1:
            yield f"{path}.name", f"intervention name '{iv.name}' is used twice"
        for j, name in enumerate(iv.eligible.states):
            yield from state(f"{path}.eligible.states[{j}]", name)
        for j, band in enumerate(iv.eligible.age_bands or []):
            if band not in bands:
                yield f"{path}.eligible.age_bands[{j}]", _unknown("age band", band, bands)
        for name in iv.referrals:
            if name not in iv.eligible.states:
                listed = ", ".join(iv.eligible.states)
                yield f"{path}.referrals.{name}", f"referrals come from '{name}' but eligible.states is [{listed}]"
        for key in iv.effects:
            yield from transition_key(f"{path}.effects.{key}", key)
            if split_key(key) and key not in seen:
                yield f"{path}.effects.{key}", f"there is no transition '{key}' for this effect to change"
