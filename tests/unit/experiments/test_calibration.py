"""Setting up a calibration: what --fit names, where its bounds come from, bounds the scenario cannot take, and the
calibrated scenario written back (fitted values, source notes, distributions dropped, loadable as it is)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from builders import small_scenario_dict
from leftshift.errors import LeftshiftError, ScenarioError
from leftshift.experiments.calibration import (
    PARAMETER_COLUMNS,
    calibrate,
    calibrated_scenario,
    fit_parameters,
    prepare,
)
from leftshift.scenario.loading import resolved_yaml, scenario_from_dict
from leftshift.scenario.model import Scenario

UNCERTAIN = {"dist": "triangular", "low": 0.2, "mode": 0.25, "high": 0.35}


@pytest.fixture
def scenario() -> Scenario:
    data = small_scenario_dict()
    data["transitions"][0]["rate"]["65+"] = {**UNCERTAIN, "source": "A2"}
    data["costs"]["per_person_week"]["acute"]["nhs"] = {"dist": "normal", "mean": 2800, "sd": 100}
    data["correlations"] = [{"a": "transitions[0].rate.65+", "b": "costs.per_person_week.acute.nhs", "rho": 0.5}]
    data["transitions"][2]["rate"] = {"value": {"18-64": 0.003, "65+": 0.04}, "source": "ONS"}
    return scenario_from_dict(data)


def test_bounds_come_from_fit_or_from_the_distribution(scenario):
    a, b, c = fit_parameters(scenario, ["transitions[0].rate.65+", "transitions[2].rate.65+=0.01:0.1",
                                        "costs.per_person_week.acute.nhs"])  # fmt: skip
    assert (a.path, a.start, a.low, a.high) == ("transitions[0].rate.65+", 0.25, 0.2, 0.35)
    assert a.bounds.startswith("the range of triangular")
    assert (b.start, b.low, b.high, b.bounds) == (0.04, 0.01, 0.1, "--fit")
    assert c.low == pytest.approx(2800 - 257.58, abs=0.01) and "percentiles" in c.bounds


def test_a_start_outside_the_bounds_starts_at_the_nearest_bound(scenario):
    [p] = fit_parameters(scenario, ["transitions[2].rate.65+=0.05:0.1"])
    assert p.start == 0.05


def test_a_band_the_scenario_leaves_out_starts_in_the_middle(scenario):
    [p] = fit_parameters(scenario, ["transitions[1].rate.18-64=0:0.02"])  # community->home_care has only 65+
    assert p.start == 0.01


@pytest.mark.parametrize(("fits", "message"), [
    ([], "nothing to fit"),
    (["transitions[2].rate.65+"], "give bounds, e.g. --fit 'transitions[2].rate.65+=LOW:HIGH'"),
    (["transitions[2].rate=0:1"], "this is a mapping of values, not one number; fit one of them, e.g. "
                                  "transitions[2].rate.18-64"),
    (["capacity.nursing.places=1:2"], "the scenario has no value there"),
    (["name=1:2"], "'Small town' is not a number"),
    (["discount_rate=0:0.1", "discount_rate=0:0.2"], "a key path is given twice"),
])  # fmt: skip
def test_what_cannot_be_fitted(scenario, fits, message):
    with pytest.raises(LeftshiftError, match=message.replace("[", r"\[").replace("]", r"\]").replace("+", r"\+")):
        fit_parameters(scenario, fits)


def test_a_bound_the_scenario_cannot_take_is_refused_before_any_work(scenario):
    with pytest.raises(ScenarioError, match=r"--fit transitions\[2\]\.rate\.65\+=-0\.1 makes the scenario invalid"):
        prepare(scenario, fit_parameters(scenario, ["transitions[2].rate.65+=-0.1:0.1"]))


def test_observed_figures_the_model_does_not_report_are_refused(scenario):
    observed = pd.DataFrame({"year": ["2031"], "metric": ["deaths"], "value": ["10"]})
    with pytest.raises(LeftshiftError, match=r"obs\.csv, line 2 at year: 2031 is not simulated"):
        calibrate(scenario, observed, ["discount_rate=0:0.1"], source="obs.csv")


def test_the_calibrated_scenario(scenario):
    parameters = pd.DataFrame({
        "parameter": ["transitions[0].rate.65+", "transitions[2].rate.65+"], "start": [0.25, 0.04],
        "low": [0.2, 0.01], "high": [0.35, 0.1], "bounds": ["the range of triangular(...)", "--fit"],
        "fitted": [0.3, 0.05], "identifiable": [True, False], "standard_error": [0.01, np.nan],
        "ci95_low": [0.28, np.nan], "ci95_high": [0.32, np.nan], "sensitivity": [0.5, 0.0],
        "note": ["", "it has no effect on the observed figures within its bounds"],
    })[PARAMETER_COLUMNS]  # fmt: skip
    calibrated = calibrated_scenario(scenario, parameters, "obs.csv", 12)
    assert calibrated.name == "Small town (calibrated)"
    dump = calibrated.model_dump(by_alias=True)
    assert dump["transitions"][0]["rate"]["65+"] == 0.3 and dump["transitions"][2]["rate"]["65+"] == 0.05
    assert list(calibrated.uncertainty) == ["costs.per_person_week.acute.nhs"] and not calibrated.correlations
    note = calibrated.sources["transitions[0].rate.65+"]
    assert note.startswith("fitted by leftshift calibrate to 12 observed figures in obs.csv")
    assert "approximate 95% interval 0.28 to 0.32" in note
    assert "was uncertain: triangular(low=0.2, mode=0.25, high=0.35)" in note and "source before: A2" in note
    other = calibrated.sources["transitions[2].rate.65+"]
    assert "the data cannot identify it (it has no effect" in other and "interval" not in other
    assert calibrated.sources["transitions[2].rate"] == "ONS"  # notes on other paths stay
    again = scenario_from_dict(yaml.safe_load(resolved_yaml(calibrated)))
    assert again == calibrated


def test_the_command_line_default_is_the_librarys():
    from leftshift.cli import calibration as command
    from leftshift.experiments import calibration as library

    assert command.MAX_STEPS == library.MAX_STEPS
