"""The stock-flow engine at its default weekly step against a daily-step reference where capacity binds
(docs/design.md, "Method"), and places that are never exceeded however the service starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leftshift.analysis.metrics import by_year
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict

DAILY = 1 / 7
MEASURES = ["delayed_discharge_bed_days", "care_home_admissions", "waiting_at_home_person_years"]


def full_care_homes(weeks: float, **changes: object):
    """Care homes full from the start, with a little more demand than places free up (from hospital and
    from home), so that queues start empty and grow slowly: the first year is what a weekly step got
    wrong by 16%, when the people refused stayed in hospital until the step's end."""
    return scenario_from_dict({
        "name": "full care homes", "start_year": 2026, "horizon_years": 3, "time_step_weeks": weeks,
        "age_bands": ["all"], "states": ["community", "residential", "acute"], "demography": {"ageing": False},
        "initial": {"community": {"all": 100_000}, "residential": {"all": 1000}, "acute": {"all": 800}},
        "transitions": [{"from": "community", "to": "acute", "rate": 0.3},
                        {"from": "community", "to": "residential", "rate": 0.0015},
                        {"from": "community", "to": "dead", "rate": 0.01},
                        {"from": "acute", "to": "community", "rate": 36.0},
                        {"from": "acute", "to": "residential", "rate": 0.5},
                        {"from": "acute", "to": "dead", "rate": 1.0},
                        {"from": "residential", "to": "dead", "rate": 0.5}],
        "capacity": {"residential": {"places": 1000, "when_full": "wait"}},
        **changes,
    })  # fmt: skip


# Demand for care homes growing 10% a year, and places growing through each year to 10 fewer than an unlimited
# run's residents on 1 January (its 1,056.6, 1,123.7, 1,199.4): a queue of 7-9 people all the time while
# places grow 50-75 a year, as in the Leeds left shift (about 15 waiting, places growing ~110 a year). Places
# read at the middle of each step put the weekly step 6-10% above the daily one here.
GROWING_PLACES = {2026: 1000, 2027: 1047, 2028: 1114, 2029: 1189}
GROWING_DEMAND = [{"from": "community", "to": "acute", "rate": 0.3},
                  {"from": "community", "to": "residential", "rate": 0.0015, "trend_per_year": 0.1},
                  {"from": "community", "to": "dead", "rate": 0.01},
                  {"from": "acute", "to": "community", "rate": 36.0},
                  {"from": "acute", "to": "residential", "rate": 0.5, "trend_per_year": 0.1},
                  {"from": "acute", "to": "dead", "rate": 1.0},
                  {"from": "residential", "to": "dead", "rate": 0.5}]  # fmt: skip


def yearly(weeks: float, **changes: object) -> pd.DataFrame:
    """The capacity-bound measures of each simulated year, and the queues and turned away at its end."""
    result = to_result(simulate(full_care_homes(weeks, **changes)))
    table = by_year(result, MEASURES).set_index("year")[MEASURES]
    queues = result.queues
    at_end = queues[queues.groupby("year")["time"].transform("max") == queues["time"]]
    table["waiting_at_year_end"] = at_end.groupby("year")["waiting"].sum()
    table["turned_away"] = queues.groupby("year")["turned_away"].sum()
    return table


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"capacity": {"residential": {"places": {2026: 1000, 2027: 900}, "when_full": "wait"}}},
        {"initial_waiting": {"acute->residential": {"all": 50}, "community->residential": {"all": 30}}},
        {"capacity": {"residential": {"places": 1000, "when_full": "lost"}}},
        {
            "capacity": {"residential": {"places": GROWING_PLACES, "between_years": "linear", "when_full": "wait"}},
            "transitions": GROWING_DEMAND,
        },
    ],
    ids=["queues-from-empty", "places-cut", "initial-waiting", "lost", "places-growing-just-behind-demand"],
)
def test_capacity_bound_yearly_measures_agree_with_a_daily_step_from_year_one(changes):
    weekly, daily = yearly(1.0, **changes), yearly(DAILY, **changes)
    assert (daily["care_home_admissions"] > 0).all()
    gap = (weekly - daily).abs() / daily.abs().where(daily.abs() > 1e-6)  # (a measure that is 0 in both: no gap)
    assert gap.fillna(0.0).to_numpy().max() < 0.02, gap


def blocked_exits(care_homes_first: bool, home_care_at_start: float):
    """Home care starting full (or over), its only exit into care homes that are full too, and a queue
    for home care in an age band with nobody in home care: people admitted from that queue move on within
    the step into the queue for a care home, which still holds their home care place."""
    capacity = {"residential": {"places": 50, "when_full": "wait"}, "home_care": {"places": 100, "when_full": "wait"}}
    if not care_homes_first:
        capacity = dict(reversed(capacity.items()))
    return scenario_from_dict({
        "name": "blocked exits", "start_year": 2026, "horizon_years": 1, "age_bands": ["a", "b"],
        "states": ["community", "home_care", "residential"], "demography": {"ageing": False},
        "initial": {"community": {"a": 10_000, "b": 10_000}, "home_care": {"a": home_care_at_start},
                    "residential": {"a": 50}},
        "initial_waiting": {"community->home_care": {"b": 100}},
        "transitions": [{"from": "community", "to": "home_care", "rate": 0.5},
                        {"from": "home_care", "to": "residential", "rate": 60.0},
                        {"from": "residential", "to": "dead", "rate": 0.3}],
        "capacity": capacity,
    })  # fmt: skip


@pytest.mark.parametrize("care_homes_first", [True, False])
@pytest.mark.parametrize("home_care_at_start", [100.0, 101.0, 150.0])
def test_a_service_with_blocked_exits_never_goes_over_its_places(care_homes_first, home_care_at_start):
    traj = simulate(blocked_exits(care_homes_first, home_care_at_start))
    i = [r.name for r in traj.layout.resources].index("home_care")
    limit = np.maximum(traj.places[:, i, 0], home_care_at_start)  # it may start over; it may never rise
    assert traj.queue_admits[:, :, 0].sum() > 0  # the queue is served as places free up
    assert (traj.occupied[:, i, 0] - limit).max() <= 1e-9


def admitted_then_aged(ageing_per_year: float):
    """Care homes far over their places with nobody yet in hospital, so that the first step's demand is
    not known until people arrive (all of it is let in, then undone): some of the admitted age into
    the next band within the step, a stock the undo must look in too."""
    return scenario_from_dict({
        "name": "admitted then aged", "start_year": 2026, "horizon_years": 1, "age_bands": ["18-64", "65+"],
        "states": ["community", "residential", "acute"], "demography": {"ageing": {"18-64": ageing_per_year}},
        "initial": {"community": {"18-64": 50_000, "65+": 10_000}, "residential": {"65+": 350}},
        "transitions": [{"from": "community", "to": "acute", "rate": 0.5},
                        {"from": "acute", "to": "community", "rate": 36.0},
                        {"from": "acute", "to": "residential", "rate": 3.0}],
        "capacity": {"residential": {"places": 0.4, "when_full": "wait"}},
    })  # fmt: skip


@pytest.mark.parametrize("ageing_per_year", [0.02, 2.0])
def test_admissions_undone_after_people_moved_on_never_leave_a_service_over_its_places(ageing_per_year):
    traj = simulate(admitted_then_aged(ageing_per_year))
    assert (traj.occupied[:, 0, 0] - 350.0).max() <= 1e-9  # nobody leaves a care home here: no place frees up
