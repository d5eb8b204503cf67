"""The stock-flow engine against mathematics it must reproduce: the matrix exponential, RK4's
order of convergence, exact cost accounting and batch/single agreement."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from builders import small_scenario
from leftshift.engines.stockflow.engine import TimeGrid, simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import WEEKS_PER_YEAR

RATES = {("community", "acute"): 0.3, ("acute", "community"): 38.0, ("acute", "home_care"): 2.0,
         ("community", "home_care"): 0.05, ("home_care", "community"): 0.4, ("home_care", "dead"): 0.2,
         ("community", "dead"): 0.02, ("acute", "dead"): 1.0}  # fmt: skip
STATES = ["community", "home_care", "acute"]
START = np.array([100_000.0, 2_000.0, 800.0, 0.0])


def linear_scenario(weeks: float = 1.0, years: float = 10.0):
    """Constant rates, no capacity, no demography: the exact solution is expm(A t) x0."""
    return scenario_from_dict({
        "name": "linear", "start_year": 2026, "horizon_years": years, "time_step_weeks": weeks,
        "age_bands": ["all"], "states": STATES, "demography": {"ageing": False},
        "initial": {s: {"all": float(v)} for s, v in zip(STATES, START, strict=False)},
        "transitions": [{"from": a, "to": b, "rate": r} for (a, b), r in RATES.items()],
    })  # fmt: skip


def exact(times: np.ndarray) -> np.ndarray:
    names = [*STATES, "dead"]
    a = np.zeros((4, 4))
    for (f, g), r in RATES.items():
        a[names.index(g), names.index(f)] += r
        a[names.index(f), names.index(f)] -= r
    return np.array([expm(a * t) @ START for t in times])


def engine_stocks(weeks: float) -> tuple[np.ndarray, np.ndarray]:
    traj = simulate(linear_scenario(weeks))
    times = np.concatenate([[0.0], traj.grid.period_end])
    return times, traj.stocks[:, :, 0].reshape(len(times), 4, -1).sum(axis=2)


def test_matches_matrix_exponential_to_rk4_accuracy():
    # RK4's local error per weekly step is ~z^5/120 of the fast component (z = 41/52 for acute):
    # at most ~2e-4 of the acute stock while the start-up transient decays in the first weeks,
    # then below 1e-7 of every stock. Inputs are uncertain by 10% or more (evidence.md 7.1).
    times, got = engine_stocks(1.0)
    relative = np.abs(got - exact(times)) / np.maximum(exact(times), 1.0)
    assert relative.max() < 5e-4
    assert relative[times > 0.25].max() < 1e-6


def test_halving_the_step_converges_at_fourth_order():
    errors = []
    for weeks in (0.5, 0.25, 0.125):  # rate x step below 0.75: never split into internal steps (`steps`)
        times, got = engine_stocks(weeks)
        errors.append(np.max(np.abs(got - exact(times))))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(r > 10 for r in ratios), ratios  # fourth order: ~16 per halving


def test_flows_and_person_years_are_consistent_with_stocks():
    traj = simulate(linear_scenario(1.0, years=2.0))
    # every flow is rate x RK4 time-integral of its source
    py = traj.person_years[:, traj.layout.src, 0]
    rate = np.array([RATES[(traj.layout.compartments[a], traj.layout.compartments[b])]
                     for a, b in zip(traj.layout.unravel(traj.layout.src)[0], traj.layout.unravel(traj.layout.dst)[0],
                                     strict=True)])  # fmt: skip
    np.testing.assert_allclose(traj.flows[:, :, 0], py * rate, rtol=1e-12)
    # stocks change by inflows minus outflows
    change = np.diff(traj.stocks[:, :, 0], axis=0)
    net = np.zeros_like(change)
    np.add.at(net.T, traj.layout.dst, traj.flows[:, :, 0].T)
    np.subtract.at(net.T, traj.layout.src, traj.flows[:, :, 0].T)
    np.testing.assert_allclose(change, net, atol=1e-7)


def test_weekly_costs_are_exact_for_a_constant_stock():
    s = scenario_from_dict({
        "name": "constant", "start_year": 2026, "horizon_years": 5, "discount_rate": 0.035,
        "age_bands": ["all"], "states": ["residential"], "demography": {"ageing": False},
        "initial": {"residential": {"all": 100}}, "transitions": [],
        "costs": {"per_person_week": {"residential": {"council": 700}}},
    })  # fmt: skip
    result = to_result(simulate(s))
    total = result.costs["cost_gbp"].sum()
    assert total == pytest.approx(100 * 700 * WEEKS_PER_YEAR * 5, rel=1e-12)
    grid = TimeGrid.for_scenario(s, "full")
    mids = (np.arange(grid.n_steps) + 0.5) * grid.step_years
    discounted = 100 * 700 * WEEKS_PER_YEAR * grid.step_years * (1.035**-mids).sum()
    assert result.costs["cost_gbp_discounted"].sum() == pytest.approx(discounted, rel=1e-12)


def test_a_batch_equals_its_members_run_alone():
    base = small_scenario()
    tighter = {"residential": {"places": 300}, "home_care": {"places": 250, "waiting_acute_risk_multiplier": 1.3}}
    variants = [base, small_scenario(capacity=tighter), base]
    budgets = [0.0, 150_000.0, 400_000.0]
    batch = []
    for scenario, budget in zip(variants, budgets, strict=True):
        data = scenario.model_dump(by_alias=True)
        data["interventions"][0]["budget"] = budget
        batch.append(scenario_from_dict(data))
    together = simulate(batch)
    for i, member in enumerate(batch):
        alone = simulate(member)
        np.testing.assert_allclose(together.stocks[..., i], alone.stocks[..., 0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(together.costs[..., i], alone.costs[..., 0], rtol=1e-12, atol=1e-9)


def test_yearly_record_sums_the_full_record():
    s = small_scenario()
    full, yearly = simulate(s), simulate(s, record="yearly")
    assert yearly.flows.shape[0] == 3
    np.testing.assert_allclose(yearly.flows.sum(axis=0), full.flows.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(yearly.stocks[-1], full.stocks[-1], rtol=1e-12)
    np.testing.assert_allclose(yearly.costs.sum(axis=0), full.costs.sum(axis=0), rtol=1e-10)
