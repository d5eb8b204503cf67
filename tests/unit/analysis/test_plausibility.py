"""Warnings for plausible-but-wrong inputs and results: each kind is raised when it should be, names the
key path, and stays quiet on a sound scenario."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from builders import SCENARIOS, small_scenario, small_scenario_dict
from leftshift.analysis import summary
from leftshift.analysis.economics import compare
from leftshift.analysis.plausibility import check_comparison, check_result, check_scenario, runaway
from leftshift.api import run
from leftshift.scenario.loading import load_scenario, scenario_from_dict


def _with_effect(value: float):
    data = small_scenario_dict()
    data["interventions"][0]["effects"] = {"community->acute": value}
    return scenario_from_dict(data)


def test_a_sound_scenario_has_no_scenario_warnings():
    assert check_scenario(small_scenario()) == []


@pytest.mark.parametrize("value", [0.05, 0.1, 0.0])
def test_effect_that_looks_like_a_reduction(value):
    [warning] = check_scenario(_with_effect(value))
    assert warning.startswith("interventions[0].effects.community->acute is")
    assert "relative risk" in warning
    if value == 0.05:
        assert "write 0.95" in warning


@pytest.mark.parametrize("value", [95, 10])
def test_effect_that_looks_like_a_percentage(value):
    [warning] = check_scenario(_with_effect(value))
    assert "interventions[0].effects.community->acute" in warning
    assert f"({value / 100:g})" in warning


@pytest.mark.parametrize("value", [0.2, 0.9, 1.0, 1.5, 5.0])
def test_effects_in_the_plausible_range_are_quiet(value):
    assert check_scenario(_with_effect(value)) == []


def test_more_people_at_the_start_than_places():
    data = small_scenario_dict()
    data["initial"]["residential"] = {"65+": 500}  # 380 places
    [warning] = check_scenario(scenario_from_dict(data))
    assert "initial.residential" in warning and "capacity.residential.places" in warning and "500" in warning


def test_entrants_into_a_capacity_limited_state():
    data = small_scenario_dict()
    data["demography"] = {"ageing": {"18-64": 0.021}, "entrants_per_year": {"65+": 100}, "entry_state": "home_care"}
    warnings = check_scenario(scenario_from_dict(data))
    assert any("demography.entry_state" in w and "capacity.home_care" in w for w in warnings), warnings


def test_entrants_into_an_unlimited_state_are_quiet():
    assert not any("entry_state" in w for w in check_scenario(small_scenario()))


def test_population_collapse():
    data = small_scenario_dict(horizon_years=3, demography={})
    data["transitions"] = [t for t in data["transitions"] if t["to"] != "dead"]
    data["transitions"].append({"from": "community", "to": "dead", "rate": 0.5})
    data["transitions"].append({"from": "home_care", "to": "dead", "rate": 0.5})
    data["transitions"].append({"from": "residential", "to": "dead", "rate": 0.5})
    data["transitions"].append({"from": "acute", "to": "dead", "rate": 1.2})
    warnings = check_result(run(scenario_from_dict(data)))
    assert any(w.startswith("the population falls from") and "'dead'" in w for w in warnings), warnings


def _queue_scenario(places: float, horizon: float = 8):
    data = small_scenario_dict(horizon_years=horizon, interventions=[])
    data["capacity"] = {"residential": {"places": places, "when_full": "wait"}}
    return scenario_from_dict(data)


@pytest.mark.parametrize("engine", ["stockflow", "des"])
def test_runaway_queue(engine):
    # too few care home places for demand: the queue grows year after year to the horizon (1 -> ~180)
    options = {"replications": 2, "jobs": 1} if engine == "des" else {}
    warnings = check_result(run(_queue_scenario(places=420), engine=engine, **options))
    assert any("queue for 'residential'" in w and "capacity.residential.places" in w for w in warnings), warnings


@pytest.mark.parametrize("engine", ["stockflow", "des"])
def test_a_queue_that_settles_is_quiet(engine):
    # a queue of about 240 that rises by about 1% a year at the end has settled
    options = {"replications": 2, "jobs": 1} if engine == "des" else {}
    assert check_result(run(_queue_scenario(places=300, horizon=12), engine=engine, **options)) == []


def test_runaway_rule():
    assert runaway(np.array([10, 40, 60, 80, 100, 120, 140.0]))  # linear growth: unbounded
    assert runaway(np.array([10, 40, 60, 80, 100, 96, 140, 150.0]))  # a noisy rise is still a rise
    assert not runaway(np.array([10, 40, 60, 70, 74, 75, 75.2, 75.3, 75.3, 75.4, 75.4]))  # settled
    assert not runaway(np.array([0.1, 0.5, 1, 2, 4, 8]))  # too few people to matter
    assert not runaway(np.array([100, 120.0]))  # too short a horizon to tell
    assert runaway(np.array([5, 20, 40.0]))  # a short horizon: every year counts


def test_runaway_queues_are_found_only_where_places_are_frozen():
    """The shipped Leeds baseline's places grow with need, so its queues stay near today's level and nothing is
    flagged; frozen at today's places (leeds-baseline-capacity-frozen.yaml) the care home and home care queues
    grow every year to the horizon, and both are flagged."""
    assert not [w for w in check_result(run(load_scenario(SCENARIOS / "leeds-baseline.yaml")))
                if w.startswith("the queue for")]  # fmt: skip
    warnings = check_result(run(load_scenario(SCENARIOS / "leeds-baseline-capacity-frozen.yaml")))
    assert {w.split("'")[1] for w in warnings if w.startswith("the queue for")} == {"residential", "home_care"}


def test_baseline_and_scenario_the_wrong_way_round():
    plain = run(small_scenario(horizon_years=2, interventions=[]))
    funded = run(small_scenario(horizon_years=2))
    assert check_comparison(compare(plain, funded)) == []
    [warning] = check_comparison(compare(funded, plain))
    assert "wrong way round" in warning and "less on interventions" in warning


def test_summary_records_scenario_and_result_warnings():
    data = copy.deepcopy(small_scenario_dict(horizon_years=8, interventions=[]))
    data["capacity"] = {"residential": {"places": 340, "when_full": "wait"}}  # 350 people start in it
    facts = summary.build(run(scenario_from_dict(data)))
    assert facts["warnings"][0].startswith("initial.residential")
    assert any("queue for 'residential'" in w for w in facts["warnings"][1:])
    json.dumps(facts)
    assert summary.build(run(small_scenario(horizon_years=1)))["warnings"] == []
