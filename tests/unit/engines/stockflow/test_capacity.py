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
