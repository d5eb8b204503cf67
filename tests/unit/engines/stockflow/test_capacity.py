"""The end-of-step capacity pass (`engines/stockflow/capacity.py`) against what the fluid model says exactly."""

from __future__ import annotations

import numpy as np
import pytest

from leftshift.engines.stockflow.engine import simulate
from leftshift.scenario.loading import scenario_from_dict

PLACES = {2026: 1000, 2027: 1100, 2028: 1150, 2029: 1150}


def queue_for_growing_places(weeks: float):
    """Care homes with more demand than places free up, their places growing through the year: a queue
    all the time, so in the fluid model the homes are full to their places at every moment."""
    return scenario_from_dict({
        "name": "growing places", "start_year": 2026, "horizon_years": 3, "time_step_weeks": weeks,
        "age_bands": ["all"], "states": ["community", "residential"], "demography": {"ageing": False},
        "initial": {"community": {"all": 100_000}, "residential": {"all": 1000}},
        "initial_waiting": {"community->residential": {"all": 50}},
        "transitions": [{"from": "community", "to": "residential", "rate": 0.008},
                        {"from": "residential", "to": "dead", "rate": 0.5}],
        "capacity": {"residential": {"places": PLACES, "between_years": "linear", "when_full": "wait"}},
    })  # fmt: skip


@pytest.mark.parametrize("weeks", [1.0, 4.0])
def test_a_service_with_a_queue_is_full_to_its_places_at_the_end_of_every_step(weeks):
    """Places read half a step early (at its middle) left a growing service half a step's growth short of
    its places at every step's end, and its queue that much longer: 7% of the Leeds left shift's care home
    queue, whose places grow ~110 a year while about 15 people wait."""
    traj = simulate(queue_for_growing_places(weeks))
    end = traj.grid.period_end
    line = np.interp(end, np.arange(4), list(PLACES.values()))
    assert traj.waiting[:, 0, 0].min() > 1.0  # a queue at every step's end
    np.testing.assert_allclose(traj.places[:, 0, 0], line, rtol=1e-12)
    np.testing.assert_allclose(traj.occupied[:, 0, 0], line, rtol=1e-9)


def care_homes_full(day_unit: bool):
    """Care homes full, people refused from hospital waiting in it; with `day_unit`, a ward nobody stays in
    for more than a day (an average of 1.2 days), which makes every step split into internal RK4 steps."""
    states = ["community", "residential", "acute", *(["day_unit"] if day_unit else [])]
    day = [
        {"from": "community", "to": "day_unit", "rate": 0.001},
        {"from": "day_unit", "to": "community", "rate": 300.0},
    ]
    return scenario_from_dict({
        "name": "care homes full", "start_year": 2026, "horizon_years": 2, "age_bands": ["all"], "states": states,
        "demography": {"ageing": False},
        "initial": {"community": {"all": 100_000}, "residential": {"all": 1000}, "acute": {"all": 800}},
        "transitions": [{"from": "community", "to": "acute", "rate": 0.3},
                        {"from": "acute", "to": "community", "rate": 36.0},
                        {"from": "acute", "to": "residential", "rate": 0.8},
                        {"from": "residential", "to": "dead", "rate": 0.5},
                        *(day if day_unit else [])],
        "capacity": {"residential": {"places": 1000, "when_full": "wait"}},
    })  # fmt: skip


def test_people_refused_from_hospital_wait_in_its_queue_in_every_internal_step():
    """Internal RK4 steps used to start with the people refused in the steps before still in hospital, free to
    be discharged home at the hospital's rates: 3% fewer delayed days here (298.1 -> 289.2), and in the Leeds left
    shift's first year 7.7% fewer when its steps were split in 2, 11% in 4. They now join the queue within each
    internal step, so a ward that makes the step split changes the delayed days by no more than rounding."""
    plain, split = simulate(care_homes_full(False)), simulate(care_homes_full(True))
    assert plain.substeps[0] == 1 and split.substeps[0] > 1

    def delayed_person_years(traj):
        waiting = [traj.layout.compartments.index("waiting:acute->residential")]
        stocks = np.isin(traj.layout.unravel(np.arange(traj.layout.n_stocks))[0], waiting)
        return traj.person_years[:, stocks, 0].sum()

    assert delayed_person_years(plain) > 50
    np.testing.assert_allclose(delayed_person_years(split), delayed_person_years(plain), rtol=1e-4)
