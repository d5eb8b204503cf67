"""roles: headline outcomes found by the part a state plays, not by its name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.analysis import batch as batch_metrics
from leftshift.analysis.metrics import compute
from leftshift.analysis.plausibility import check_scenario
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import scenario_from_dict

RENAME = {"acute": "hospital", "residential": "nursing_home", "home_care": "domiciliary"}
ROLES = {"hospital": "hospital", "care_home": "nursing_home", "home_care": "domiciliary"}
HEADLINE = ["emergency_admissions", "care_home_admissions", "home_care_admissions", "acute_bed_days",
            "delayed_discharge_bed_days", "waiting_at_home_person_years", "person_years_at_home"]  # fmt: skip


def _renamed(node: Any) -> Any:
    """The same scenario with the states renamed (keys, values and 'a->b' transition keys)."""
    if isinstance(node, dict):
        return {_renamed(k): _renamed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v) for v in node]
    if isinstance(node, str):
        return "->".join(RENAME.get(part, part) for part in node.split("->"))
    return node


def _headline(data: dict[str, Any]) -> dict[str, float]:
    table = compute(to_result(simulate(scenario_from_dict(data))))
    return table.set_index("metric")["value"].to_dict()


def test_renamed_states_with_roles_give_the_same_headline_numbers():
    original = small_scenario_dict(horizon_years=2)
    renamed = {**_renamed(original), "roles": ROLES}
    a, b = _headline(original), _headline(renamed)
    for name in HEADLINE:
        assert a[name] > 0 or name == "delayed_discharge_bed_days", name
        assert b[name] == pytest.approx(a[name], rel=1e-12), name


def test_without_roles_renamed_states_lose_their_outcomes_and_are_warned_about():
    renamed = _renamed(small_scenario_dict(horizon_years=1))
    renamed["emergency_state"] = "hospital"
    s = scenario_from_dict(renamed)
    warnings = check_scenario(s)
    assert any("care_home role" in w for w in warnings) and any("home_care role" in w for w in warnings)
    assert not any("hospital role" in w for w in warnings)
    assert not check_scenario(scenario_from_dict({**renamed, "roles": ROLES}))


def test_emergency_state_follows_roles_hospital():
    data = {**_renamed(small_scenario_dict()), "roles": ROLES}
    assert scenario_from_dict(data).emergency_state == "hospital"
    assert scenario_from_dict(small_scenario_dict()).hospital_state == "acute"


def test_batch_metrics_read_the_roles_too():
    data = {**_renamed(small_scenario_dict(horizon_years=2)), "roles": ROLES}
    s = scenario_from_dict(data)
    summary = batch_metrics.summarise(simulate(s, record="yearly"))
    tidy = compute(to_result(simulate(s))).set_index("metric")["value"]
    for name in HEADLINE:
        assert np.isclose(summary.metrics[name][0], tidy[name], rtol=1e-9), name


@pytest.mark.parametrize(
    ("roles", "extra", "message"),
    [
        ({"care_home": "care_home"}, {}, "care_home"),
        ({"hospital": "community"}, {"emergency_state": "acute"}, "different states"),
        ({"hopsital": "acute"}, {}, "hopsital"),
    ],
)
def test_bad_roles_are_refused(roles, extra, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict({**small_scenario_dict(), "roles": roles, **extra})
