"""trend_per_year: a transition's rate multiplied by (1 + trend) ** t, held at its mid-step value each step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import scenario_from_dict


def _decay(rate: float, trend: float, years: float = 10, split: bool = False) -> tuple[np.ndarray, np.ndarray]:
    move = ({"from": "community", "rate": rate, "split": {"dead": 1.0}, "trend_per_year": trend} if split
            else {"from": "community", "to": "dead", "rate": rate, "trend_per_year": trend})  # fmt: skip
    s = scenario_from_dict({
        "name": "decay", "start_year": 2026, "horizon_years": years, "age_bands": ["all"], "states": ["community"],
        "initial": {"community": 1000.0}, "transitions": [move], "demography": {"ageing": False},
    })  # fmt: skip
    ts = to_result(simulate(s)).timeseries
    ts = ts[ts["state"] == "community"].groupby("time")["people"].sum()
    return ts.index.to_numpy(), ts.to_numpy()


@pytest.mark.parametrize("trend", [0.1, -0.05, 0.02])
@pytest.mark.parametrize("split", [False, True])
def test_a_single_decaying_stock_follows_the_closed_form(trend, split):
    """x(t) = x0 exp(-r ((1+g)^t - 1) / ln(1+g)); the mid-step rule is off by O(h^2) only."""
    rate = 0.5
    t, x = _decay(rate, trend, split=split)
    k = math.log1p(trend)
    exact = 1000.0 * np.exp(-rate * np.expm1(k * t) / k)
    assert np.allclose(x, exact, rtol=1e-5)
    assert not np.allclose(x, 1000.0 * np.exp(-rate * t), rtol=1e-3)  # the trend matters


def test_no_trend_is_the_constant_rate():
    t, x = _decay(0.5, 0.0)
    assert np.allclose(x, 1000.0 * np.exp(-0.5 * t), rtol=1e-9)


def test_a_zero_trend_changes_no_bit():
    data = small_scenario_dict(horizon_years=2)
    written = {**data, "transitions": [{**t, "trend_per_year": 0.0} for t in data["transitions"]]}
    a, b = to_result(simulate(scenario_from_dict(data))), to_result(simulate(scenario_from_dict(written)))
    for name, table in a.tables().items():
        assert table.equals(b.tables()[name]), name


def test_a_trend_with_capacity_conserves_people():
    data = small_scenario_dict(horizon_years=3, demography={"ageing": {"18-64": 0.021}})
    data["transitions"] = [{**t, "trend_per_year": 0.05} if t["from"] == "community" else t
                           for t in data["transitions"]]  # fmt: skip
    r = to_result(simulate(scenario_from_dict(data)))
    alive = r.timeseries.groupby("time")["people"].sum()
    assert np.allclose(alive.to_numpy(), alive.iloc[0], rtol=1e-9)
    base = to_result(
        simulate(scenario_from_dict(small_scenario_dict(horizon_years=3, demography={"ageing": {"18-64": 0.021}})))
    )
    moved = r.flows.query("source == 'community' and target == 'acute'")["people"].sum()
    assert moved > base.flows.query("source == 'community' and target == 'acute'")["people"].sum()


@pytest.mark.parametrize("trend", [-1, -2, "fast", 101])
def test_bad_trends_are_refused(trend):
    data = small_scenario_dict()
    data["transitions"][0] = {**data["transitions"][0], "trend_per_year": trend}
    with pytest.raises(ScenarioError, match="trend_per_year"):
        scenario_from_dict(data)


def test_a_trend_that_compounds_beyond_reason_is_refused():
    data = small_scenario_dict(horizon_years=100)
    data["transitions"][0] = {**data["transitions"][0], "trend_per_year": 0.5}
    with pytest.raises(ScenarioError, match="trend_per_year"):
        scenario_from_dict(data)


def test_the_step_is_checked_against_the_rates_at_their_highest():
    from leftshift.engines.stockflow.steps import MAX_RATE_X_STEP
    from leftshift.errors import LeftshiftError

    data = small_scenario_dict(horizon_years=10)
    data["transitions"] = [{**t, "trend_per_year": 0.5} if t["from"] == "acute" else t for t in data["transitions"]]
    traj = simulate(scenario_from_dict(data))  # acute's exits reach 37 x 1.5^10 a year: internal steps share a week
    assert traj.substeps[0] == np.ceil(37.0 * 1.5**10 * traj.grid.step_years / MAX_RATE_X_STEP)
    data["horizon_years"] = 20  # 37 x 1.5^20 a year: more internal steps than a step may take
    with pytest.raises(LeftshiftError, match="time_step_weeks of at most"):
        simulate(scenario_from_dict(data))
