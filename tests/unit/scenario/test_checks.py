"""Checks across keys for segments: unknown names, shares that do not sum to 1, multipliers of missing
transitions, each reported with the file, the key path and the line."""

from __future__ import annotations

import pytest
import yaml

from builders import segmented_scenario_dict, small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import load_scenario


def _problem(tmp_path, data):
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    lines = path.read_text().splitlines()
    return problem, lines[problem.line - 1] if problem.line else ""


def _isolated(data):
    return data["segments"]["isolated"]


CASES = {
    "shares not summing to 1": (
        lambda d: _isolated(d).update(initial_share=0.2), "segments.isolated.initial_share",
        "sum to 1 in every age band; they sum to '18-64' 1.1, '65+' 0.9"),
    "entry shares not summing to 1": (
        lambda d: _isolated(d).update(entry_share=0.5), "segments.isolated.entry_share", "'18-64' 1.4"),
    "unknown band in a share": (
        lambda d: _isolated(d)["initial_share"].update({"90+": 0.1}), "segments.isolated.initial_share.90+",
        "unknown age band '90+'"),
    "multiplier of a missing transition": (
        lambda d: _isolated(d)["hazard_multipliers"].update({"community->residential": 2}),
        "segments.isolated.hazard_multipliers.community->residential",
        "no transition 'community->residential'"),
    "unknown segment in a move": (
        lambda d: d["segment_moves"].update({"isolatd->connected": 0.1}), "segment_moves.isolatd->connected",
        "unknown segment 'isolatd'; did you mean 'isolated'?"),
    "a move to itself": (
        lambda d: d["segment_moves"].update({"connected->connected": 0.1}), "segment_moves.connected->connected",
        "to itself does nothing"),
    "unknown eligible segment": (
        lambda d: d["interventions"][0]["eligible"].update(segments=["lonely"]),
        "interventions[0].eligible.segments[0]", "unknown segment 'lonely'"),
    "unknown segment moved by a programme": (
        lambda d: d["interventions"][0]["moves_segments"].update({"isolated->lonely": 0.1}),
        "interventions[0].moves_segments.isolated->lonely", "unknown segment 'lonely'"),
    "a bad segment name": (
        lambda d: d["segments"].update({"a|b": {"initial_share": 0}}), "segments.a|b", "may not be empty"),
    "an unknown key": (
        lambda d: _isolated(d).update(hazard_multiplier={}), "segments.isolated.hazard_multiplier",
        "did you mean 'hazard_multipliers'?"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_segment_keys_name_file_key_and_line(tmp_path, case) -> None:
    change, path, message = case
    data = segmented_scenario_dict()
    change(data)
    problem, line = _problem(tmp_path, data)
    assert problem.path == path
    assert message in problem.message
    assert problem.file.endswith("town.yaml")
    written = path.rsplit(".", 1)[-1].split("[")[0]  # the key (or list) the line holds
    assert written in line or (path.endswith("]") and "lonely" in line)


@pytest.mark.parametrize(
    "change",
    [lambda d: d.update(segment_moves={"a->b": 0.1}),
     lambda d: d["interventions"][0]["eligible"].update(segments=["isolated"])],
    ids=["moves", "eligibility"],
)  # fmt: skip
def test_segment_keys_without_segments_are_errors(tmp_path, change) -> None:
    data = small_scenario_dict()
    change(data)
    problem, _ = _problem(tmp_path, data)
    assert "there are no `segments`" in problem.message
