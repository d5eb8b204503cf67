"""Places of capacity-limited states over time: given by year or growing, or bought from a budget with a
first-order delay; annual (Green Book) discount factors; the fixed cost of places."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leftshift.engines.model import TimeGrid, build_layout
from leftshift.engines.parameters import capacity_places
from leftshift.engines.pricing import build_prices, discount_factors, fixed_place_costs
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import WEEKS_PER_YEAR


def scenario(capacity: dict, **extra) -> object:
    return scenario_from_dict({
        "name": "places", "start_year": 2026, "horizon_years": 6, "age_bands": ["65+"],
        "states": ["community", "residential"], "initial": {"community": 1000, "residential": 50},
        "transitions": [{"from": "community", "to": "residential", "rate": 0.02},
                        {"from": "residential", "to": "dead", "rate": 0.4}],
        "capacity": {"residential": capacity},
        "costs": {"per_person_week": {"residential": {"council": 700, "self_funder": 300}}},
        **extra,
    })  # fmt: skip


def places_by_step(s) -> tuple[np.ndarray, TimeGrid]:
    layout, grid = build_layout(s), TimeGrid.for_scenario(s, "full")
    return capacity_places([s], layout, grid)[0][:, 0, 0], grid


def test_places_by_year_hold_until_the_next_listed_year():
    places, grid = places_by_step(scenario({"places": {2026: 60, 2028: 40, 2030: 70}}))
    year = grid.step_years_index(7)
    assert (places == np.array([60, 60, 40, 40, 70, 70, 70])[year]).all()


def test_growing_places_compound_from_the_start_year():
    places, grid = places_by_step(scenario({"places": {"start": 100, "growth": 0.05}}))
    year = grid.step_years_index(7)
    np.testing.assert_allclose(places, 100 * 1.05**year, rtol=1e-12)


def test_a_number_is_the_same_every_year():
    places, _ = places_by_step(scenario({"places": 55}))
    assert (places == 55).all()


def test_linear_places_change_steadily_from_one_year_to_the_next():
    """60 on 1 January 2026, 40 from 2028, 70 from 2030: with `between_years: linear` each step's places lie on
    the straight line between the neighbouring years' numbers, at the middle of the step; after the last
    simulated year they hold."""
    s = scenario({"places": {2026: 60, 2028: 40, 2030: 70}, "between_years": "linear"})
    places, grid = places_by_step(s)
    mid = (np.arange(grid.n_steps) + 0.5) * grid.step_years
    np.testing.assert_allclose(places, np.interp(mid, np.arange(7), [60, 60, 40, 40, 70, 70, 70]), rtol=1e-12)
    held, _ = places_by_step(scenario({"places": {2026: 60, 2028: 40, 2030: 70}}))
    assert not np.allclose(places, held) and places.min() >= 40 and places.max() <= 70


def test_linear_places_read_at_the_end_of_each_step_lie_on_the_line_there():
    """What the stock-flow engine fills to: the same line read at each step's end, so a year's last step
    ends on the next year's number; places that hold between years are the same either way."""
    s = scenario({"places": {2026: 60, 2028: 40, 2030: 70}, "between_years": "linear"})
    layout, grid = build_layout(s), TimeGrid.for_scenario(s, "full")
    at_end = capacity_places([s], layout, grid, at_step_end=True)[0][:, 0, 0]
    end = (np.arange(grid.n_steps) + 1) * grid.step_years
    np.testing.assert_allclose(at_end, np.interp(end, np.arange(7), [60, 60, 40, 40, 70, 70, 70]), rtol=1e-12)
    held = scenario({"places": {2026: 60, 2028: 40, 2030: 70}})
    held_at_end = capacity_places([held], layout, grid, at_step_end=True)[0][:, 0, 0]
    np.testing.assert_array_equal(held_at_end, places_by_step(held)[0])


def test_linear_applies_to_given_places_only():
    with pytest.raises(ScenarioError, match="between_years"):
        scenario({"budget": 1e6, "cost_per_place_year": 5e4, "between_years": "linear"})


def test_places_bought_follow_the_closed_form_first_order_delay():
    """Funded 100 places a year from a standing start of 40, built with a 2-year time constant: the exact
    solution of dP/dt = (F - P) / tau sampled at step ends is F + (P0 - F) exp(-t / tau)."""
    s = scenario({"budget": 100 * 50_000, "cost_per_place_year": 50_000, "build_years": 2, "initial_places": 40})
    places, grid = places_by_step(s)
    t = (np.arange(grid.n_steps) + 1) * grid.step_years
    np.testing.assert_allclose(places, 100 + (40 - 100) * np.exp(-t / 2), rtol=1e-12)


def test_a_cut_in_the_budget_loses_places_at_the_loss_rate():
    s = scenario({"budget": {2026: 5e6, 2029: 2.5e6}, "cost_per_place_year": 50_000, "loss_years": 0.5})
    places, grid = places_by_step(s)
    year = grid.step_years_index(7)
    assert (places[year < 3] == 100).all()  # starts at the first year's funded places
    after = places[year >= 3]
    t = (np.arange(len(after)) + 1) * grid.step_years
    np.testing.assert_allclose(after, 50 + 50 * np.exp(-t / 0.5), rtol=1e-9)


def test_the_place_budget_is_a_cost_row_of_its_payer():
    s = scenario({"budget": 1e6, "cost_per_place_year": 50_000})
    prices = build_prices([s], build_layout(s))
    assert prices.services[-1] == "places:residential"
    assert prices.place_payer[0, 0] == 1  # council pays most of the weekly cost
    assert prices.place_budget[0, :, 0].tolist() == [1e6] * 7


def test_annual_discount_factors_are_whole_years_and_year_zero_is_undiscounted():
    s = scenario({"places": 50}, discounting="annual", discount_rate=0.035)
    prices = build_prices([s], build_layout(s))
    t = np.array([0.01, 0.5, 0.99, 1.0, 1.5, 2.7])
    np.testing.assert_allclose(discount_factors(prices, t), 1.035 ** -np.array([0, 0, 0, 1, 1, 2]))
    continuous = build_prices([scenario({"places": 50})], build_layout(s))
    np.testing.assert_allclose(discount_factors(continuous, t), 1.035**-t)


def test_fixed_place_costs_are_places_times_share_times_weekly_cost():
    s = scenario({"places": {2026: 60, 2029: 40}}, costs={
        "per_person_week": {"residential": {"council": 700, "self_funder": 300}},
        "fixed_share": {"residential": 0.4}, "real_growth_per_year": 0.0}, discount_rate=0.0)  # fmt: skip
    years, cost, cost_d = fixed_place_costs([s])
    assert years.tolist() == list(range(2026, 2032))
    expected = np.array([60, 60, 60, 40, 40, 40]) * 0.4 * 700 * WEEKS_PER_YEAR
    np.testing.assert_allclose(cost[:, 1, 0], expected, rtol=1e-9)  # council
    np.testing.assert_allclose(cost[:, 2, 0], expected * 300 / 700, rtol=1e-9)  # self-funders
    np.testing.assert_allclose(cost_d, cost)


@pytest.mark.parametrize(("capacity", "costs", "message"), [
    ({"when_full": "wait"}, None, "exactly one of 'places' or 'budget'"),
    ({"places": 5, "budget": 1e6, "cost_per_place_year": 1}, None, "exactly one of 'places' or 'budget'"),
    ({"budget": 1e6}, None, "needs 'cost_per_place_year'"),
    ({"places": 5, "build_years": 3}, None, "only apply to places bought"),
    ({"places": -5}, None, "greater than or equal to 0"),
    ({"places": 5}, {"fixed_share": {"residential": -0.1}}, "greater than or equal to 0"),
    ({"places": 5}, {"fixed_share": {"residential": 1.5}}, "less than or equal to 1"),
    ({"places": 5}, {"fixed_share": {"residental": 0.5}}, "did you mean 'residential'"),
    ({"budget": 1e6, "cost_per_place_year": 1e4}, {"fixed_share": {"residential": 0.5}}, "buys its places"),
])  # fmt: skip
def test_bad_capacity_and_fixed_shares_are_reported(capacity, costs, message):
    with pytest.raises(ScenarioError, match=message):
        scenario(capacity, **({"costs": costs} if costs else {}))


def test_discounting_must_be_continuous_or_annual():
    with pytest.raises(ScenarioError, match="discounting"):
        scenario({"places": 5}, discounting="monthly")


def test_growth_factor_decay_constant_matches_docs():
    """With build_years 3 a new service has 28% of its places after a year (docs/scenarios.md)."""
    assert 1 - math.exp(-1 / 3) == pytest.approx(0.2835, abs=1e-4)
