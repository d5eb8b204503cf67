"""The intervention library: `use:` items, overrides, key paths of the library's distributions, and errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from builders import small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.library import LIBRARY, library_names, merge_over
from leftshift.scenario.loading import load_scenario, resolved_yaml

BANDS = {"eligible": {"age_bands": ["65+"]}}  # the small scenario's old-age band (the library names 65-74 ...)
CARE_ENTRY = {"from": "community", "to": "residential", "rate": {"65+": 0.005}}  # neighbourhood networks acts on it


def scenario_with(tmp_path: Path, *items: dict, name: str = "s.yaml") -> Path:
    """The small scenario (written as a file, with moves into care homes) with these intervention items."""
    data = small_scenario_dict(interventions=list(items))
    data["transitions"].append(CARE_ENTRY)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problem_of(path: Path, *overrides: str):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return caught.value.problems[0]


def test_use_brings_in_the_programme_with_its_distributions_and_sources_under_the_items_index(tmp_path):
    written = small_scenario_dict()["interventions"][0]
    path = scenario_with(tmp_path, written, {"use": "falls-prevention", "budget": 500_000, **BANDS})
    scenario = load_scenario(path)
    falls = scenario.interventions[1]
    assert falls.name == "Falls prevention exercise" and falls.sector == "prevention" and falls.payer == "nhs"
    assert falls.cost_per_participant_year == 652 and falls.effects == {"community->acute": 0.97}
    for key in ("cost_per_participant_year", "effects.community->acute", "referrals.community"):
        path_key = f"interventions[1].{key}"
        assert path_key in scenario.uncertainty, path_key  # the library's dist, at this item's index
        assert "evidence.md" in scenario.sources[path_key] or "[EST]" in scenario.sources[path_key]
    assert scenario.uncertainty["interventions[1].effects.community->acute"].high == 0.99
    assert "C22" in scenario.sources["interventions[1].programme_years"]  # plain {value, source} notes too
    assert not any(k.startswith("interventions[0].") for k in scenario.uncertainty)


def test_overrides_replace_values_merge_mappings_and_null_drops_a_key(tmp_path):
    item = {
        "use": "neighbourhood-networks",
        "budget": 1e6,
        "cost_per_participant_year": 200,  # a plain number: no longer uncertain
        "effects": {"community->acute": 0.9, "home_care->residential": None},  # one changed, one dropped
        "referrals": {"home_care": 0.2},
        **BANDS,
    }
    scenario = load_scenario(scenario_with(tmp_path, item))
    nn = scenario.interventions[0]
    assert nn.cost_per_participant_year == 200 and nn.eligible.age_bands == ["65+"]
    assert nn.effects == {"community->acute": 0.9, "community->home_care": 0.9, "community->residential": 0.9}
    assert nn.referrals == {"community": 0.15, "home_care": 0.2}
    assert nn.eligible.states == ["community", "home_care"]  # kept from the library beside the new bands
    assert "interventions[0].cost_per_participant_year" not in scenario.uncertainty
    assert "interventions[0].effects.community->acute" not in scenario.uncertainty
    assert "interventions[0].effects.community->residential" in scenario.uncertainty


def test_item_correlations_are_lifted_with_the_items_index_and_dropped_when_a_value_is_made_certain(tmp_path):
    nn = {"use": "neighbourhood-networks", "budget": 1e6, **BANDS}
    path = scenario_with(tmp_path, small_scenario_dict()["interventions"][0], nn)
    [pair] = load_scenario(path).correlations
    assert (pair.a, pair.b, pair.rho) == (
        "interventions[1].effects.community->home_care",
        "interventions[1].effects.community->residential",
        0.7,
    )
    assert load_scenario(path, ["interventions[1].effects.community->home_care=0.8"]).correlations == []


def test_set_reaches_into_an_expanded_item(tmp_path):
    path = scenario_with(tmp_path, {"use": "falls-prevention", "budget": 5e5, **BANDS})
    scenario = load_scenario(path, ["interventions[0].effects.community->acute=0.9", "interventions[0].payer=council"])
    assert scenario.interventions[0].effects == {"community->acute": 0.9}
    assert scenario.interventions[0].payer == "council"
    assert "interventions[0].effects.community->acute" not in scenario.uncertainty


def test_an_unknown_name_lists_the_library_and_names_the_file_line_and_key(tmp_path):
    path = tmp_path / "s.yaml"
    data = small_scenario_dict(interventions=[])
    text = yaml.safe_dump(data, sort_keys=False).replace("interventions: []\n", "")
    path.write_text(text + "interventions:\n  - use: fals-prevention\n    budget: 1000\n")
    problem = problem_of(path)
    assert problem.file == str(path) and problem.path == "interventions[0].use"
    assert problem.line == text.count("\n") + 2
    assert "no programme 'fals-prevention'" in problem.message and "did you mean 'falls-prevention'" in problem.message
    for name in library_names():
        assert name in problem.message
    assert "\n" not in problem.message


def test_use_reads_a_file_relative_to_the_file_that_wrote_it(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "clinic.yaml").write_text(
        textwrap.dedent("""\
        name: Frailty clinic
        sector: prevention
        cost_per_participant_year: {dist: lognormal, median: 900, interval80: [700, 1200], source: "local audit"}
        referrals: {community: 0.01}
        effects: {community->acute: 0.95}
        """)
    )
    (tmp_path / "area").mkdir()
    base = scenario_with(tmp_path / "area", {"use": "../mine/clinic.yaml", "budget": 2e5}, name="base.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: area/base.yaml\nname: Child\n")  # the use is read relative to base.yaml
    for path in (base, child):
        scenario = load_scenario(path)
        assert scenario.interventions[0].name == "Frailty clinic"
        assert scenario.sources["interventions[0].cost_per_participant_year"] == "local audit"
    missing = scenario_with(tmp_path, {"use": "nowhere/clinic.yaml", "budget": 1})
    problem = problem_of(missing)
    assert "does not exist" in problem.message and problem.path == "interventions[0].use"
    as_file = problem_of(scenario_with(tmp_path, {"use": "befriending.yaml", "budget": 1}))
    assert "the library's programme is `use: befriending`" in as_file.message


def test_a_bad_value_in_a_library_file_is_reported_at_the_library_files_line(tmp_path):
    own = tmp_path / "bad.yaml"
    own.write_text("name: Bad\nsector: vcf\ncost_per_participant_year: -5\nreferrals: {community: 0.1}\n")
    problem = problem_of(scenario_with(tmp_path, {"use": "bad.yaml", "budget": 1}))
    assert problem.path == "interventions[0].cost_per_participant_year"
    assert (problem.file, problem.line) == (str(own), 3)


def test_a_missing_budget_is_reported_at_the_use_item(tmp_path):
    problem = problem_of(scenario_with(tmp_path, {"use": "befriending", **BANDS}))
    assert problem.path == "interventions[0].budget" and problem.file == str(tmp_path / "s.yaml")


@pytest.mark.parametrize(
    ("content", "words"),
    [("name: X\nuse: befriending\n", "uses another itself"), ("- a list\n", "not a YAML mapping")],
)
def test_a_library_file_must_be_one_programme_written_out(tmp_path, content, words):
    (tmp_path / "lib.yaml").write_text(content)
    assert words in problem_of(scenario_with(tmp_path, {"use": "lib.yaml", "budget": 1})).message


def test_the_resolved_scenario_is_self_contained(tmp_path):
    scenario = load_scenario(scenario_with(tmp_path, {"use": "neighbourhood-networks", "budget": 1e6, **BANDS}))
    text = resolved_yaml(scenario)
    assert "use:" not in text
    (tmp_path / "resolved.yaml").write_text(text)
    assert load_scenario(tmp_path / "resolved.yaml") == scenario


def test_a_distribution_override_replaces_the_librarys_distribution_whole():
    base = {"cost": {"dist": "pert", "low": 1, "mode": 2, "high": 3, "source": "x"}, "effects": {"a->b": 0.9}}
    over = {"cost": {"dist": "lognormal", "median": 2, "interval80": [1, 3]}, "effects": {"c->d": 0.8}}
    assert merge_over(base, over) == {"cost": over["cost"], "effects": {"a->b": 0.9, "c->d": 0.8}}
    assert base["effects"] == {"a->b": 0.9}  # the library's data is not changed


def test_the_library_is_shipped_inside_the_package():
    assert LIBRARY.parent.parent.name == "leftshift" and LIBRARY.is_dir()
    assert {"neighbourhood-networks", "falls-prevention", "befriending", "social-prescribing", "reablement",
            "enhanced-health-in-care-homes", "discharge-to-assess", "carers-support",
            "home-adaptations"} <= set(library_names())  # fmt: skip
