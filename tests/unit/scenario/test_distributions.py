"""Distributions: central values, inverse CDFs against scipy, impossible parameters, loading from YAML,
and rank correlations (Iman-Conover)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from scipy import stats

from builders import small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.distributions import (
    correlation_problems,
    impose_rank_correlation,
    parse_distribution,
    quantile,
)  # fmt: skip
from leftshift.scenario.loading import load_scenario, resolved_yaml, scenario_from_dict

U = np.array([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])


@pytest.mark.parametrize(
    ("spec", "central", "reference"),
    [
        ({"dist": "triangular", "low": 1, "mode": 2, "high": 5}, 2, stats.triang(c=0.25, loc=1, scale=4)),
        ({"dist": "pert", "low": 0, "mode": 1, "high": 4}, 1, stats.beta(2, 4, loc=0, scale=4)),
        ({"dist": "normal", "mean": 3, "sd": 0.5}, 3, stats.norm(3, 0.5)),
        ({"dist": "lognormal", "mean": 100, "sd": 30}, 100, stats.lognorm(np.sqrt(np.log1p(0.09)),
                                                                           scale=100 / np.sqrt(1.09))),
        ({"dist": "lognormal", "median": 150, "interval80": [118, 180]}, 150,
         stats.lognorm((np.log(180) - np.log(118)) / (2 * stats.norm.ppf(0.9)), scale=150)),
        ({"dist": "beta", "alpha": 2, "beta": 6}, 0.25, stats.beta(2, 6)),
        ({"dist": "beta", "mean": 0.9, "sd": 0.05}, 0.9, stats.beta(0.9 * 35, 0.1 * 35)),
        ({"dist": "gamma", "mean": 4, "sd": 2}, 4, stats.gamma(4, scale=1)),
        ({"dist": "gamma", "shape": 2, "scale": 3}, 6, stats.gamma(2, scale=3)),
        ({"dist": "uniform", "low": 10, "high": 20}, 15, stats.uniform(10, 10)),
    ],
)  # fmt: skip
def test_central_value_and_inverse_cdf_match_scipy(spec, central, reference):
    dist = parse_distribution(spec)
    assert dist.central() == pytest.approx(central)
    np.testing.assert_allclose(dist.ppf(U), reference.ppf(U), rtol=1e-9)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"dist": "triangular", "low": 5, "mode": 2, "high": 4}, "low <= mode <= high"),
        ({"dist": "uniform", "low": 2, "high": 1}, "low < high"),
        ({"dist": "normal", "mean": 1, "sd": -0.1}, "sd must be 0 or more"),
        ({"dist": "beta", "mean": 1.2, "sd": 0.1}, "between 0 and 1"),
        ({"dist": "beta", "mean": 0.5, "sd": 0.6}, "sd must be above 0"),
        ({"dist": "lognormal", "mean": 3}, "give both mean and sd"),
        ({"dist": "lognormal", "median": 3, "interval80": [4, 5]}, "interval80 low < median"),
        ({"dist": "gamma", "mean": 3, "sd": -1}, "above 0"),
    ],
)
def test_impossible_parameters_are_refused_with_a_reason(spec, words):
    with pytest.raises(ValidationError, match=words):
        parse_distribution(spec)


def test_latin_hypercube_draws_have_the_distributions_moments():
    from scipy.stats import qmc

    u = qmc.LatinHypercube(1, rng=np.random.default_rng(3)).random(4000)[:, 0]
    dist = parse_distribution({"dist": "gamma", "mean": 4, "sd": 2})
    draws = quantile(dist, u)
    # a Latin hypercube's mean error is far below the iid standard error sd / sqrt(n) = 0.032
    assert abs(draws.mean() - 4) < 0.032
    assert abs(draws.std() - 2) < 0.05


def test_rank_correlation_is_imposed_without_changing_any_marginal():
    rng = np.random.default_rng(1)
    u = rng.random((2000, 3))
    target = np.array([[1, 0.7, -0.4], [0.7, 1, 0], [-0.4, 0, 1]])
    out = impose_rank_correlation(u, target, rng)
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))
    achieved = stats.spearmanr(out).statistic
    # Iman-Conover hits the target to within sampling error (about 1 / sqrt(n) = 0.022)
    np.testing.assert_allclose(achieved, target, atol=0.05)


def test_rank_correlation_with_fewer_draws_than_parameters_reorders_only_the_correlated_columns():
    """The scores' correlation matrix is singular when draws <= parameters: correlate the columns that need it."""
    rng = np.random.default_rng(2)
    u = rng.random((12, 30))
    target = np.eye(30)
    target[3, 7] = target[7, 3] = 0.9
    out = impose_rank_correlation(u, target, rng)
    untouched = [j for j in range(30) if j not in (3, 7)]
    np.testing.assert_array_equal(out[:, untouched], u[:, untouched])
    np.testing.assert_array_equal(np.sort(out, axis=0), np.sort(u, axis=0))
    assert stats.spearmanr(out[:, 3], out[:, 7]).statistic > 0.6
    three = target.copy()
    three[0, 1] = three[1, 0] = three[0, 2] = three[2, 0] = three[1, 2] = three[2, 1] = 0.5
    np.testing.assert_array_equal(impose_rank_correlation(u[:4], three, rng), u[:4])  # too few draws: as they are


def test_correlations_that_cannot_hold_together_are_refused():
    from leftshift.scenario.distributions import Correlation

    names = ["a", "b", "c"]
    bad = [Correlation(a="a", b="b", rho=0.9), Correlation(a="b", b="c", rho=0.9), Correlation(a="a", b="c", rho=-0.9)]
    assert "positive definite" in correlation_problems(names, bad)[0][2]
    assert "not an uncertain parameter" in correlation_problems(names, [Correlation(a="a", b="z", rho=0.1)])[0][2]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_distribution_in_a_file_runs_at_its_central_value_and_keeps_its_note(tmp_path):
    data = small_scenario_dict()
    data["capacity"]["residential"]["places"] = {"dist": "triangular", "low": 300, "mode": 380, "high": 500,
                                                 "source": "care home survey"}  # fmt: skip
    data["transitions"][0]["rate"]["65+"] = {"value": {"dist": "normal", "mean": 0.25, "sd": 0.02}, "source": "A2"}
    s = load_scenario(_write(tmp_path, data))
    assert s.capacity["residential"].places == 380
    assert s.transitions[0].rate["65+"] == 0.25
    assert set(s.uncertainty) == {"capacity.residential.places", "transitions[0].rate.65+"}
    assert s.sources["capacity.residential.places"] == "care home survey"
    assert s.sources["transitions[0].rate.65+"] == "A2"
    again = scenario_from_dict(yaml.safe_load(resolved_yaml(s)))
    assert again == s


def test_a_child_file_can_make_a_noted_value_uncertain(tmp_path):
    parent = small_scenario_dict()
    parent["capacity"]["residential"]["places"] = {"value": 380, "source": "survey"}
    (tmp_path / "parent.yaml").write_text(yaml.safe_dump(parent, sort_keys=False))
    child = {"extends": "parent.yaml", "capacity": {"residential": {"places": {"dist": "uniform", "low": 300,
                                                                               "high": 460}}}}  # fmt: skip
    (tmp_path / "child.yaml").write_text(yaml.safe_dump(child, sort_keys=False))
    s = load_scenario(tmp_path / "child.yaml")
    assert s.capacity["residential"].places == 380
    assert s.uncertainty["capacity.residential.places"].dist == "uniform"


def test_impossible_distributions_in_a_file_name_the_file_key_and_line(tmp_path):
    text = yaml.safe_dump(small_scenario_dict(), sort_keys=False)
    text = text.replace("places: 380", "places: {dist: triangular, low: 500, mode: 380, high: 450}")
    text = text.replace("waiting_acute_risk_multiplier: 1.3", "waiting_acute_risk_multiplier: {dist: beta, mean: 1.3, "
                        "sd: 0.1}")  # fmt: skip
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = text.splitlines()
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) == {"capacity.residential.places", "capacity.home_care.waiting_acute_risk_multiplier"}
    for p in problems.values():
        assert p.file == str(path)
        assert "dist:" in lines[p.line - 1]
    assert "low <= mode <= high" in problems["capacity.residential.places"].message


def test_unknown_distribution_names_are_listed(tmp_path):
    data = small_scenario_dict()
    data["capacity"]["residential"]["places"] = {"dist": "weibull", "k": 2}
    with pytest.raises(ScenarioError, match="unknown distribution 'weibull'; choose one of: triangular"):
        load_scenario(_write(tmp_path, data))
