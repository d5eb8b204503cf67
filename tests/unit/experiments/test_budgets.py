"""What `leftshift optimise` splits: every programme's and bought places' budget as GBP a year on average over the
horizon, shapes kept, bounds from --min/--max, and a clear error for a split that cannot be made."""

from __future__ import annotations

import numpy as np
import pytest

from builders import small_scenario_dict, two_programme_dicts
from leftshift.errors import LeftshiftError
from leftshift.experiments.budgets import bounds, budget_variables, mean_a_year, with_budgets
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import BudgetGrowth


def scenario(**changes):
    data, _ = two_programme_dicts()
    data.update(changes)
    return scenario_from_dict(data)


def test_each_programme_is_a_budget_with_its_average_a_year():
    s = scenario()
    targeted, broad = budget_variables(s)
    assert (targeted.key, targeted.label, targeted.payer, targeted.written) == (
        "interventions[0].budget", "Targeted", "council", 50_000)  # fmt: skip
    # {2026: 25,000, 2027: 50,000} over 3 years from 2026: (25 + 50 + 50) / 3
    assert broad.written == pytest.approx(125_000 / 3)
    assert [p for p, _ in broad.parts] == ["interventions[1].budget.2026", "interventions[1].budget.2027"]


@pytest.mark.parametrize("budget", [70_000, {2026: 10_000, 2028: 90_000}, {"start": 40_000, "growth": 0.1},
                                    {2030: 5_000}])  # fmt: skip
def test_a_split_sets_each_budget_to_that_average_keeping_its_shape(budget):
    data, _ = two_programme_dicts()
    data["horizon_years"] = 2.5
    data["interventions"][0]["budget"] = budget
    s = scenario_from_dict(data)
    out = with_budgets(s, budget_variables(s), np.array([123_000.0, 0.0]), "test", "optimised")
    assert mean_a_year(out.interventions[0].budget, out) == pytest.approx(123_000)
    kept = isinstance(budget, dict) == isinstance(out.interventions[0].budget, dict | BudgetGrowth)
    assert kept or budget == {2030: 5_000}  # every year after the horizon: a constant instead
    assert out.name == "optimised" and "interventions[0].budget" in out.sources
    assert mean_a_year(out.interventions[1].budget, out) == 0


def test_places_bought_from_a_budget_are_split_too():
    data, _ = two_programme_dicts()
    data["capacity"]["residential"] = {"budget": 2e6, "cost_per_place_year": 40_000, "when_full": "wait"}
    variables = budget_variables(scenario_from_dict(data))
    assert [v.key for v in variables][-1] == "capacity.residential.budget"
    assert variables[-1].label == "places: residential" and variables[-1].kind == "places"


def test_nothing_to_split_is_an_error():
    with pytest.raises(LeftshiftError, match="nothing to split"):
        budget_variables(scenario_from_dict(small_scenario_dict(interventions=[])))


def test_bounds_from_min_and_max_by_key_path_item_or_name():
    variables = budget_variables(scenario())
    low, high = bounds(variables, 300_000, mins=["Targeted=20000"], maxs=["interventions[1]=1e5"])
    assert list(low) == [20_000, 0] and list(high) == [np.inf, 100_000]
    low, _ = bounds(variables, 300_000, mins=["interventions[1].budget=5000"])
    assert list(low) == [0, 5_000]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"total": 1e5, "mins": ["Targeted=8e4", "Broad=5e4"]}, "below the sum of the minimums, 130,000"),
    ({"total": 0}, "above 0"),
    ({"total": 1e5, "mins": ["Nobody=1"]}, "not one of the budgets being split"),
    ({"total": 1e5, "mins": ["interventions[5]=1"]}, "no programme interventions\\[5\\]"),
    ({"total": 1e5, "mins": ["Targeted=9"], "maxs": ["Targeted=8"]}, "above --max"),
    ({"total": 1e5, "mins": ["Targeted"]}, "expects KEY=GBP_A_YEAR"),
    ({"total": 1e5, "mins": ["Targeted=lots"]}, "not a number"),
    ({"total": 1e5, "mins": ["Targeted=1", "Targeted=2"]}, "given twice"),
    ({"total": 1e5, "maxs": ["Targeted=1", "Broad=2"], "spend_all": True}, "cannot all be spent"),
])  # fmt: skip
def test_a_split_that_cannot_be_made_is_a_clear_error(kwargs, message):
    total = kwargs.pop("total")
    with pytest.raises(LeftshiftError, match=message):
        bounds(budget_variables(scenario()), total, **kwargs)
