"""The fit's numbers without the model: --fit parsing, bounds from distributions, residuals, the Jacobian and the
optimiser on small functions whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from leftshift.analysis.fitting import (
    STEP,
    FitParameter,
    distribution_bounds,
    fit,
    jacobian,
    parse_fit,
    relative_residuals,
)
from leftshift.errors import LeftshiftError
from leftshift.scenario.distributions import parse_distribution


@pytest.mark.parametrize(("text", "expected"), [
    ("transitions[0].rate.85+", ("transitions[0].rate.85+", None)),
    ("transitions[0].rate.85+=0.3:0.8", ("transitions[0].rate.85+", (0.3, 0.8))),
    ("interventions[0].budget = 1e5 : 2e6", ("interventions[0].budget", (1e5, 2e6))),
    ('capacity["care.home"].places=10:20', ('capacity["care.home"].places', (10.0, 20.0))),
    ('capacity.["care.home"].places', ('capacity["care.home"].places', None)),  # written as leftshift writes it
])  # fmt: skip
def test_parse_fit(text, expected):
    assert parse_fit(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("rate..x=1:2", "is not a key path"),
    ("rate=1", "expects KEY.PATH or KEY.PATH=LOW:HIGH"),
    ("rate=1:2:3", "expects KEY.PATH or KEY.PATH=LOW:HIGH"),
    ("rate=a:2", "'a' is not a finite number"),
    ("rate=1:inf", "'inf' is not a finite number"),
    ("rate=2:1", "LOW must be below HIGH"),
    ("rate=1:1", "LOW must be below HIGH"),
])  # fmt: skip
def test_parse_fit_refuses(text, message):
    with pytest.raises(LeftshiftError, match=message):
        parse_fit(text)


@pytest.mark.parametrize(("spec", "low", "high", "where"), [
    ({"dist": "triangular", "low": 1, "mode": 2, "high": 4}, 1.0, 4.0, "the range of triangular"),
    ({"dist": "pert", "low": 1, "mode": 2, "high": 4}, 1.0, 4.0, "the range of pert"),
    ({"dist": "uniform", "low": -1, "high": 1}, -1.0, 1.0, "the range of uniform"),
    ({"dist": "normal", "mean": 10, "sd": 1}, 10 - 2.5758293, 10 + 2.5758293, "0.5th to 99.5th percentiles"),
])  # fmt: skip
def test_distribution_bounds(spec, low, high, where):
    got_low, got_high, got_where = distribution_bounds(parse_distribution(spec))
    assert got_low == pytest.approx(low) and got_high == pytest.approx(high)
    assert where in got_where


@pytest.mark.parametrize("spec", [
    {"dist": "lognormal", "median": 2, "interval80": [1, 4]},
    {"dist": "beta", "mean": 0.2, "sd": 0.05},
    {"dist": "gamma", "mean": 3, "sd": 1},
])  # fmt: skip
def test_other_distributions_give_their_tail_percentiles(spec):
    dist = parse_distribution(spec)
    low, high, _ = distribution_bounds(dist)
    assert (low, high) == pytest.approx(tuple(dist.ppf(np.array([0.005, 0.995]))))


def test_relative_residuals_are_weighted_and_relative():
    r = relative_residuals(np.array([110.0, 9.0]), np.array([100.0, 10.0]), np.array([1.0, 4.0]))
    np.testing.assert_allclose(r, [0.1, -0.2])


def test_jacobian_is_central_inside_and_one_sided_at_a_bound():
    calls = []

    def model(points):
        calls.append(len(points))
        return 100 * (1 + points[:, :1] ** 2 + 3 * points[:, 1:2])  # (n, 1): one observed figure

    observed, weight = np.array([100.0]), np.array([1.0])
    inside = jacobian(model, np.array([0.5, 0.5]), observed, weight)
    np.testing.assert_allclose(inside, [[1.0, 3.0]], rtol=1e-6)
    at_top = jacobian(model, np.array([1.0, 0.0]), observed, weight)
    np.testing.assert_allclose(at_top, [[2 - STEP, 3.0]], rtol=1e-6)
    assert calls == [4, 4]  # every point of a Jacobian in one call


def test_fit_recovers_known_values_within_their_bounds():
    """A smooth, non-linear 'model' of two values with 6 observed figures, from a start far from the answer."""
    t = np.arange(6.0)
    truth = np.array([0.3, 40.0])

    def evaluate(points):
        a, b = points[:, :1], points[:, 1:2]
        return b * np.exp(a * t / 5) + 10 * a

    params = [FitParameter("a", 0.05, 0.0, 1.0, "--fit"), FitParameter("b", 10.0, 1.0, 100.0, "--fit")]
    steps = []
    found = fit(evaluate, params, evaluate(truth[None])[0], np.ones(6), progress=steps.append)
    np.testing.assert_allclose(found.values, truth, rtol=1e-7)
    assert found.converged and np.abs(found.residuals).max() < 1e-9
    assert found.jacobian.shape == (6, 2) and found.runs >= len(steps) > 0
    assert np.abs(found.start_model - evaluate(np.array([[0.05, 10.0]]))[0]).max() < 1e-12


def test_fit_stops_at_a_bound_when_the_answer_lies_beyond_it():
    params = [FitParameter("a", 0.5, 0.0, 1.0, "--fit")]
    found = fit(lambda p: 10 * p, params, np.array([20.0]), np.ones(1))  # the answer, 2, is above the bound
    assert found.values[0] == pytest.approx(1.0)
