"""Sweeps: the grid is what was asked for, each point runs the scenario it names, the numbers move the
right way, and the comparison with a baseline is consistent with a direct comparison."""

from __future__ import annotations

import numpy as np
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis.batch import summarise
from leftshift.engines.stockflow.engine import simulate
from leftshift.errors import LeftshiftError, ScenarioError
from leftshift.experiments.execute import Execution
from leftshift.experiments.runs import sweep
from leftshift.scenario.vary import parse_vary


@pytest.fixture(scope="module")
def base():
    return small_scenario()


@pytest.fixture(scope="module")
def baseline():
    return small_scenario(name="Small town baseline", interventions=[])


def test_full_grid_has_every_combination_in_order(base):
    dims = [parse_vary("interventions[0].budget=0:300000:4"), parse_vary("capacity.residential.places=360,420")]
    table = sweep(base, dims, execution=Execution(batch_size=3)).table
    assert len(table) == 8 and list(table["point"]) == list(range(8))
    assert list(table["interventions[0].budget"]) == [0, 0, 1e5, 1e5, 2e5, 2e5, 3e5, 3e5]
    assert list(table["capacity.residential.places"]) == [360, 420] * 4
    # a point's numbers are those of a direct run of the scenario it names
    direct = small_scenario_dict()
    direct["interventions"][0]["budget"] = 2e5
    direct["capacity"]["residential"]["places"] = 420
    one = summarise(simulate(small_scenario(**direct), record="yearly"))
    row = table.iloc[5]
    for name, value in one.metrics.items():
        assert row[name] == pytest.approx(value[0], rel=1e-12)


def test_more_money_for_the_programme_means_more_participants_and_fewer_admissions(base):
    table = sweep(base, [parse_vary("interventions[0].budget=0:200000:5")]).table
    assert np.all(np.diff(table["participant_years"]) > 0)
    assert np.all(np.diff(table["emergency_admissions"]) < 0)
    assert np.all(np.diff(table["intervention_spend_gbp"]) > 0)


def test_against_a_baseline_a_zero_budget_saves_nothing_and_spends_nothing(base, baseline):
    dims = [parse_vary("interventions[0].budget=0,150000"), parse_vary("capacity.residential.places=360,420")]
    table = sweep(base, dims, baseline=baseline).table
    zero = table[table["interventions[0].budget"] == 0]
    # capacity applies to the baseline too, so with no programme the two worlds are the same
    assert np.allclose(zero["net_savings_gbp_discounted"], 0, atol=1e-3)
    assert np.allclose(zero["extra_intervention_spend_gbp"], 0)
    funded = table[table["interventions[0].budget"] > 0]
    assert list(funded["extra_intervention_spend_gbp"]) == pytest.approx([150_000 * 3] * 2)
    assert (funded["emergency_admissions_avoided"] > 0).all()
    net = funded["avoided_downstream_cost_gbp_discounted"] - funded["extra_intervention_spend_gbp_discounted"]
    np.testing.assert_allclose(funded["net_savings_gbp_discounted"], net)


def test_sampled_points_lie_in_their_ranges_and_repeat_with_the_seed(base):
    dims = [parse_vary("interventions[0].budget=0:3e5"), parse_vary("capacity.residential.places=300,400,500")]
    first = sweep(base, dims, sample="lhs", points=12, seed=5).table
    again = sweep(base, dims, sample="lhs", points=12, seed=5).table
    other = sweep(base, dims, sample="sobol", points=8, seed=5).table
    assert first.equals(again)
    assert first["interventions[0].budget"].between(0, 3e5).all()
    assert set(first["capacity.residential.places"]) <= {300, 400, 500}
    assert len(other) == 8 and other["interventions[0].budget"].between(0, 3e5).all()


@pytest.mark.parametrize(
    ("vary", "words"),
    [
        ("interventions[3].budget=0:1:2", "there is no item 3 in interventions"),
        ("capacity.residential.places=0:1:0", "at least 1"),
        ("capacity.residental.places=300,400", "unknown state 'residental'; did you mean 'residential'"),
        ("capacity.residential.places=-5,400", "greater than or equal to 0"),
        ("capacity.residential.places", "--vary expects key.path="),
        ("name=1,2", "makes the scenario invalid"),
    ],
)
def test_bad_variations_are_refused_before_any_run(base, vary, words):
    with pytest.raises((LeftshiftError, ScenarioError), match=words):
        sweep(base, [parse_vary(vary)], execution=Execution(progress=_no_progress))


def _no_progress(n: int) -> None:
    raise AssertionError("no batch may run when the input is bad")
