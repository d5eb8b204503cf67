"""The step rule: internal RK4 steps where the fastest flow needs them, to the documented tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.engines.model import TimeGrid, build_layout
from leftshift.engines.parameters import build_parameters, capacity_places
from leftshift.engines.stockflow import steps
from leftshift.engines.stockflow.engine import simulate
from leftshift.errors import LeftshiftError
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import WEEKS_PER_YEAR


def rk4_share_left(z: float) -> float:
    """What one RK4 step leaves of a stock that only empties, z = rate x step (exactly: exp(-z))."""
    return 1 - z + z**2 / 2 - z**3 / 6 + z**4 / 24


def test_the_documented_tolerances_hold_at_the_limits():
    assert abs(rk4_share_left(steps.MAX_RATE_X_STEP) - math.exp(-steps.MAX_RATE_X_STEP)) <= 0.05
    assert abs(rk4_share_left(steps.TRANSIENT_RATE_X_STEP) - math.exp(-steps.TRANSIENT_RATE_X_STEP)) <= 0.002
    assert abs(rk4_share_left(1.92) / math.exp(-1.92) - 2.1) < 0.02  # the example, taken in one step


def cohort(rate_per_year: float, weeks: float = 1.0, years: float = 1.0):
    """1,000 people in hospital and nobody coming in: they leave at `rate_per_year`, exactly exp(-rate t)."""
    return scenario_from_dict({
        "name": "cohort", "start_year": 2026, "horizon_years": years, "time_step_weeks": weeks,
        "age_bands": ["all"], "states": ["community", "acute"], "demography": {"ageing": False},
        "initial": {"community": {"all": 0.0}, "acute": {"all": 1000.0}},
        "transitions": [{"from": "acute", "to": "community", "rate": rate_per_year}],
    })  # fmt: skip


def test_a_flow_with_rate_x_step_of_1_92_is_split_and_follows_the_exact_stock():
    rate = 1.92 * WEEKS_PER_YEAR  # a stay of under four days, in weekly steps
    traj = simulate(cohort(rate, years=0.25))
    assert traj.substeps[0] == 2  # 0.96 a week in each of 2 internal steps
    times = traj.grid.period_end
    acute = traj.stocks[1:, traj.layout.compartments.index("acute"), 0]
    exact = 1000.0 * np.exp(-rate * times)
    assert abs(acute[0] / exact[0] - 1) < 0.01  # was 2.1x the exact stock after one week
    assert np.abs(acute - exact).max() <= 0.05 * 1000.0  # never more than 5% of the people misplaced


@pytest.mark.parametrize("rate_per_year", [10.0, 60.0, 78.0, 100.0, 400.0, 3000.0])
def test_every_internal_step_is_within_the_tolerance(rate_per_year):
    scenario = cohort(rate_per_year)
    layout = build_layout(scenario)
    params = build_parameters([scenario], layout)
    grid = TimeGrid.for_scenario(scenario, "full")
    plan, ordinary = steps.plan(params, layout, grid, capacity_places([scenario], layout, grid)[0])
    z = rate_per_year * grid.step_years / plan[:, 0]
    assert (z <= steps.MAX_RATE_X_STEP).all()
    assert (z[: steps.TRANSIENT_STEPS] <= steps.TRANSIENT_RATE_X_STEP).all()
    assert ordinary[0] == max(1, math.ceil(rate_per_year * grid.step_years / steps.MAX_RATE_X_STEP))
    assert (plan[steps.TRANSIENT_STEPS :, 0] == ordinary[0]).all()  # no more than needed elsewhere


def test_a_change_of_places_starts_a_transient_and_a_small_drift_does_not():
    data = small_scenario_dict(horizon_years=3)
    data["capacity"]["residential"]["places"] = {2026: 380, 2027: 300, 2028: 301}  # a cut, then +0.3%
    data["transitions"] = [{**t, "rate": 40.0} if (t["from"], t["to"]) == ("acute", "community") else t
                           for t in data["transitions"]]  # fmt: skip
    scenario = scenario_from_dict(data)
    layout = build_layout(scenario)
    grid = TimeGrid.for_scenario(scenario, "full")
    plan, ordinary = steps.plan(build_parameters([scenario], layout), layout, grid,
                                capacity_places([scenario], layout, grid)[0])  # fmt: skip
    fine = np.flatnonzero(plan[:, 0] > ordinary[0])
    per_year = round(1 / grid.step_years)
    assert fine.tolist() == [0, 1, per_year, per_year + 1]  # acute leaves at 44 a year: 0.84 a week, 2 steps


def test_a_flow_too_fast_to_split_is_refused_with_what_to_do():
    with pytest.raises(LeftshiftError, match=r"people leave 'acute' at 100,000 a year.*time_step_weeks of at most"):
        simulate(cohort(100_000.0))


def test_members_with_different_plans_give_the_same_numbers_alone_and_in_a_batch():
    variants = []
    for acute_rate in (33.0, 90.0, 120.0):  # 1, 2 and 2 internal steps in an ordinary week
        data = small_scenario_dict()
        data["transitions"] = [{**t, "rate": acute_rate} if (t["from"], t["to"]) == ("acute", "community") else t
                               for t in data["transitions"]]  # fmt: skip
        variants.append(scenario_from_dict(data))
    together = simulate(variants)
    assert len(set(together.substeps.tolist())) == 2
    for i, member in enumerate(variants):
        alone = simulate(member)
        np.testing.assert_allclose(together.stocks[..., i], alone.stocks[..., 0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(together.costs[..., i], alone.costs[..., 0], rtol=1e-12, atol=1e-9)
