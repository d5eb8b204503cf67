"""Every programme in the intervention library loads, runs on the Leeds-like baseline, has a source for every
number and distributions that make sense; scenarios/interventions is the library the package ships."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from builders import SCENARIOS
from leftshift.analysis.economics import compare
from leftshift.api import run
from leftshift.scenario.library import LIBRARY, library_names
from leftshift.scenario.loading import load_raw, load_scenario, scenario_from_dict
from leftshift.scenario.model import DEAD, Scenario

NAMES = library_names()
SHORT = ["horizon_years=4"]
EXTREMES = np.array([1e-4, 1 - 1e-4])


def host(tmp_path: Path, name: str) -> Scenario:
    """The Leeds-like baseline (which has every transition the library's programmes act on, residents'
    admissions included) with one library programme as its file's header shows it (`# Use it:`)."""
    text = (LIBRARY / f"{name}.yaml").read_text()
    [example] = re.findall(r"^# Use it: +(interventions: .*)$", text, re.M)
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"extends: {SCENARIOS / 'leeds-baseline.yaml'}\nname: with {name}\n{example}\n")
    data, lines = load_raw(path, SHORT)
    return scenario_from_dict(data, str(path), lines)


def test_scenarios_interventions_is_the_library_the_package_ships():
    """The repository's scenarios/interventions holds the same files as the installed package's library (the
    same folder in an editable install; a copy in site-packages after `pip install .`)."""
    shipped = {f.name: f.read_bytes() for f in (SCENARIOS / "interventions").glob("*.yaml")}
    assert shipped == {f.name: f.read_bytes() for f in LIBRARY.glob("*.yaml")}
    assert len(NAMES) >= 9


@pytest.mark.parametrize("name", NAMES)
def test_each_programme_runs_and_fills_its_places(tmp_path, name):
    scenario = host(tmp_path, name)
    baseline = scenario.model_copy(update={"interventions": []})
    result, base = run(scenario), run(baseline)
    head = compare(base, result).headline.iloc[0]
    assert head["intervention_spend_gbp"] > 0 and np.isfinite(head["net_savings_gbp_discounted"])
    end = result.timeseries[result.timeseries["time"] == result.timeseries["time"].max()]
    taking_part = end[(end["programme"] == scenario.interventions[0].name) & (end["state"] != DEAD)]["people"].sum()
    programme = scenario.interventions[0]
    places = scenario.budget_gbp(programme, int(end["year"].max())) / programme.cost_per_participant_year
    assert 0.3 * places < taking_part <= places * 1.001, (taking_part, places)


def _numbers(node, path: str = ""):
    """(key path, value) of every number written in an intervention item, as the loader names them."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


@pytest.mark.parametrize("name", NAMES)
def test_every_number_has_a_source_and_every_range_makes_sense(tmp_path, name):
    scenario = host(tmp_path, name)
    item = scenario.interventions[0].model_dump(exclude={"budget", "name", "description"})
    for path, _ in _numbers(item):
        key = f"interventions[0].{path}"
        assert scenario.sources.get(key, "").strip(), f"{name}: {path} has no source note"
    uncertain = {k.removeprefix("interventions[0]."): d for k, d in scenario.uncertainty.items()
                 if k.startswith("interventions[0].")}  # fmt: skip
    assert "cost_per_participant_year" in uncertain and any(k.startswith("effects.") for k in uncertain), name
    for key, dist in uncertain.items():
        low, high = dist.ppf(EXTREMES)
        assert 0 <= low < high, (name, key, low, high)
        if key.startswith("effects."):
            move = key.removeprefix("effects.")
            leaves_hospital = move.startswith("acute->") and not move.endswith(DEAD)
            assert low > 0 and high <= 1.3, (name, key, low, high)  # relative risks near 1
            assert leaves_hospital or dist.central() <= 1, (name, key)  # only faster discharge may raise a rate
        if key == "cost_per_participant_year":
            assert low > 0 and high / low < 10, (name, key, low, high)


def test_the_shipped_left_shift_is_built_from_the_library():
    text = (SCENARIOS / "leeds-left-shift.yaml").read_text()
    assert "use: neighbourhood-networks" in text and "use: falls-prevention" in text
    scenario = load_scenario(SCENARIOS / "leeds-left-shift.yaml")
    assert [iv.name for iv in scenario.interventions] == ["Neighbourhood networks", "Falls prevention exercise"]
