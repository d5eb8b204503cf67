"""Monte Carlo uncertainty: draws follow their distributions, repeat with the seed, share common random
numbers with the baseline, and summarise into sensible percentiles and probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from builders import small_scenario_dict
from leftshift.analysis.batch import summarise
from leftshift.engines.stockflow.engine import simulate
from leftshift.errors import LeftshiftError, ScenarioError
from leftshift.experiments.runs import uncertainty
from leftshift.scenario.loading import scenario_from_dict

ACUTE_COST = "costs.per_person_week.acute.nhs"
EFFECT = "interventions[0].effects.community->acute"


def uncertain(**changes) -> dict:
    data = small_scenario_dict(**changes)
    data["costs"]["per_person_week"]["acute"]["nhs"] = {"dist": "triangular", "low": 2400, "mode": 2800, "high": 3500}
    if data["interventions"]:
        effects = data["interventions"][0]["effects"]
        effects["community->acute"] = {"dist": "pert", "low": 0.75, "mode": 0.9, "high": 1.0}
        effects["community->home_care"] = {"dist": "lognormal", "median": 0.85, "interval80": [0.75, 0.95]}
    return data


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_dict(uncertain())


@pytest.fixture(scope="module")
def baseline():
    return scenario_from_dict(uncertain(name="Small town baseline", interventions=[]))


@pytest.fixture(scope="module")
def draws(scenario, baseline):
    return uncertainty(scenario, 300, baseline=baseline)


def test_each_parameter_is_a_latin_hypercube_of_its_distribution(scenario, draws):
    n = len(draws.samples)
    assert n == 300 and set(draws.parameters) == {ACUTE_COST, EFFECT, "interventions[0].effects.community->home_care"}
    for name in draws.parameters:
        values = draws.samples[name].to_numpy()
        dist = scenario.uncertainty[name]
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            # one draw per 1/n stratum: the share below the q-quantile is q to within 1/n
            assert abs(np.mean(values < dist.ppf(np.array(q))) - q) <= 1 / n + 1e-12


def test_draws_repeat_with_the_seed_and_change_with_it(scenario):
    a = uncertainty(scenario, 20, seed=11).samples
    b = uncertainty(scenario, 20, seed=11).samples
    c = uncertainty(scenario, 20, seed=12).samples
    assert a.equals(b)
    assert not np.allclose(a[ACUTE_COST], c[ACUTE_COST])


def test_percentiles_bracket_the_central_run_and_probabilities_match_the_draws(scenario, draws):
    central = summarise(simulate(scenario, record="yearly")).metrics
    rows = draws.metrics.set_index("metric")
    for name in ("emergency_admissions", "acute_bed_days", "downstream_cost_gbp_discounted"):
        r = rows.loc[name]
        assert r["p5"] <= r["p25"] <= r["p50"] <= r["p75"] <= r["p95"]
        assert r["p5"] <= central[name][0] <= r["p95"]
    p = draws.probabilities
    assert p["p_net_savings_positive"] == pytest.approx((draws.samples["net_savings_gbp_discounted"] > 0).mean())
    assert 0 <= p["p_roi_above_1"] <= p["p_net_savings_positive"] <= 1
    yearly = draws.series[draws.series["series"] == "cumulative_net_savings_gbp_discounted"]
    assert list(yearly["year"]) == [2026, 2027, 2028]
    final = rows.loc["net_savings_gbp_discounted"]
    assert yearly.iloc[-1]["p50"] == pytest.approx(final["p50"])


def test_baseline_and_scenario_share_each_draw_of_a_common_parameter(baseline):
    """With a programme that costs and changes nothing, only common random numbers give zero savings in every draw."""
    data = uncertain()
    data["interventions"][0]["budget"] = 0
    data["interventions"][0]["effects"] = {"community->acute": 1.0}
    idle = scenario_from_dict(data)
    draws = uncertainty(idle, 40, baseline=baseline)
    assert draws.samples[ACUTE_COST].std() > 100  # the acute cost does vary ...
    np.testing.assert_allclose(draws.samples["net_savings_gbp_discounted"], 0, atol=1e-3)  # ... identically in both
    assert draws.probabilities["p_net_savings_positive"] <= 1


def test_correlations_are_imposed_on_the_draws():
    data = uncertain()
    data["correlations"] = [{"a": ACUTE_COST, "b": EFFECT, "rho": 0.6}]
    draws = uncertainty(scenario_from_dict(data), 400)
    rho = stats.spearmanr(draws.samples[ACUTE_COST], draws.samples[EFFECT]).statistic
    assert abs(rho - 0.6) < 0.1  # sampling error of a rank correlation at n = 400 is about 0.04


def test_a_distribution_that_reaches_impossible_values_is_refused_before_any_run():
    data = uncertain()
    data["transitions"][0]["rate"]["65+"] = {"dist": "normal", "mean": 0.25, "sd": 0.1}
    with pytest.raises(
        ScenarioError, match=r"a draw of transitions\[0\]\.rate\.65\+=-0\.1.* makes the scenario invalid"
    ):
        uncertainty(scenario_from_dict(data), 10)


def test_a_scenario_without_distributions_is_refused():
    with pytest.raises(LeftshiftError, match="no uncertain parameters"):
        uncertainty(scenario_from_dict(small_scenario_dict()), 10)
