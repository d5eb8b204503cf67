"""Every measure leftshift reports, in one registry: its label, unit, which way is better, and what it counts.

Tables, terminal lines, charts and reports used to keep their own labels, units and guesses at "which way is
better", and they drifted apart ("Avoided downstream cost" in one place, "Avoided cost of care and hospital"
in another). They all read this registry instead, so a figure is named, measured and judged the same wherever a
director meets it. The names are the column names of the files (`summary.json`, `comparison.csv`, sweep and
uncertainty tables), so a name here is a promise about a file: never rename one.

`format_number` is here for the same reason: one way of writing a number of each unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from leftshift.scenario.model import PAYERS

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Measure:
    """A measure as a reader meets it: `label` is plain English (no markup), `unit` one of people, days,
    person-years, GBP, ratio, year, share; `better` says whether a higher or a lower value is the better one."""

    name: str
    label: str
    unit: str
    better: Direction
    description: str

    @property
    def higher_is_better(self) -> bool:
        return self.better == "higher"


PAYER_LABELS = {"nhs": "NHS", "council": "Council", "self_funder": "Self-funders", "other": "Other",
                "all": "All payers"}  # fmt: skip
"""Who pays, as a reader names them (`all` is the whole system)."""

EXTRA_SPEND = {
    "intervention_spend_gbp": "extra_intervention_spend_gbp",
    "intervention_spend_gbp_discounted": "extra_intervention_spend_gbp_discounted",
}
"""A comparison's spend columns hold the spend above the baseline's; tables that also hold the scenario's own
spend (sweeps, uncertainty) name them so, and `comparison_measure` reads them so."""


def _m(name: str, label: str, unit: str, better: Direction, description: str) -> Measure:
    return Measure(name, label, unit, better, description)


def _discounted(m: Measure) -> Measure:
    """The same money, discounted to present value at the scenario's rate (Green Book 3.5% by default)."""
    return Measure(f"{m.name}_discounted", f"{m.label} (discounted)", m.unit, m.better,
                   f"{m.description}, discounted to present value")  # fmt: skip


def _with_discounted(*measures: Measure) -> list[Measure]:
    return [x for m in measures for x in (m, _discounted(m))]


RUN_MEASURES = [
    _m("emergency_admissions", "Emergency admissions", "people", "lower",
       "Emergency admissions to hospital over the horizon, from home, care and queues"),
    _m("care_home_admissions", "Care home admissions", "people", "lower", "Admissions to a care home place"),
    _m("home_care_admissions", "Home care starts", "people", "lower", "People starting home care"),
    _m("acute_bed_days", "Acute bed days", "days", "lower", "Days in a hospital bed, delayed discharges included"),
    _m("delayed_discharge_bed_days", "Delayed-discharge bed days", "days", "lower",
       "Days in hospital waiting for a place to go to"),
    _m("waiting_at_home_person_years", "Time waiting at home for care", "person-years", "lower",
       "Time people spent at home waiting for home care or a care home place"),
    _m("person_years_at_home", "Person-years lived at home", "person-years", "higher",
       "Time lived at home (independently or with home care), waits at home included"),
    _m("deaths", "Deaths", "people", "lower", "Deaths over the horizon"),
    _m("population_end", "Population at the end", "people", "higher", "People alive at the horizon"),
    _m("participant_years", "Person-years taking part in programmes", "person-years", "higher",
       "Time people spent taking part in a prevention or VCF programme"),
    _m("programme_starts", "People starting a programme", "people", "higher", "Referrals that found a place"),
    _m("referrals_turned_away", "Referrals turned away (no place)", "people", "lower",
       "Referrals to a programme that found no place"),
    *_with_discounted(
        _m("intervention_spend_gbp", "Intervention spend", "GBP", "lower", "Spend on programmes"),
        _m("downstream_cost_gbp", "Cost of care and hospital", "GBP", "lower",
           "Cost of everything but the programmes: hospital, care, moves and queues"),
        _m("total_cost_gbp", "Total cost", "GBP", "lower", "Cost of care and hospital plus programme spend"),
    ),
]  # fmt: skip
"""What one run of a scenario totals over its horizon, in the order of `analysis.metrics.compute`."""

COMPARISON_MEASURES = [
    _m("emergency_admissions_avoided", "Emergency admissions avoided", "people", "higher",
       "Baseline emergency admissions minus the scenario's"),
    _m("acute_bed_days_avoided", "Acute bed days avoided", "days", "higher",
       "Baseline acute bed days minus the scenario's"),
    _m("care_home_admissions_avoided", "Care home admissions avoided", "people", "higher",
       "Baseline care home admissions minus the scenario's"),
    _m("delayed_discharge_bed_days_avoided", "Delayed-discharge days avoided", "days", "higher",
       "Baseline delayed-discharge bed days minus the scenario's"),
    _m("person_years_at_home_gained", "Person-years at home gained", "person-years", "higher",
       "The scenario's person-years at home minus the baseline's"),
    *_with_discounted(
        _m("extra_intervention_spend_gbp", "Extra intervention spend", "GBP", "lower",
           "The scenario's programme spend minus the baseline's"),
        _m("avoided_downstream_cost_gbp", "Avoided cost of care and hospital", "GBP", "higher",
           "The baseline's cost of care and hospital minus the scenario's"),
    ),
    _m("net_savings_gbp", "Net savings (undiscounted)", "GBP", "higher",
       "Avoided cost of care and hospital minus extra intervention spend"),
    _m("net_savings_gbp_discounted", "Net savings (discounted)", "GBP", "higher",
       "Avoided cost of care and hospital minus extra intervention spend, discounted to present value"),
    *(_m(f"net_savings_gbp_discounted_{p}", f"Net savings to {PAYER_LABELS[p]} (discounted)", "GBP", "higher",
         f"Net savings that land with {PAYER_LABELS[p]}, discounted") for p in PAYERS),
    *(_m(f"net_savings_gbp_discounted_{p}_before_risk_share", f"Net savings to {PAYER_LABELS[p]} before risk "
         "sharing (discounted)", "GBP", "higher", f"Net savings that would land with {PAYER_LABELS[p]} without the "
         "scenario's risk_share agreements, discounted") for p in PAYERS),
    _m("roi", "Return on investment", "ratio", "higher",
       "Net savings per pound of extra intervention spend, discounted"),
    _m("payback_year", "Payback year", "year", "lower",
       "The first year from which cumulative discounted net savings stay at or above zero"),
    _m("payback_reversed", "Paid back, then fell back", "share", "lower",
       "1 when cumulative net savings were at or above zero and later fell below, else 0"),
    _m("cash_releasing_savings_gbp_discounted", "Cash-releasing savings (discounted)", "GBP", "higher",
       "Avoided variable cost plus the fixed cost of places actually closed (and place budgets cut), discounted"),
    *(_m(f"cash_releasing_savings_gbp_discounted_{p}", f"Cash-releasing savings to {PAYER_LABELS[p]} (discounted)",
         "GBP", "higher", f"Cash-releasing savings that land with {PAYER_LABELS[p]}, discounted") for p in PAYERS),
    _m("capacity_freed_gbp_discounted", "Capacity freed (discounted)", "GBP", "higher",
       "Fixed cost (costs.fixed_share) of avoided person-weeks not matched by closed places: capacity for other "
       "use, not cash; discounted"),
    *(_m(f"capacity_freed_gbp_discounted_{p}", f"Capacity freed for {PAYER_LABELS[p]} (discounted)", "GBP",
         "higher", f"Capacity freed that lands with {PAYER_LABELS[p]}, discounted") for p in PAYERS),
]  # fmt: skip
"""A scenario against its baseline (`analysis.economics.compare(...).headline`, comparison.csv)."""

SERVICE_GROUPS = {
    "hospital_beds": "Hospital beds",
    "delayed_discharges": "Delayed discharges",
    "emergency_admissions": "Emergency admissions (one-off costs)",
    "care_homes": "Care homes",
    "home_care": "Home care",
    "waiting_at_home": "Waiting at home for care",
    "other_services": "Other services",
}
"""The services avoided cost is split into (`analysis.breakdown`), in the order a waterfall shows them: time in
hospital, waiting in hospital for care (delayed discharges), the one-off costs of moves into hospital (e.g. A&E),
care homes, home care, waiting at home for care, and everything else."""

BREAKDOWN_MEASURES = [
    *(_m(f"avoided_downstream_cost_gbp_discounted_{g}", f"Avoided cost: {name[0].lower()}{name[1:]} (discounted)",
         "GBP", "higher", f"The baseline's discounted cost of {name[0].lower()}{name[1:]} minus the scenario's")
      for g, name in SERVICE_GROUPS.items()),
    _m("spend_per_emergency_admission_avoided_gbp_discounted", "Extra spend per emergency admission avoided", "GBP",
       "lower", "Extra intervention spend (discounted) divided by the emergency admissions avoided"),
    _m("net_cost_per_emergency_admission_avoided_gbp_discounted", "Net cost per emergency admission avoided", "GBP",
       "lower", "Minus the net savings (discounted) divided by the emergency admissions avoided; negative: it saves"),
    _m("net_savings_per_emergency_admission_avoided_gbp_discounted", "Net saving per emergency admission avoided",
       "GBP", "higher", "The net savings (discounted) divided by the emergency admissions avoided; negative: each "
       "admission avoided costs money (see the net cost per emergency admission avoided)"),
    _m("extra_person_years_alive", "Extra person-years alive", "person-years", "higher",
       "The scenario's person-years alive minus the baseline's: people kept alive longer"),
    _m("extra_survival_cost_gbp_discounted", "Cost of care in extra years alive (discounted)", "GBP", "lower",
       "Extra person-years alive (by year and age band) times the baseline's cost of care and hospital per "
       "person-year alive; part of the change in the cost of care and hospital, not in addition to it"),
]  # fmt: skip
"""Why a scenario saves what it does (`analysis.breakdown`; rows of comparison.csv after the headline)."""

SERIES_MEASURES = [
    _m("cumulative_net_savings_gbp_discounted", "Cumulative net savings (discounted)", "GBP", "higher",
       "Discounted net savings from the start to the end of each year"),
    _m("home_care_clients", "People receiving home care", "people", "lower",
       "People in home care, on average over the year"),
    _m("people_waiting", "People waiting for care", "people", "lower",
       "People waiting for a service (in hospital or at home), on average over the year"),
]  # fmt: skip
"""Figures that only exist year by year (fan charts, demand over time)."""

MEASURES: dict[str, Measure] = {
    m.name: m for m in [*RUN_MEASURES, *COMPARISON_MEASURES, *BREAKDOWN_MEASURES, *SERIES_MEASURES]
}


def measure(name: str) -> Measure:
    """The measure called `name`; a KeyError that names close matches for a name leftshift does not report."""
    try:
        return MEASURES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(MEASURES), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no measure called {name!r}{hint}") from None


def comparison_measure(column: str) -> Measure:
    """The measure of a column of a comparison's headline, whose spend columns hold the extra spend."""
    return measure(EXTRA_SPEND.get(column, column))


def label(name: str) -> str:
    """How a reader names the measure, e.g. 'Delayed-discharge bed days'."""
    return measure(name).label


def unit(name: str) -> str:
    """The measure's unit, as files (comparison.csv, summary.json) write it and `format_number` reads it."""
    return measure(name).unit


def higher_is_better(name: str) -> bool:
    """Which way is better, e.g. for picking the best point of a sweep."""
    return measure(name).higher_is_better


def format_number(value: float | None, unit: str = "") -> str:
    """A number as a person reads it: £12.3m, £4,500, 0.42 (a ratio), 2031 (a year), 1,234 (people, days)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "year":
        return f"{value:.0f}"
    if unit == "GBP":
        sign = "-" if value < 0 else ""
        size = abs(value)
        if size >= 1e6:
            return f"{sign}£{size / 1e6:,.1f}m"
        return f"{sign}£{size:,.0f}"
    if unit == "ratio":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


__all__ = ["BREAKDOWN_MEASURES", "MEASURES", "PAYER_LABELS", "SERVICE_GROUPS", "Measure", "comparison_measure",
           "format_number", "higher_is_better", "label", "measure", "unit"]  # fmt: skip
