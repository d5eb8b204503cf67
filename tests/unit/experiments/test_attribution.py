"""The scenario without one programme: valid, the programme (and its notes and distributions) gone, and the
baseline's run reused when that is all that is left."""

from __future__ import annotations

from builders import small_scenario, small_scenario_dict
from leftshift.experiments.attribution import same_run, without_programme

OTHER = small_scenario_dict()["interventions"][0] | {"name": "Second", "budget": 50_000}


def test_without_a_programme_the_rest_stays():
    s = small_scenario(interventions=[small_scenario_dict()["interventions"][0], OTHER])
    rest = without_programme(s, "Neighbourhood network")
    assert [iv.name for iv in rest.interventions] == ["Second"]
    assert rest.uncertainty == {} and rest.sources == {}
    assert rest.name == "Small town without Neighbourhood network"


def test_same_run_ignores_names_and_notes_only():
    base = small_scenario(name="Base", interventions=[])
    assert same_run(without_programme(small_scenario(), "Neighbourhood network"), base)
    assert not same_run(small_scenario(), base)
    assert not same_run(small_scenario(interventions=[], seed=8), base)
