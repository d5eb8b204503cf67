"""Calibration recovers known values: observations made by the model itself with changed values, fitted from the
scenario's own values, come back to the changed values (within 1%, and in fact far closer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import SCENARIOS, small_scenario, small_scenario_dict
from leftshift.analysis.yearly import yearly
from leftshift.api import calibrate, run
from leftshift.scenario.loading import load_scenario, scenario_from_dict

RTOL = 0.01


def observations(truth, metrics: list[str], bands: list[str]) -> pd.DataFrame:
    """The truth's yearly figures for these metrics and bands, as observed.csv would hold them."""
    table = yearly(run(truth))
    rows = table[table["metric"].isin(metrics) & table["age_band"].isin(bands)]
    return rows[["year", "metric", "age_band", "value"]].reset_index(drop=True)


def test_three_rates_of_the_small_town_come_back():
    data = small_scenario_dict()
    data["transitions"][0]["rate"]["65+"] = 0.29  # community->acute (scenario: 0.25)
    data["transitions"][2]["rate"]["65+"] = 0.034  # community->dead (0.04)
    data["transitions"][3]["rate"] = 0.19  # home_care->residential (0.15)
    observed = observations(scenario_from_dict(data), ["emergency_admissions", "deaths", "care_home_admissions"],
                            ["all", "65+"])  # fmt: skip
    fits = ["transitions[0].rate.65+=0.1:0.5", "transitions[2].rate.65+=0.01:0.1", "transitions[3].rate=0.05:0.5"]
    done = calibrate(small_scenario(), observed, fits)
    fitted = done.parameters.set_index("parameter")["fitted"]
    np.testing.assert_allclose(fitted.to_numpy(), [0.29, 0.034, 0.19], rtol=RTOL)
    np.testing.assert_allclose(fitted.to_numpy(), [0.29, 0.034, 0.19], rtol=1e-6)  # exact data: far closer
    assert done.converged and done.parameters["identifiable"].all()
    assert done.rms("start") > 0.01 and done.rms() < 1e-8
    assert len(done.fit) == len(observed) and done.runs > 1


def test_a_programmes_effect_and_referral_rate_come_back_within_their_distributions():
    """Leeds with its left-shift programme over 5 years: the effect on admissions and the community referral
    rate, bounded by their PERT distributions, from admissions by band and the programme's starts."""
    overrides = ["horizon_years=5"]
    scenario = load_scenario(SCENARIOS / "leeds-left-shift.yaml", overrides)
    changed = ["interventions[0].effects.community->acute=0.88", "interventions[0].referrals.community=0.17"]
    truth = load_scenario(SCENARIOS / "leeds-left-shift.yaml", [*overrides, *changed])
    observed = observations(truth, ["emergency_admissions", "programme_starts"], ["all", "65-74", "75-84", "85+"])
    done = calibrate(scenario, observed, ["interventions[0].effects.community->acute",
                                          "interventions[0].referrals.community"])  # fmt: skip
    params = done.parameters.set_index("parameter")
    assert params["bounds"].str.startswith("the range of pert").all()
    np.testing.assert_allclose(params["fitted"].to_numpy(), [0.88, 0.17], rtol=RTOL)
    assert params["identifiable"].all()
    assert not done.scenario.uncertainty.get("interventions[0].effects.community->acute")


def test_a_value_the_observations_do_not_depend_on_is_reported():
    observed = observations(small_scenario(), ["emergency_admissions"], ["all", "65+"])
    done = calibrate(small_scenario(), observed, ["transitions[0].rate.65+=0.1:0.5",
                                                  "costs.per_person_week.acute.nhs=1000:5000"])  # fmt: skip
    assert done.unidentified() == ["costs.per_person_week.acute.nhs"]
    assert done.parameters["fitted"][0] == pytest.approx(0.25, rel=1e-6)
