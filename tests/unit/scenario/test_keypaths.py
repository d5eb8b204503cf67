"""Key paths: one syntax everywhere, with a quoted form for keys that hold '.', '[' or '"'."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import small_scenario_dict
from leftshift.errors import LeftshiftError
from leftshift.experiments.runs import sweep, uncertainty
from leftshift.experiments.sensitivity import sensitivity
from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path, split_assignment
from leftshift.scenario.loading import load_scenario, scenario_from_dict
from leftshift.scenario.vary import parse_vary

keys = st.one_of(st.text(max_size=12), st.integers(min_value=0, max_value=10**6))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(keys, min_size=1, max_size=6))
def test_any_keys_round_trip(loc):
    path = format_path(loc)
    assert parse_path(path) == tuple(loc)
    assert format_path(parse_path(path)) == path
    assert split_assignment(f"{path}=1") == (path, "1")


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("interventions[0].budget", ("interventions", 0, "budget")),
        ("transitions[3].rate.85+", ("transitions", 3, "rate", "85+")),
        ("interventions[0].effects.community->acute", ("interventions", 0, "effects", "community->acute")),
        ('capacity["care.home"].places', ("capacity", "care.home", "places")),
        ('initial["a[1]"]["x\\"y"]', ("initial", "a[1]", 'x"y')),
    ],
)
def test_the_documented_syntax(path, loc):
    assert parse_path(path) == loc and format_path(loc) == path


@pytest.mark.parametrize("bad", ["", ".a", "a..b", "a[0]b", "a[", 'a["x]', "a[-1]"])
def test_what_is_not_a_key_path(bad):
    with pytest.raises(KeyPathError):
        parse_path(bad)


def dotted_dict():
    """The small town with its care homes called 'care.home'."""
    text = yaml.safe_dump(small_scenario_dict(), sort_keys=False).replace("residential", "care.home")
    return yaml.safe_load(text)


PLACES = 'capacity["care.home"].places'


def test_set_reaches_a_key_with_a_dot(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(dotted_dict(), sort_keys=False))
    assert load_scenario(path, [f"{PLACES}=400"]).capacity["care.home"].places == 400


def test_errors_quote_a_key_with_a_dot(tmp_path):
    data = dotted_dict()
    data["capacity"]["care.home"]["places"] = -1
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(LeftshiftError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].path == PLACES


def test_sweep_samples_and_sensitivity_vary_a_key_with_a_dot():
    data = dotted_dict()
    data["capacity"]["care.home"]["places"] = {"dist": "uniform", "low": 300, "high": 500}
    scenario = scenario_from_dict(data)
    assert list(scenario.uncertainty) == [PLACES]
    table = sweep(scenario, [parse_vary(f"{PLACES}=300,500")]).table
    assert list(table[PLACES]) == [300, 500]
    assert table["total_cost_gbp"].nunique() == 2  # the places really changed
    draws = uncertainty(scenario, 8).samples
    assert draws[PLACES].nunique() == 8 and draws["total_cost_gbp"].nunique() > 1
    result = sensitivity(scenario, "total_cost", "oat")
    assert list(result.tornado["parameter"]) == [PLACES]
    assert np.isfinite(result.tornado["swing"]).all()
