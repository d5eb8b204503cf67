"""Sensitivity: SALib's indices and the tornado find what matters, and ignore what cannot matter."""

from __future__ import annotations

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.errors import LeftshiftError
from leftshift.experiments.sensitivity import sensitivity
from leftshift.scenario.loading import scenario_from_dict

ACUTE_COST = "costs.per_person_week.acute.nhs"
EFFECT = "interventions[0].effects.community->acute"
HOME_CARE_COST = "costs.per_person_week.home_care.council"


@pytest.fixture(scope="module")
def scenario():
    """Three inputs: one cost that drives hospital cost, one effect that drives admissions, one cost that cannot
    change emergency admissions (costs never feed back into activity)."""
    data = small_scenario_dict()
    data["costs"]["per_person_week"]["acute"]["nhs"] = {"dist": "triangular", "low": 2400, "mode": 2800, "high": 3500}
    data["costs"]["per_person_week"]["home_care"]["council"] = {"dist": "uniform", "low": 250, "high": 350}
    data["interventions"][0]["effects"]["community->acute"] = {"dist": "pert", "low": 0.6, "mode": 0.8, "high": 1.0}
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def baseline():
    return scenario_from_dict(small_scenario_dict(name="Small town baseline", interventions=[]))


def test_sobol_finds_the_one_input_that_moves_admissions(scenario):
    result = sensitivity(scenario, "emergency_admissions", "sobol", samples=64)
    by = result.indices.set_index("parameter")
    assert result.indices["parameter"].iloc[0] == EFFECT
    assert by.loc[EFFECT, "ST"] > 0.9 and by.loc[EFFECT, "S1"] > 0.8
    for idle in (ACUTE_COST, HOME_CARE_COST):  # no effect on activity: zero variance share, exactly
        assert by.loc[idle, "ST"] == pytest.approx(0, abs=1e-9)
        assert by.loc[idle, "S1"] == pytest.approx(0, abs=1e-9)
    assert (by["S1_conf"] >= 0).all() and (by["ST_conf"] >= 0).all()
    assert len(result.runs) == 2 * 3 + 1 + 64 * (3 + 2)


def test_the_tornado_sets_one_input_at_a_time_to_its_5th_and_95th_percentile(scenario, baseline):
    result = sensitivity(scenario, "net_savings", "oat", baseline=baseline)
    assert result.metric == "net_savings_gbp_discounted"
    tornado = result.tornado.set_index("parameter")
    dist = scenario.uncertainty[EFFECT]
    assert tornado.loc[EFFECT, "value_low"] == pytest.approx(float(dist.ppf(np.array(0.05))))
    assert tornado.loc[EFFECT, "value_high"] == pytest.approx(float(dist.ppf(np.array(0.95))))
    # a weaker effect (relative risk nearer 1) saves less
    assert tornado.loc[EFFECT, "metric_high"] < result.central < tornado.loc[EFFECT, "metric_low"]
    assert list(result.tornado["swing"]) == sorted(result.tornado["swing"], reverse=True)
    assert len(result.runs) == 7


def test_morris_ranks_the_inputs(scenario):
    result = sensitivity(scenario, "emergency_admissions", "morris", samples=6)
    by = result.indices.set_index("parameter")
    assert result.indices["parameter"].iloc[0] == EFFECT
    assert by.loc[ACUTE_COST, "mu_star"] == pytest.approx(0, abs=1e-9)
    assert by.loc[EFFECT, "mu_star"] > 0


@pytest.mark.parametrize(
    ("metric", "comparing", "words"),
    [("net_savings", False, "compares with a baseline: add --baseline"), ("emergency_admision", False, "did you mean")],
)
def test_unknown_or_impossible_metrics_are_refused_before_any_run(scenario, baseline, metric, comparing, words):
    with pytest.raises(LeftshiftError, match=words):
        sensitivity(scenario, metric, "oat", baseline=baseline if comparing else None)
