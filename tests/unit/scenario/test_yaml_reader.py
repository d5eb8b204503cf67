"""Hostile and surprising files are refused quickly, with a message naming the file and line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from builders import small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.yaml_reader import MAX_BYTES


def write(path: Path, data: dict | str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def problem_of(path: Path, *overrides: str):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    return caught.value.problems[0]


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
)


def test_billion_laughs_is_refused_in_under_a_second(tmp_path):
    start = time.perf_counter()
    problem = problem_of(write(tmp_path / "laughs.yaml", LAUGHS))
    assert time.perf_counter() - start < 1
    assert "refused" in problem.message and "expand" in problem.message


def test_a_recursive_alias_is_refused(tmp_path):
    assert "recursive alias" in problem_of(write(tmp_path / "loop.yaml", "a: &a [1, *a]\n")).message


def test_deep_nesting_is_refused(tmp_path):
    problem = problem_of(write(tmp_path / "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert "levels deep" in problem.message and problem.line == 1


def test_an_oversized_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing to read, only the size says no
    assert "MB" in problem_of(path).message


@pytest.mark.parametrize("target", ["/dev/zero", "DIR", "FIFO", "BINARY"])
def test_extends_of_something_that_is_not_a_text_file_is_refused(tmp_path, target):
    if target == "DIR":
        (tmp_path / "sub").mkdir()
        target = str(tmp_path / "sub")
    elif target == "FIFO":
        os.mkfifo(tmp_path / "pipe")
        target = str(tmp_path / "pipe")
    elif target == "BINARY":
        write(tmp_path / "bin.yaml", b"name: x\n\x00\x01\x02")
        target = str(tmp_path / "bin.yaml")
    elif not Path(target).exists():
        pytest.skip("no /dev/zero here")
    path = write(tmp_path / "child.yaml", {"extends": target, "name": "Child"})
    start = time.perf_counter()
    problem = problem_of(path)
    assert time.perf_counter() - start < 1
    assert any(w in problem.message for w in ("directory", "regular file", "binary"))


def test_a_long_extends_chain_is_refused(tmp_path):
    write(tmp_path / "f0.yaml", small_scenario_dict())
    for i in range(1, 20):
        write(tmp_path / f"f{i}.yaml", {"extends": f"f{i - 1}.yaml"})
    assert "deep" in problem_of(tmp_path / "f19.yaml").message
    load_scenario(tmp_path / "f10.yaml")  # a chain of 11 files is fine


def test_non_utf8_names_the_byte_and_line(tmp_path):
    text = yaml.safe_dump(small_scenario_dict(description="café"), sort_keys=False, allow_unicode=True)
    path = write(tmp_path / "latin1.yaml", text.encode("latin-1"))
    problem = problem_of(path)
    assert "UTF-8" in problem.message and "0xe9" in problem.message
    assert "café" in text.splitlines()[problem.line - 1]


def test_utf8_with_or_without_a_bom_is_read(tmp_path):
    text = yaml.safe_dump(small_scenario_dict(description="café"), sort_keys=False, allow_unicode=True)
    assert load_scenario(write(tmp_path / "plain.yaml", text.encode())).description == "café"
    assert load_scenario(write(tmp_path / "bom.yaml", b"\xef\xbb\xbf" + text.encode())).description == "café"


def test_a_duplicate_key_names_both_lines(tmp_path):
    text = yaml.safe_dump(small_scenario_dict(), sort_keys=False) + "horizon_years: 10\n"
    problem = problem_of(write(tmp_path / "dup.yaml", text))
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("horizon_years"))
    assert "horizon_years" in problem.message and f"lines {first} and" in problem.message
    assert problem.line == len(text.splitlines())


@pytest.mark.parametrize(
    ("key", "written", "words"),
    [
        ("horizon_years", "true", "true/false is not a number"),
        ("seed", "false", "true/false is not a number"),
        ("horizon_years", "0500", "leading zero"),
        ("horizon_years", "1:30", "sexagesimal"),
    ],
)
def test_numbers_that_are_not_what_they_look_like_are_errors(tmp_path, key, written, words):
    data = small_scenario_dict()
    data.pop(key)
    text = yaml.safe_dump(data, sort_keys=False) + f"{key}: {written}\n"
    problem = problem_of(write(tmp_path / "s.yaml", text))
    assert problem.path == key and words in problem.message and problem.line == len(text.splitlines())


def test_a_bool_where_a_capacity_is_expected_is_an_error(tmp_path):
    problem = problem_of(write(tmp_path / "s.yaml", small_scenario_dict()), "capacity.residential.places=true")
    assert problem.path == "capacity.residential.places" and "true/false" in problem.message


def test_yaml_12_numbers_are_read_as_numbers(tmp_path):
    s = load_scenario(write(tmp_path / "s.yaml", small_scenario_dict()), ["interventions[0].budget=5e6"])
    assert s.interventions[0].budget == 5e6


@pytest.mark.parametrize(
    ("bands", "words"),
    [
        (["65+", "18-64"], "last age band may be open"),
        (["18-64", "60-74", "75+"], "overlaps"),
        (["18-64", "70-74", "75+"], "gap"),
        (["65-74", "18-64"], "out of order"),
        (["18-64", "74-65"], "ends before it starts"),
    ],
)
def test_age_bands_must_tile_the_ages(tmp_path, bands, words):
    data = small_scenario_dict(age_bands=bands, initial={"community": 10}, interventions=[],
                               demography={"ageing": False})  # fmt: skip
    data["transitions"] = [{"from": "community", "to": "dead", "rate": 0.01}]
    problem = problem_of(write(tmp_path / "s.yaml", data))
    assert problem.path.startswith("age_bands") and words in problem.message


def test_one_initial_number_is_that_many_in_every_band(tmp_path):
    s = load_scenario(write(tmp_path / "s.yaml", small_scenario_dict(initial={"community": 50_000})))
    assert list(s.band_array(s.initial["community"])) == [50_000, 50_000]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"start_year": 2063, "horizon_years": 200}, "horizon_years", "after 2200"),
        ({"start_year": 12}, "start_year", "greater than or equal to 1900"),
        ({"time_step_weeks": 1e-9, "horizon_years": 200, "start_year": 1950}, "time_step_weeks", "steps"),
        (
            {"horizon_years": 200, "start_year": 1950, "costs": {"real_growth_per_year": 99}},
            "costs.real_growth_per_year",
            "fold",
        ),
        ({"capacity": {"residential": {"places": 1e308}}}, "capacity.residential.places", "less than or equal"),
    ],
)
def test_runs_the_engines_cannot_compute_are_refused(tmp_path, change, path, words):
    problem = problem_of(write(tmp_path / "s.yaml", small_scenario_dict(**change)))
    assert problem.path == path and words in problem.message


def test_a_growing_budget_that_would_overflow_is_refused(tmp_path):
    data = small_scenario_dict(horizon_years=200, start_year=1950)
    data["interventions"][0]["budget"] = {"start": 1e6, "growth": 50}
    problem = problem_of(write(tmp_path / "s.yaml", data))
    assert problem.path == "interventions[0].budget.growth" and problem.line is not None


def test_an_override_of_a_missing_item_names_the_file(tmp_path):
    path = write(tmp_path / "s.yaml", small_scenario_dict())
    problem = problem_of(path, "interventions[5].budget=1")
    assert problem.file == str(path) and problem.path == "interventions[5]"


def test_after_a_split_item_errors_and_set_use_the_files_item_index(tmp_path):
    data = small_scenario_dict()
    data["transitions"] = [t for t in data["transitions"] if t["from"] != "acute"]
    data["transitions"].insert(0, {"from": "acute", "rate": 40, "split": {"community": 0.9, "dead": 0.1}})
    data["transitions"][3]["to"] = "hospice"  # the file's item 3 (the expanded list's item 4)
    text = yaml.safe_dump(data, sort_keys=False)
    problem = problem_of(write(tmp_path / "s.yaml", text))
    assert problem.path == "transitions[3].to" and "hospice" in text.splitlines()[problem.line - 1]
    data["transitions"][3]["to"] = "residential"
    s = load_scenario(write(tmp_path / "ok.yaml", data), ["transitions[3].rate=0.5"])
    assert s.transition_items[3].rate == 0.5
    assert [t.key for t in s.transitions][:2] == ["acute->community", "acute->dead"]


REPO = Path(__file__).resolve().parents[3]
YAML_FILES = sorted([*REPO.glob("scenarios/**/*.yaml"), *REPO.glob("docs/examples/*.yaml")])
YAML_RULES = "a: 0500\nb: 1:30\nc: 0x1F\nd: 1_000\ne: -.inf\nf: yes\ng: ~\nh: [1, 2.5, {i: NO}]\n&x j: *x\n"


@pytest.mark.parametrize("text", [YAML_RULES, *(p.read_text(encoding="utf-8") for p in YAML_FILES)],
                         ids=["yaml-1.2-rules", *(p.name for p in YAML_FILES)])  # fmt: skip
def test_libyaml_events_give_what_pyyaml_alone_gives(text):
    """libyaml scans and parses (yaml_reader._FastLoader); the data, the numbers' types and the key paths' lines
    are the same as with PyYAML's own scanner and parser."""
    from leftshift.scenario import yaml_reader

    if yaml_reader._LibyamlEvents is None:
        pytest.skip("PyYAML has no libyaml here")
    trees = []
    for loader in (yaml_reader._Loader, yaml_reader._FastLoader):
        reader = loader(text)
        node = reader.get_single_node()
        trees.append((repr(reader.construct_document(node)), yaml_reader.line_map(node, "f")))
        reader.dispose()
    assert trees[0] == trees[1]
