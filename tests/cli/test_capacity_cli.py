"""`leftshift validate` names the key and the problem for bad capacity, fixed-share and discounting keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli

BAD = {
    "both places and budget": (
        {"capacity": {"residential": {"places": 10, "budget": 1e6, "cost_per_place_year": 5e4}}},
        "capacity.residential", "exactly one of 'places' or 'budget'"),
    "neither": ({"capacity": {"residential": {"when_full": "wait"}}}, "capacity.residential", "exactly one of"),
    "budget without a cost": ({"capacity": {"residential": {"budget": 1e6}}}, "capacity.residential",
                              "cost_per_place_year"),
    "a negative share": ({"costs": {"fixed_share": {"residential": -0.2}}}, "costs.fixed_share.residential",
                         "greater than or equal to 0"),
    "a share above 1": ({"costs": {"fixed_share": {"residential": 1.2}}}, "costs.fixed_share.residential",
                        "less than or equal to 1"),
    "an unknown discounting": ({"discounting": "weekly"}, "discounting", "annual"),
    "negative places in a year": ({"capacity": {"residential": {"places": {2026: 10, 2028: -3}}}},
                                  "capacity.residential.places", "greater than or equal to 0"),
}  # fmt: skip


@pytest.mark.parametrize(("change", "path", "message"), BAD.values(), ids=BAD.keys())
def test_bad_keys_are_named_with_the_problem(tmp_path: Path, change, path, message):
    data = small_scenario_dict()
    for key, value in change.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) and key != "capacity" else value
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    done = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["validate", str(file)], prog_name="leftshift")
    assert done.exit_code == 2, done.output
    assert path in done.stderr and message in done.stderr, done.stderr


def test_good_new_keys_validate(tmp_path: Path):
    data = small_scenario_dict()
    data["discounting"] = "annual"
    data["capacity"] = {"residential": {"budget": {2026: 1e6, 2028: 8e5}, "cost_per_place_year": 4e4}}
    data.setdefault("costs", {})["fixed_share"] = {"acute": 0.5}
    file = tmp_path / "good.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    done = CliRunner().invoke(cli, ["validate", str(file)], prog_name="leftshift")
    assert done.exit_code == 0, done.stderr
