"""`leftshift optimise` on a scenario whose best split is known: two programmes, one cheap and effective until it
runs out of people (about £100k a year), one that never runs out and loses money. The optimiser must find the best
split within 1% of the budget (against a fine brute-force grid of the model itself), never be worse than the best
point of a grid over the same space, and give a scenario that `compare` scores exactly as it said."""

from __future__ import annotations

import numpy as np
import pytest

from builders import two_programme_dicts
from leftshift.analysis.economics import compare
from leftshift.api import run
from leftshift.experiments.budgets import budget_variables
from leftshift.experiments.objective import build_model
from leftshift.experiments.optimise import Settings, optimise
from leftshift.scenario.loading import scenario_from_dict

BUDGET = 300_000.0


@pytest.fixture(scope="module")
def pair():
    scenario, baseline = two_programme_dicts()
    return scenario_from_dict(scenario), scenario_from_dict(baseline)


@pytest.fixture(scope="module")
def model(pair):
    return build_model(*pair, budget_variables(pair[0]))


@pytest.fixture(scope="module")
def best_net(pair):
    return optimise(*pair, Settings(BUDGET, "net_savings", frontier=(0.0, BUDGET, 3)))


def test_net_savings_fill_the_targeted_programme_to_where_it_runs_out_and_spend_no_more(best_net, model):
    xs = np.arange(80_000, 120_001, 500.0)
    net = model.outcomes(np.column_stack([xs, np.zeros_like(xs)])).net["all"][:, 0]
    known = xs[np.argmax(net)]
    assert 90_000 < known < 110_000  # where the targeted programme runs out of people
    assert best_net.best.x[0] == pytest.approx(known, abs=0.01 * BUDGET)
    assert best_net.best.x[1] == pytest.approx(0, abs=0.01 * BUDGET)  # the broad programme loses money
    assert best_net.best.value >= net.max() - 1e-6 * abs(net.max())


def test_spending_all_of_it_puts_the_rest_into_the_other_programme(pair, model):
    found = optimise(*pair, Settings(BUDGET, "emergency_admissions", spend_all=True, frontier=(BUDGET, BUDGET, 1)))
    xs = np.linspace(0, BUDGET, 601)
    admissions = model.outcomes(np.column_stack([xs, BUDGET - xs])).emergency_admissions[:, 0]
    assert found.best.x[0] == pytest.approx(xs[np.argmin(admissions)], abs=0.01 * BUDGET)
    assert found.best.x.sum() == pytest.approx(BUDGET)
    assert found.best.value <= admissions.min() + 1e-9 * admissions.min()
    avoided = compare(run(pair[1]), run(found.optimal)).headline.iloc[0]["emergency_admissions_avoided"]
    assert avoided > 0 and found.best.change == pytest.approx(-avoided, rel=1e-6)  # what the verdict says it avoids


@pytest.mark.parametrize("objective", ["net_savings", "person_years_at_home"])
def test_never_worse_than_the_best_point_of_a_grid(pair, model, objective):
    found = optimise(*pair, Settings(BUDGET, objective, frontier=(BUDGET, BUDGET, 1)))
    axis = np.linspace(0, BUDGET, 31)
    grid = np.array([(a, b) for a in axis for b in axis if a + b <= BUDGET])
    out = model.outcomes(grid)
    values = out.net["all"][:, 0] if objective == "net_savings" else out.person_years_at_home[:, 0]
    assert found.best.value >= values.max() - 1e-9 * abs(values.max())


def test_the_optimal_scenario_scores_in_compare_as_the_optimiser_said(pair, best_net):
    comparison = compare(run(pair[1]), run(best_net.optimal)).headline.iloc[0]
    assert comparison["net_savings_gbp_discounted"] == pytest.approx(best_net.best.value, rel=1e-9, abs=1e-3)
    assert comparison["net_savings_gbp_discounted_nhs"] == pytest.approx(best_net.best.net["nhs"], rel=1e-9, abs=1e-3)


def test_the_frontier_never_falls_and_ends_at_the_best_split(best_net):
    frontier = best_net.frontier
    assert list(frontier["total_budget_gbp"]) == [0, 150_000, 300_000]
    assert (np.diff(frontier["best_value"]) >= -1e-9).all()
    assert frontier["best_value"].iloc[-1] == pytest.approx(best_net.best.value)
    assert (frontier["spent_gbp"] <= frontier["total_budget_gbp"] + 1e-6).all()


def test_each_payer_counts_only_its_own_savings(best_net):
    """The wrong pocket: the targeted programme is the council's money and saves the NHS's hospital costs."""
    nhs, council = best_net.payer_splits["nhs"], best_net.payer_splits["council"]
    assert nhs.x[0] > 80_000 and council.x[0] < 0.01 * BUDGET
    assert nhs.net["nhs"] >= best_net.best.net["nhs"] - 1e-6 and council.net["council"] >= -1e-6
    share = best_net.share
    assert (share["from"], share["to"]) == ("nhs", "council") and 0 < share["low"] <= share["high"] <= 1


def test_allocation_says_what_each_budget_adds_and_what_more_would_buy(best_net):
    a = best_net.allocation.set_index("intervention")
    assert a.loc["Targeted", "contribution"] > 0  # it saves money
    assert a.loc["Broad", "marginal_per_100k"] < 0  # more on it loses money
    assert a.loc["Broad", "written_budget_gbp"] == pytest.approx(125_000 / 3)


def test_under_uncertainty_the_draws_are_the_same_for_every_split(pair):
    scenario, _ = two_programme_dicts()
    scenario["uncertainty"] = {"interventions[0].effects.community->acute": {"dist": "uniform", "low": 0.6,
                                                                            "high": 0.8}}  # fmt: skip
    s = scenario_from_dict(scenario)
    found = optimise(s, pair[1], Settings(BUDGET, "net_savings", criterion="p10", samples=16))
    model = build_model(s, pair[1], budget_variables(s), 16)
    again = model.outcomes(np.vstack([found.best.x, found.best.x]))
    assert np.array_equal(again.net["all"][0], again.net["all"][1])
    assert np.percentile(again.net["all"][0], 10) == pytest.approx(found.best.value)
    assert found.best.x[1] == pytest.approx(0, abs=0.01 * BUDGET)
