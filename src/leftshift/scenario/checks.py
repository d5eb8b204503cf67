"""Checks across a scenario's keys: names that must exist, age bands that must tile the ages, and
time grids and growth that must stay within what the engines can compute.

Every problem is (key path as a tuple, message); paths name the file's own items (a split
transition is `transitions[i]` as written), so errors agree with `--set` and the report.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from leftshift.scenario.keypaths import KeyPathError, Loc, parse_path
from leftshift.scenario.model import (
    DEAD,
    LAST_YEAR,
    MAX_GROWTH_FACTOR,
    MAX_STEPS,
    MAX_VALUE,
    WEEKS_PER_YEAR,
    BudgetGrowth,
    Scenario,
    SplitTransition,
    band_bounds,
    band_width_years,
    split_key,
)

Found = Iterator[tuple[Loc, str]]


def scenario_problems(s: Scenario, names: bool = True) -> Found:
    """Every problem across fields. `names=False` skips the checks of names, references and key paths, for data that
    differs from an already validated scenario in numbers only (the thousands of points of an experiment's design)."""
    yield from _time_problems(s)
    if names:
        yield from _band_problems(list(s.age_bands))
        yield from _reference_problems(s)
        if s.uncertainty:
            yield from _uncertainty_problems(s)
    yield from _numeric_cross_problems(s)
    if s.risk_share:  # names of payers are checked by the model; the shares are numbers a design may vary
        yield from _risk_share_problems(s)


def _risk_share_problems(s: Scenario) -> Found:
    """A payer cannot share with itself, nor pass on more than all of its avoided cost."""
    given: dict[str, float] = {}
    for i, agreement in enumerate(s.risk_share):
        if agreement.from_payer == agreement.to:
            yield ("risk_share", i, "to"), f"'{agreement.to}' cannot share its avoided cost with itself"
        given[agreement.from_payer] = given.get(agreement.from_payer, 0.0) + agreement.share
        if given[agreement.from_payer] > 1 + 1e-9:
            yield ("risk_share", i, "share"), (f"the shares passed on by '{agreement.from_payer}' add up to "
                                               f"{given[agreement.from_payer]:g}, more than all of it (1)")  # fmt: skip


def _uncertainty_problems(s: Scenario) -> Found:
    """An uncertain parameter must name a number the scenario has, or sampling would silently skip it."""
    dump = s.model_dump(by_alias=True, exclude={"uncertainty", "correlations", "sources"})
    for name in s.uncertainty:
        try:
            loc = parse_path(name)
        except KeyPathError as exc:
            yield ("uncertainty", name), str(exc)
            continue
        node: Any = dump
        for part in loc:
            if isinstance(node, dict):
                node = next((v for k, v in node.items() if str(k) == part), None)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                node = None
        if isinstance(node, bool) or not isinstance(node, int | float):
            yield ("uncertainty", name), f"'{name}' is not a number in this scenario, so it cannot be uncertain"


def _unknown(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known {kind}s: {', '.join(known)}"
    return f"unknown {kind} '{name}'{hint}"


def _time_problems(s: Scenario) -> Found:
    """The run must fit the calendar and a bounded number of steps, and nothing may grow without bound."""
    end = s.start_year + math.ceil(s.horizon_years)
    if end > LAST_YEAR:
        yield ("horizon_years",), (f"the run would end in {end}, after {LAST_YEAR}; shorten horizon_years or start "
                                   "earlier")  # fmt: skip
    steps = s.horizon_years * max(1.0, WEEKS_PER_YEAR / s.time_step_weeks)
    if steps > MAX_STEPS:
        yield (
            ("time_step_weeks",),
            (
                f"{s.horizon_years:g} years in steps of {s.time_step_weeks:g} weeks is {steps:,.0f} steps; "
                f"at most {MAX_STEPS:,} are allowed (use a longer step)"
            ),
        )
    growths: list[tuple[Loc, float, float]] = [
        (("costs", "real_growth_per_year"), s.costs.real_growth_per_year, 1.0),
    ]
    growth_by_band, loc = s.demography.entrants_growth_per_year, ("demography", "entrants_growth_per_year")
    if isinstance(growth_by_band, dict):
        for band, growth in growth_by_band.items():
            growths.append(((*loc, band), growth, s.demography.entrants_per_year.get(band, 0.0)))
    else:
        growths.append((loc, growth_by_band, max(s.demography.entrants_per_year.values(), default=0.0)))
    for i, item in enumerate(s.transition_items):
        if item.trend_per_year:
            rate = item.rate
            growths.append((("transitions", i, "trend_per_year"), item.trend_per_year,
                            max(rate.values(), default=0.0) if isinstance(rate, dict) else rate))  # fmt: skip
    for i, iv in enumerate(s.interventions):
        if isinstance(iv.budget, BudgetGrowth):
            growths.append((("interventions", i, "budget", "growth"), iv.budget.growth, iv.budget.start))
    for name, cap in s.capacity.items():
        for key in ("places", "budget"):
            value = getattr(cap, key)
            if isinstance(value, BudgetGrowth):
                growths.append((("capacity", name, key, "growth"), value.growth, value.start))
    for loc, growth, start in growths:
        factor = math.exp(min(700.0, s.horizon_years * math.log1p(growth))) if growth > -1 else 0.0
        if factor > MAX_GROWTH_FACTOR or start * factor > MAX_VALUE:
            yield loc, (f"growth of {growth:g} a year multiplies the value {factor:.3g}-fold over "
                        f"{s.horizon_years:g} years; that is beyond anything the model can describe")  # fmt: skip


def _band_problems(bands: list[str]) -> Found:
    """Bands written as ages ('18-64', '85+') must be in order with no gaps or overlaps; only the last may be open."""
    bounds = [band_bounds(b) for b in bands]
    for i, (band, bound) in enumerate(zip(bands, bounds, strict=True)):
        if bound is None:
            continue
        low, high = bound
        if high < low:
            yield ("age_bands", i), f"age band '{band}' ends before it starts"
        elif math.isinf(high) and i < len(bands) - 1:
            yield ("age_bands", i), f"only the last age band may be open ('{band}'); bands run youngest first"
        if i == 0 or bounds[i - 1] is None:
            continue
        prev_band, (_, prev_high) = bands[i - 1], bounds[i - 1]  # type: ignore[misc]
        if math.isinf(prev_high) or low < prev_high + 1:
            what = "out of order" if low <= bounds[i - 1][0] else "overlaps"  # type: ignore[index]
            yield ("age_bands", i), f"age band '{band}' {what} with '{prev_band}'; list bands youngest first, each once"
        elif low > prev_high + 1:
            yield ("age_bands", i), (f"a gap between age bands '{prev_band}' and '{band}' (ages {prev_high + 1:g}"
                                     f" to {low - 1} are in no band)")  # fmt: skip


def _reference_problems(s: Scenario) -> Found:
    """Every cross-reference that does not resolve, and every name listed twice."""
    states, bands, all_states = list(s.states), list(s.age_bands), s.all_states
    for field, names in (("states", states), ("age_bands", bands)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            yield (field,), f"listed more than once: {', '.join(dupes)}"
    if DEAD in states:
        yield ("states",), "'dead' is implicit (the absorbing state); do not list it"

    def state(loc: Loc, name: str, allow_dead: bool = False) -> Found:
        if name not in (all_states if allow_dead else states):
            yield loc, _unknown("state", name, all_states if allow_dead else states)

    def band_keys(loc: Loc, values: Any) -> Found:
        if isinstance(values, dict):
            for band in values:
                if band not in bands:
                    yield (*loc, band), _unknown("age band", band, bands)

    def transition_key(loc: Loc, key: str) -> Found:
        pair = split_key(key)
        if pair is None:
            yield loc, f"'{key}' is not of the form 'from->to'"
            return
        yield from state(loc, pair[0])
        yield from state(loc, pair[1], allow_dead=True)

    for name, by_band in s.initial.items():
        yield from state(("initial", name), name)
        yield from band_keys(("initial", name), by_band)
    seen = yield from _transition_problems(s, state, band_keys)
    if s.emergency_state not in states and any(c for c in s.capacity.values() if c.waiting_acute_risk_multiplier != 1):
        yield ("emergency_state",), _unknown("state", s.emergency_state, states)
    for role, name in s.roles.model_dump().items():
        if name is not None:
            yield from state(("roles", role), name)
    if s.roles.hospital is not None and s.roles.hospital != s.emergency_state:
        yield ("roles", "hospital"), (f"roles.hospital '{s.roles.hospital}' and emergency_state "
                                      f"'{s.emergency_state}' name different states; give one of them")  # fmt: skip
    for name in s.home_states or []:
        yield from state(("home_states",), name)
    for name in s.capacity:
        yield from state(("capacity", name), name)
    for name in s.costs.per_person_week:
        yield from state(("costs", "per_person_week", name), name)
    for name in s.costs.fixed_share:
        yield from state(("costs", "fixed_share", name), name)
    for key in s.costs.per_transition:
        yield from transition_key(("costs", "per_transition", key), key)
        if split_key(key) and key not in seen:
            yield ("costs", "per_transition", key), f"there is no transition '{key}' for this cost to apply to"
    yield from _demography_problems(s, state, band_keys)
    yield from _origin_problems(s)
    yield from _segment_problems(s, seen, band_keys)
    names = [iv.name for iv in s.interventions]
    for i, iv in enumerate(s.interventions):
        loc: Loc = ("interventions", i)
        if names.count(iv.name) > 1:
            yield (*loc, "name"), f"intervention name '{iv.name}' is used twice"
        for j, name in enumerate(iv.eligible.states):
            yield from state((*loc, "eligible", "states", j), name)
        for j, band in enumerate(iv.eligible.age_bands or []):
            if band not in bands:
                yield (*loc, "eligible", "age_bands", j), _unknown("age band", band, bands)
        for name in iv.referrals:
            if name not in iv.eligible.states:
                listed = ", ".join(iv.eligible.states)
                yield (*loc, "referrals", name), f"referrals come from '{name}' but eligible.states is [{listed}]"
        for key in iv.effects:
            yield from transition_key((*loc, "effects", key), key)
            if split_key(key) and key not in seen:
                yield (*loc, "effects", key), f"there is no transition '{key}' for this effect to change"


def _transition_problems(s: Scenario, state: Any, band_keys: Any) -> Iterator[tuple[Loc, str]]:
    """Checks on the transitions as written; returns the set of `from->to` keys they define."""
    seen: set[str] = set()
    for i, item in enumerate(s.transition_items):
        yield from state(("transitions", i, "from"), item.from_state)
        yield from band_keys(("transitions", i, "rate"), item.rate)
        moves = item.moves if isinstance(item, SplitTransition) else [item]
        for t in moves:
            loc: Loc = ("transitions", i, "split", t.to) if isinstance(item, SplitTransition) else ("transitions", i)
            yield from state(loc if isinstance(item, SplitTransition) else (*loc, "to"), t.to, allow_dead=True)
            if t.from_state == t.to:
                yield loc, f"a transition from '{t.to}' to itself does nothing"
            key = t.key if t.origin is None else f"{t.key} (origin {t.origin})"
            if key in seen:
                yield loc, f"'{key}' is listed twice; give one rate (by band if needed)"
            seen.add(key)
            seen.add(t.key)
    return seen


def _origin_problems(s: Scenario) -> Found:
    """`remember_origin`, `origin:` on transitions, `initial_waiting`, `initial_with_origin` and
    `delayed_discharge` must fit the model."""
    states = list(s.states)
    pairs = {(t.from_state, t.to) for t in s.transitions if t.origin is None}
    for i, name in enumerate(s.remember_origin):
        if name not in states:
            yield ("remember_origin", i), _unknown("state", name, states)
    for i, item in enumerate(s.transition_items):
        if item.origin is None:
            continue
        loc: Loc = ("transitions", i, "origin")
        if item.from_state not in s.remember_origin:
            yield loc, (f"'{item.from_state}' does not remember where people came from; add it to remember_origin "
                        "or drop `origin`")  # fmt: skip
        elif item.origin not in states:
            yield loc, _unknown("state", item.origin, states)
        elif (item.origin, item.from_state) not in pairs:
            yield loc, f"no transition '{item.origin}->{item.from_state}' brings anyone from '{item.origin}'"
    for key, by_band in s.initial_waiting.items():
        loc = ("initial_waiting", key)
        pair = split_key(key)
        cap = s.capacity.get(pair[1]) if pair else None
        if pair is None:
            yield loc, f"'{key}' is not of the form 'from->to'"
        elif cap is None or cap.when_full != "wait" or pair not in pairs or pair[0] == DEAD:
            yield loc, (f"there is no queue '{key}' to start in: people wait only for a state with capacity and "
                        "when_full: wait, along a transition from->to listed without `origin`")  # fmt: skip
        if isinstance(by_band, dict):
            for band in by_band:
                if band not in s.age_bands:
                    yield (*loc, band), _unknown("age band", band, list(s.age_bands))
    remembered = {(t.origin, t.from_state) for t in s.transitions if t.origin is not None}
    for key, by_band in s.initial_with_origin.items():
        loc = ("initial_with_origin", key)
        pair = split_key(key)
        if pair is None:
            yield loc, f"'{key}' is not of the form 'origin->state'"
        elif pair not in remembered:
            yield loc, (f"nobody in '{pair[1]}' remembers coming from '{pair[0]}': the state must be in "
                        f"remember_origin and have transitions with `origin: {pair[0]}`")  # fmt: skip
        if isinstance(by_band, dict):
            for band in by_band:
                if band not in s.age_bands:
                    yield (*loc, band), _unknown("age band", band, list(s.age_bands))
    dd = s.delayed_discharge
    if dd is not None and dd.death_rate is not None:
        loc = ("delayed_discharge", "death_rate")
        if (s.emergency_state, DEAD) not in pairs:
            yield loc, (f"needs a transition '{s.emergency_state}->dead' (emergency_state to dead) whose rate it "
                        "replaces for people waiting there")  # fmt: skip
        if isinstance(dd.death_rate, dict):
            for band in dd.death_rate:
                if band not in s.age_bands:
                    yield (*loc, band), _unknown("age band", band, list(s.age_bands))
    if dd is not None and dd.deconditioning is not None:
        to, cap = dd.deconditioning.to, s.capacity.get(dd.deconditioning.to)
        if (s.emergency_state, to) not in pairs or cap is None or cap.when_full != "wait":
            yield (
                ("delayed_discharge", "deconditioning", "to"),
                (
                    f"people delayed in '{s.emergency_state}' can only come to need a service they can wait for there: "
                    f"'{to}' needs a transition '{s.emergency_state}->{to}' and capacity with when_full: wait"
                ),
            )


def _segment_problems(s: Scenario, seen: set[str], band_keys: Any) -> Found:
    """Segment names that resolve, shares that sum to 1 in every band, multipliers of transitions that exist."""
    segments = list(s.segments)

    def segment_pair(loc: Loc, key: str) -> Found:
        pair = split_key(key)
        if pair is None:
            yield loc, f"'{key}' is not of the form 'from->to' (two segments)"
            return
        for name in pair:
            if name not in segments:
                yield (
                    loc,
                    _unknown("segment", name, segments) if segments else "there are no `segments` to move between",
                )
        if pair[0] == pair[1]:
            yield loc, f"a move from segment '{pair[0]}' to itself does nothing"

    for name, seg in s.segments.items():
        loc: Loc = ("segments", name)
        if not name.strip() or "->" in name or "|" in name:
            yield loc, f"segment name '{name}' may not be empty or contain '->' or '|'"
        for field in ("initial_share", "entry_share"):
            yield from band_keys((*loc, field), getattr(seg, field))
        for key in seg.hazard_multipliers:
            if key not in seen:
                yield (*loc, "hazard_multipliers", key), f"there is no transition '{key}' for this multiplier to change"
    for key, by_band in s.segment_moves.items():
        yield from segment_pair(("segment_moves", key), key)
        yield from band_keys(("segment_moves", key), by_band)
    for i, iv in enumerate(s.interventions):
        for j, name in enumerate(iv.eligible.segments or []):
            if name not in segments:
                yield (
                    ("interventions", i, "eligible", "segments", j),
                    (_unknown("segment", name, segments) if segments else "there are no `segments` to be eligible by"),
                )
        for key in iv.moves_segments:
            yield from segment_pair(("interventions", i, "moves_segments", key), key)


def _numeric_cross_problems(s: Scenario) -> Found:
    """Rules across fields that a change of numbers alone can break (so checked at every point of a design)."""
    for name, share in s.costs.fixed_share.items():
        if name in s.capacity and s.capacity[name].bought and share > 0:
            yield ("costs", "fixed_share", name), (f"'{name}' buys its places with a budget, which is its fixed "
                                                   "cost; give its weekly cost the variable part only")  # fmt: skip
    demo = s.demography
    if demo.entry_state in s.capacity and any(v < 0 for v in demo.net_migration_per_year.values()):
        yield (("demography", "net_migration_per_year"),
               f"people cannot migrate out of '{demo.entry_state}': it is capacity-limited (capacity."
               f"{demo.entry_state}); make the entry state one without capacity")  # fmt: skip
    if not s.segments:
        return
    first = next(iter(s.segments))
    given_entry = any(seg.entry_share is not None for seg in s.segments.values())
    for field in ("initial_share", "entry_share") if given_entry else ("initial_share",):
        shares = [s.band_array(seg.share(entry=field == "entry_share")) for seg in s.segments.values()]
        totals = np.sum(shares, axis=0)
        off = [f"'{band}' {total:g}" for band, total in zip(s.age_bands, totals, strict=True) if abs(total - 1) > 1e-6]
        if off:
            yield ("segments", first, field), (f"the {field} of the segments must sum to 1 in every age band; "
                                               f"they sum to {', '.join(off)}")  # fmt: skip


def _demography_problems(s: Scenario, state: Any, band_keys: Any) -> Found:
    demo = s.demography
    if demo.entrants_per_year or demo.net_migration_per_year:
        yield from state(("demography", "entry_state"), demo.entry_state)
    yield from band_keys(("demography", "entrants_per_year"), demo.entrants_per_year)
    yield from band_keys(("demography", "entrants_growth_per_year"), demo.entrants_growth_per_year)
    yield from band_keys(("demography", "net_migration_per_year"), demo.net_migration_per_year)
    yield from band_keys(("demography", "ageing"), demo.ageing)
    if demo.ageing is True:
        for band in s.age_bands[:-1]:
            if band_width_years(band) is None:
                yield (
                    ("demography", "ageing"),
                    (
                        f"cannot read a width from age band '{band}'; give ageing rates by band "
                        '(e.g. {"18-64": 0.021}) or ageing: false'
                    ),
                )
