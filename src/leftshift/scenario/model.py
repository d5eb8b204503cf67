"""The validated, frozen description of one scenario.

Engines, metrics and reports read only these models: never YAML, never dicts. Everything a user
can get wrong is checked here, so that an engine can trust what it is handed.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leftshift.scenario.distributions import Correlation, Distribution
from leftshift.scenario.values import Real, Whole

DEAD = "dead"
PAYERS = ("nhs", "council", "self_funder", "other")
Payer = Literal["nhs", "council", "self_funder", "other"]
MAX_VALUE = 1e15
"""No count, rate, cost or budget may exceed this: larger than any real one, and small enough that the
engines' sums stay finite."""
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Calendar years a scenario may cover (its start_year to its last simulated year, budget years)."""
MAX_STEPS = 200_000
"""Steps of the stock-flow engine in one run (200 years of weekly steps are 10,436)."""
MAX_GROWTH_FACTOR = 1e9
"""How much a growing budget, cost or number of entrants may multiply over the horizon."""
NonNegative = Annotated[Real, Field(ge=0, le=MAX_VALUE)]
Positive = Annotated[Real, Field(gt=0, le=MAX_VALUE)]
Share = Annotated[Real, Field(ge=0, le=1)]
Growth = Annotated[Real, Field(gt=-1, le=100)]
Year = Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
BandValues = NonNegative | dict[str, NonNegative]
DAYS_PER_YEAR = 365.25
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    omit_when_default: ClassVar[tuple[str, ...]] = ()
    """Fields left out of a dump (the resolved scenario, the scenario's hash) while they hold their default:
    keys added to the format later, so that files that do not use them resolve and hash as they did."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self.omit_when_default:
            if isinstance(data, dict) and getattr(self, name) == type(self).model_fields[name].default:
                data.pop(name, None)
        return data


class Transition(_Frozen):
    """An annual hazard per person from one state to another, by age band."""

    omit_when_default = ("origin", "trend_per_year")

    from_state: str = Field(alias="from")
    to: str
    rate: BandValues = Field(description="annual hazard per person; a number applies to every band")
    origin: str | None = Field(
        None, description="only for those in `from` who came from this state (a state listed in remember_origin)"
    )
    trend_per_year: Growth = Field(
        0.0, description="the rate is multiplied by (1 + trend) ** t, t years from the start (0: constant)"
    )

    @property
    def key(self) -> str:
        return f"{self.from_state}->{self.to}"


class SplitTransition(_Frozen):
    """Shorthand for one transition per destination with rate x share (e.g. discharge pathways).

    Kept as written, so that `transitions[i]` in errors, `--set` and reports means the file's item i.
    """

    omit_when_default = ("origin", "trend_per_year")

    from_state: str = Field(alias="from")
    rate: BandValues = Field(description="total annual hazard out of `from` by these routes")
    split: dict[str, Share] = Field(description="share of the moves going to each state; the shares sum to 1")
    origin: str | None = Field(None, description="only for those in `from` who came from this state")
    trend_per_year: Growth = Field(0.0, description="trend of the total rate, as for a single transition")

    @field_validator("split")
    @classmethod
    def _sums_to_one(cls, split: dict[str, float]) -> dict[str, float]:
        if not split or abs(sum(split.values()) - 1) > 1e-6:
            raise PydanticCustomError("split_sum", "shares must be numbers >= 0 that sum to 1 (they sum to {total})",
                                      {"total": f"{sum(split.values()):g}"})  # fmt: skip
        return split

    @cached_property
    def moves(self) -> tuple[Transition, ...]:
        """One transition per destination; cached: an experiment's points share the items they do not vary."""
        rate = self.rate
        return tuple(
            Transition(from_state=self.from_state, to=to, origin=self.origin, trend_per_year=self.trend_per_year,
                       rate={b: v * share for b, v in rate.items()} if isinstance(rate, dict) else rate * share)
            for to, share in self.split.items()
        )  # fmt: skip


NUMBERS_ONLY = "numbers_only"  # validation context key: data that differs from a valid scenario's in numbers only


def _item_kind(item: Any) -> str:
    return "(split)" if (isinstance(item, dict) and "split" in item) or isinstance(item, SplitTransition) else "(move)"


TransitionItem = Annotated[
    Annotated[Transition, Tag("(move)")] | Annotated[SplitTransition, Tag("(split)")], Discriminator(_item_kind)
]


class BudgetGrowth(_Frozen):
    start: NonNegative
    growth: Growth = 0.0


Budget = NonNegative | dict[Year, NonNegative] | BudgetGrowth


def by_year(value: Budget, start_year: int, year: int) -> float:
    """A number, a per-year mapping (a listed year holds until the next; 0 before the first) or
    {start, growth} (start x (1 + growth)^(year - start_year)) in a calendar year."""
    if isinstance(value, BudgetGrowth):
        return value.start * (1 + value.growth) ** (year - start_year)
    if isinstance(value, dict):
        listed = [y for y in sorted(value) if y <= year]
        return value[listed[-1]] if listed else 0.0
    return float(value)


class Capacity(_Frozen):
    """A limit on the number of people in a state, and what happens to demand when it is full.

    The places are either given (`places`: a number, by year, or growing) or bought from a budget
    (`budget` / `cost_per_place_year`, built and lost with first-order delays, as programme places)."""

    omit_when_default = (
        "budget", "cost_per_place_year", "build_years", "loss_years", "initial_places", "payer", "between_years"
    )  # fmt: skip

    places: Budget | None = Field(None, description="places: a number, {year: places} or {start, growth}")
    between_years: Literal["hold", "linear"] = Field(
        "hold", description="given places between years: hold each year's number, or change linearly to the next"
    )
    budget: Budget | None = Field(None, description="GBP a year buying places (instead of `places`)")
    cost_per_place_year: Positive | None = Field(None, description="GBP to keep one place open for a year")
    build_years: NonNegative = 1.0
    loss_years: NonNegative = 0.25
    initial_places: NonNegative | None = Field(None, description="places at the start; default: the first year's")
    payer: Payer | None = Field(None, description="who pays the budget; default: the payer of the weekly cost")
    when_full: Literal["wait", "overflow", "lost"] = "wait"
    overflow_premium: NonNegative = Field(
        0.0, description="extra cost of an over-capacity person-week, as a share of the state's weekly cost"
    )
    waiting_acute_risk_multiplier: NonNegative = Field(
        1.0, description="multiplier on the emergency-admission hazard of people waiting outside hospital"
    )

    @model_validator(mode="after")
    def _places_or_budget(self) -> Capacity:
        if (self.places is None) == (self.budget is None):
            raise PydanticCustomError("places_or_budget", "give exactly one of 'places' or 'budget'")
        if self.budget is not None and self.cost_per_place_year is None:
            raise PydanticCustomError("budget_cost", "'budget' needs 'cost_per_place_year' (GBP a place-year)")
        unset = {"cost_per_place_year": None, "initial_places": None, "payer": None, "build_years": 1.0,
                 "loss_years": 0.25}  # fmt: skip
        if self.budget is not None and self.between_years != "hold":
            raise PydanticCustomError("between_years", "'between_years' applies to given 'places', not to a 'budget'")
        if self.places is not None and (given := [k for k, v in unset.items() if getattr(self, k) != v]):
            raise PydanticCustomError(
                "places_bought_keys", "'{keys}' only apply to places bought with 'budget'", {"keys": "', '".join(given)}
            )
        return self

    @property
    def bought(self) -> bool:
        return self.budget is not None


class Costs(_Frozen):
    omit_when_default = ("fixed_share",)

    per_person_week: dict[str, dict[Payer, NonNegative]] = {}
    per_transition: dict[str, dict[Payer, NonNegative]] = {}
    real_growth_per_year: Growth = 0.0
    fixed_share: dict[str, Share] = Field(
        {}, description="share of a state's weekly cost that is fixed (saved only when places close); default 0"
    )


class Demography(_Frozen):
    """Ageing between bands and new entrants (people turning 18, net migration)."""

    ageing: bool | dict[str, NonNegative] = Field(
        True, description="true: derive from band widths; or an annual rate of moving up, by band"
    )
    entrants_per_year: dict[str, NonNegative] = {}
    entrants_growth_per_year: Growth | dict[str, Growth] = Field(
        0.0, description="growth of the entrants a year, compounding; a number for every band or a mapping by band"
    )
    entry_state: str = "community"
    net_migration_per_year: dict[str, Annotated[Real, Field(ge=-MAX_VALUE, le=MAX_VALUE)]] = Field(
        {}, description="people a year moving in (positive) or out (negative) by band, into or out of entry_state"
    )

    omit_when_default = ("net_migration_per_year",)

    def growth_of(self, band: str) -> float:
        """Entrants' growth a year in a band (a band left out of a mapping: 0)."""
        growth = self.entrants_growth_per_year
        return float(growth.get(band, 0.0)) if isinstance(growth, dict) else float(growth)


class Roles(_Frozen):
    """Which of the scenario's states play the parts the headline outcomes count (emergency admissions and bed
    days, care home admissions, home care admissions and clients). Unset: `emergency_state` for the hospital,
    `residential` for the care home, `home_care` for home care."""

    hospital: str | None = Field(None, description="the hospital state (emergency_state follows it)")
    care_home: str | None = Field(None, description="the care home state (care home admissions)")
    home_care: str | None = Field(None, description="the home care state (home care admissions and clients)")


class Eligibility(_Frozen):
    omit_when_default = ("segments",)

    states: list[str] = ["community"]
    age_bands: list[str] | None = Field(None, description="absent = every band")
    segments: list[str] | None = Field(None, description="absent = every segment")


class RampUp(_Frozen):
    """Capacity follows funding as a first-order delay, faster down than up."""

    build_years: NonNegative = 1.0
    loss_years: NonNegative = 0.25
    initial_places: NonNegative = 0.0


class Intervention(_Frozen):
    omit_when_default = ("moves_segments",)

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
    moves_segments: dict[str, NonNegative] = Field(
        {}, description="extra annual rate per participant of moving 'from->to' between segments"
    )


ShareValues = Share | dict[str, Share]


class Segment(_Frozen):
    """One level of a second risk dimension beside age (e.g. socially isolated): the share of each age band
    in it, and how much more (or less) likely its people are to make each transition."""

    omit_when_default = ("entry_share", "hazard_multipliers")

    initial_share: ShareValues = Field(
        description="share of each band's people in this segment at the start; a number or by band (a band left out: 0)"
    )
    entry_share: ShareValues | None = Field(
        None, description="share of entrants and migrants joining this segment; absent: initial_share"
    )
    hazard_multipliers: dict[str, NonNegative] = Field(
        {}, description="'from->to': that transition's rate is multiplied by this for people in this segment"
    )

    def share(self, entry: bool = False) -> ShareValues:
        """Its initial share, or with `entry` the share of entrants and migrants (the initial one unless given)."""
        return self.entry_share if entry and self.entry_share is not None else self.initial_share


class Deconditioning(_Frozen):
    """The harm of a long wait in hospital: each week, a share of those waiting come to need `to` instead."""

    to: str = Field(
        description="the service they then need (a capacity-limited state people wait for), e.g. residential"
    )
    extra_share_per_week: Annotated[Real, Field(ge=0, lt=1)] = Field(
        description="share of the people waiting (for anything else) who come to need `to` in each week of waiting"
    )


class DelayedDischarge(_Frozen):
    """People waiting in `emergency_state` for a full service are medically fit: their own hazards."""

    death_rate: BandValues | None = Field(
        None, description="annual death hazard of people waiting in hospital; absent: the hospital's own"
    )
    deconditioning: Deconditioning | None = Field(None, description="absent: waiting does no harm")


class RiskShare(_Frozen):
    """A risk-share agreement between payers: `share` of the `from` payer's avoided downstream cost (and so of its
    savings, or of its extra cost in a year the scenario costs it more) passes to the `to` payer, year by year."""

    from_payer: Payer = Field(alias="from", description="the payer whose avoided downstream cost is shared")
    to: Payer = Field(description="the payer it passes to")
    share: Share = Field(description="the share of it that passes, 0 to 1")


class Scenario(_Frozen):
    omit_when_default = ("discounting", "remember_origin", "initial_waiting", "initial_with_origin",
                         "delayed_discharge", "roles", "segments", "segment_moves", "risk_share")  # fmt: skip

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    start_year: Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    horizon_years: Annotated[Real, Field(gt=0, le=200)]
    time_step_weeks: Annotated[Real, Field(gt=0, le=52)] = 1.0
    seed: Annotated[Whole, Field(ge=0, lt=2**63)] = 0
    discount_rate: Annotated[Real, Field(ge=0, lt=1)] = 0.035
    discounting: Literal["continuous", "annual"] = Field(
        "continuous", description="continuous: (1+r)^-t at mid-step; annual (Green Book tables): (1+r)^-floor(t)"
    )
    price_base: str = ""
    age_bands: Annotated[list[str], Field(min_length=1)]
    states: Annotated[list[str], Field(min_length=1)]
    emergency_state: str = Field("acute", description="the hospital state; defaults to roles.hospital when set")
    roles: Roles = Roles()
    home_states: list[str] | None = Field(None, description="states counted as living at home")
    initial: dict[str, BandValues] = Field(description="people by state and band; a number is that many in every band")
    transition_items: list[TransitionItem] = Field(alias="transitions", description="as written (split items kept)")
    capacity: dict[str, Capacity] = {}
    remember_origin: list[str] = Field(
        [], description="states whose occupants remember the state they came from (transitions may give `origin`)"
    )
    initial_waiting: dict[str, BandValues] = Field(
        {}, description="people waiting at the start, by queue 'from->to' and band"
    )
    initial_with_origin: dict[str, BandValues] = Field(
        {}, description="people at the start who remember where they came from, by 'origin->state' and band"
    )
    delayed_discharge: DelayedDischarge | None = Field(
        None, description="hazards of people waiting in emergency_state for a full service"
    )
    segments: dict[str, Segment] = Field(
        {}, description="a second risk dimension beside age (e.g. isolated / connected); absent: none"
    )
    segment_moves: dict[str, BandValues] = Field(
        {}, description="annual rate per person of moving 'from->to' between segments; a number or by band"
    )
    costs: Costs = Costs()
    demography: Demography = Demography()
    interventions: list[Intervention] = []
    risk_share: list[RiskShare] = Field(
        [], description="risk-share agreements: a share of one payer's avoided downstream cost passes to another"
    )
    sources: dict[str, str] = Field({}, description="source note per key path")
    uncertainty: dict[str, Distribution] = Field(
        {}, description="distribution per key path: ordinary runs use its central value, --samples draws from it"
    )
    correlations: list[Correlation] = Field([], description="rank correlations between uncertain parameters")

    @model_validator(mode="before")
    @classmethod
    def _emergency_follows_roles(cls, data: Any) -> Any:
        """emergency_state defaults to roles.hospital (checks.py refuses the two naming different states)."""
        if isinstance(data, dict) and "emergency_state" not in data:
            roles = data.get("roles")
            hospital = roles.get("hospital") if isinstance(roles, dict) else getattr(roles, "hospital", None)
            if isinstance(hospital, str):
                data = {**data, "emergency_state": hospital}
        return data

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> Scenario:
        from leftshift.scenario.checks import scenario_problems

        names = not (info.context and info.context.get(NUMBERS_ONLY))
        problems = list(scenario_problems(self, names=names))
        if problems:
            raise PydanticCustomError(
                "scenario_reference", "{message}", {"message": problems[0][1], "problems": problems}
            )
        return self

    # Derived, read-only views engines use -------------------------------------------------------

    @cached_property
    def transitions(self) -> list[Transition]:
        """Every move, split items expanded (cached: engines and checks read it thousands of times; do not mutate)."""
        return [t for item in self.transition_items for t in (item.moves if isinstance(item, SplitTransition)
                                                                else (item,))]  # fmt: skip

    @property
    def all_states(self) -> list[str]:
        return [*self.states, DEAD]

    @property
    def at_home(self) -> list[str]:
        if self.home_states is not None:
            return list(self.home_states)
        return [s for s in ("community", "prevention", self.home_care_state) if s in self.states]

    @property
    def hospital_state(self) -> str:
        """The state in the hospital role: `roles.hospital`, else `emergency_state`."""
        return self.roles.hospital or self.emergency_state

    @property
    def care_home_state(self) -> str:
        """The state in the care home role: `roles.care_home`, else `residential`."""
        return self.roles.care_home or "residential"

    @property
    def home_care_state(self) -> str:
        """The state in the home care role: `roles.home_care`, else `home_care`."""
        return self.roles.home_care or "home_care"

    def band_array(self, values: BandValues) -> np.ndarray:
        """A per-band value (number or mapping) as an array over age bands; missing bands are 0."""
        if isinstance(values, dict):
            return np.array([values.get(b, 0.0) for b in self.age_bands], dtype=float)
        return np.full(len(self.age_bands), float(values))

    def budget_gbp(self, intervention: Intervention, year: int) -> float:
        """Budget in a calendar year: a listed year holds until the next listed one."""
        return by_year(intervention.budget, self.start_year, year)

    def places_in(self, state: str, year: int) -> float:
        """Places given for a capacity-limited state in a calendar year (0 for places bought with a budget)."""
        cap = self.capacity[state]
        return 0.0 if cap.places is None else by_year(cap.places, self.start_year, year)

    def place_budget_gbp(self, state: str, year: int) -> float:
        """Budget buying a state's places in a calendar year (0 when its places are given)."""
        cap = self.capacity[state]
        return 0.0 if cap.budget is None else by_year(cap.budget, self.start_year, year)

    def place_payer(self, state: str) -> str:
        """Who pays for a state's bought places: `payer`, else the payer of most of its weekly cost, else council."""
        cap = self.capacity[state]
        if cap.payer is not None:
            return cap.payer
        weekly = self.costs.per_person_week.get(state, {})
        return max(weekly, key=lambda who: weekly[who]) if any(weekly.values()) else "council"


def split_key(key: str) -> tuple[str, str] | None:
    """'a->b' -> ('a', 'b'); None if malformed."""
    parts = key.split("->")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return None
    return parts[0].strip(), parts[1].strip()


_BAND = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_OPEN_BAND = re.compile(r"^\s*(\d+)\s*\+\s*$")


def band_width_years(band: str) -> float | None:
    """Width of a band such as '65-74' (10 years); None for an open band such as '85+'."""
    match = _BAND.match(band)
    if not match:
        return None
    low, high = int(match.group(1)), int(match.group(2))
    return float(high - low + 1) if high >= low else None


def band_bounds(band: str) -> tuple[int, float] | None:
    """(lowest age, highest age) of '65-74' (65, 74) or '85+' (85, inf); None for other names."""
    match = _BAND.match(band)
    if match:
        return int(match.group(1)), float(match.group(2))
    match = _OPEN_BAND.match(band)
    return (int(match.group(1)), math.inf) if match else None
