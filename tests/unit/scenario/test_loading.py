"""Reading scenario files: extends, overrides, source notes, and errors that name file, key and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from builders import small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import load_scenario, resolved_yaml, scenario_hash


def write(path: Path, data: dict | str) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def problem_of(path: Path, *overrides: str):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return caught.value.problems[0]


def test_extends_deep_merges_and_keeps_lists_of_the_child(tmp_path):
    write(tmp_path / "base.yaml", small_scenario_dict())
    write(
        tmp_path / "child.yaml", {"extends": "base.yaml", "name": "Child", "capacity": {"residential": {"places": 999}}}
    )
    child = load_scenario(tmp_path / "child.yaml")
    assert child.name == "Child"
    assert child.capacity["residential"].places == 999
    assert child.capacity["residential"].when_full == "wait"  # merged from the base
    assert child.capacity["home_care"].places == 330


def test_extends_cycle_is_rejected(tmp_path):
    write(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "A"})
    write(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "B"})
    assert "cycle" in problem_of(tmp_path / "a.yaml").message


def test_overrides_reach_any_key_path_and_record_their_source(tmp_path):
    data = small_scenario_dict()
    data["capacity"]["residential"]["places"] = {"value": 380, "source": "evidence.md S5"}
    path = write(tmp_path / "s.yaml", data)
    s = load_scenario(path, ["capacity.residential.places=400", "interventions[0].budget=5e6",
                             "transitions[0].rate.65+=0.3"])  # fmt: skip
    assert s.capacity["residential"].places == 400
    assert s.interventions[0].budget == 5e6
    assert s.transitions[0].rate == {"18-64": 0.07, "65+": 0.3}
    assert "--set capacity.residential.places=400" in s.sources["capacity.residential.places"]


def test_source_notes_are_kept_in_the_resolved_scenario(tmp_path):
    data = small_scenario_dict()
    data["initial"]["community"]["65+"] = {"value": 10_000, "source": "ONS mid-2022"}
    s = load_scenario(write(tmp_path / "s.yaml", data))
    assert s.initial["community"]["65+"] == 10_000
    assert s.sources == {"initial.community.65+": "ONS mid-2022"}
    again = load_scenario(write(tmp_path / "resolved.yaml", resolved_yaml(s)))
    assert again == s
    assert scenario_hash(again) == scenario_hash(s)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"horizon_yeras": 5}, "horizon_yeras", "did you mean 'horizon_years'"),
        ({"discount_rate": -0.1}, "discount_rate", "greater than or equal to 0"),
        ({"transitions": [{"from": "comunity", "to": "acute", "rate": 0.1}]}, "transitions[0].from",
         "did you mean 'community'"),
        ({"transitions": [{"from": "community", "to": "acute", "rate": -0.1}]}, "transitions[0].rate",
         "greater than or equal to 0"),
        ({"transitions": [{"from": "community", "to": "acute", "rate": {"85": 0.1}}]}, "transitions[0].rate.85",
         "unknown age band"),
        ({"capacity": {"residential": {"places": -1}}}, "capacity.residential.places", "greater than or equal to 0"),
        ({"capacity": {"residential": {"places": 10, "when_full": "queue"}}}, "capacity.residential.when_full",
         "'wait', 'overflow' or 'lost'"),
        ({"costs": {"per_person_week": {"acute": {"nsh": 10}}}}, "costs.per_person_week.acute.nsh", "nsh"),
        ({"start_year": "soon"}, "start_year", "whole number"),
    ],
)  # fmt: skip
def test_each_class_of_bad_input_names_its_key_path_and_line(tmp_path, change, path, words):
    data = small_scenario_dict(**change)
    problem = problem_of(write(tmp_path / "bad.yaml", data))
    assert problem.path == path
    assert words in problem.message
    assert problem.file == str(tmp_path / "bad.yaml")
    assert problem.line is not None


def test_an_intervention_problem_points_at_its_line(tmp_path):
    data = small_scenario_dict()
    data["interventions"][0]["effects"] = {"community->residential": 0.9}
    text = yaml.safe_dump(data, sort_keys=False)
    problem = problem_of(write(tmp_path / "bad.yaml", text))
    assert problem.path == "interventions[0].effects.community->residential"
    assert "no transition" in problem.message
    line = text.splitlines()[problem.line - 1]
    assert "community->residential" in line


def test_broken_yaml_reports_the_line(tmp_path):
    path = write(tmp_path / "broken.yaml", textwrap.dedent("""\
        name: x
        states: [community, acute
        start_year: 2026
    """))  # fmt: skip
    problem = problem_of(path)
    assert "not valid YAML" in problem.message
    assert problem.line in (2, 3)


def test_a_missing_file_is_a_clear_error(tmp_path):
    assert "cannot read" in problem_of(tmp_path / "nowhere.yaml").message


def test_yaml_is_read_safely(tmp_path):
    path = write(tmp_path / "evil.yaml", "name: !!python/object/apply:os.system ['echo hacked']\n")
    assert "not valid YAML" in problem_of(path).message


def test_split_transitions_expand_and_their_shares_must_sum_to_one(tmp_path):
    data = small_scenario_dict()
    data["transitions"] = [t for t in data["transitions"] if t["from"] != "acute"]
    data["transitions"].append({"from": "acute", "rate": 40, "split": {"community": 0.8, "home_care": 0.2}})
    s = load_scenario(write(tmp_path / "ok.yaml", data))
    assert {(t.from_state, t.to, t.rate) for t in s.transitions if t.from_state == "acute"} == {
        ("acute", "community", 32.0), ("acute", "home_care", 8.0)}  # fmt: skip
    data["transitions"][-1]["split"]["home_care"] = 0.3
    problem = problem_of(write(tmp_path / "bad.yaml", data))
    assert problem.path == f"transitions[{len(data['transitions']) - 1}].split"
    assert "sum to 1" in problem.message and problem.line is not None


def test_set_adds_a_new_year_to_a_budget_by_year(tmp_path):
    data = small_scenario_dict()
    data["interventions"][0]["budget"] = {2026: 1000.0, 2028: 2000.0}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    scenario = load_scenario(path, ["interventions[0].budget.2030=750000"])
    assert scenario.interventions[0].budget == {2026: 1000.0, 2028: 2000.0, 2030: 750000.0}


def test_set_fixing_an_uncertain_value_drops_its_correlations(tmp_path):
    """`--set key=number` fixes a value: its rank correlations go (they need two distributions); the others stay,
    and a later problem still names the line it was written on."""
    path = tmp_path / "s.yaml"
    data = small_scenario_dict()
    tri = {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.3}
    data["transitions"][0]["rate"] = {"18-64": dict(tri), "65+": dict(tri)}
    data["transitions"][2]["rate"] = {"18-64": dict(tri, low=0.001, mode=0.003, high=0.005), "65+": 0.04}
    data["correlations"] = [
        {"a": "transitions[0].rate.18-64", "b": "transitions[0].rate.65+", "rho": 0.5},
        {"a": "transitions[0].rate.65+", "b": "transitions[2].rate.18-64", "rho": 0.3},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    s = load_scenario(path, ["transitions[0].rate.18-64=0.15"])
    assert [(c.a, c.b) for c in s.correlations] == [("transitions[0].rate.65+", "transitions[2].rate.18-64")]
    assert len(load_scenario(path).correlations) == 2
    kept = load_scenario(path, ["transitions[0].rate.18-64={dist: uniform, low: 0.1, high: 0.2}"])
    assert len(kept.correlations) == 2
