"""remember_origin, initial_waiting and delayed_discharge: layout, starting stocks, rates, validation, and
care home residents going back to a care home at their own rate."""

from __future__ import annotations

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.engines.model import build_layout
from leftshift.engines.parameters import build_parameters
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.errors import LeftshiftError
from leftshift.scenario.loading import resolved_yaml, scenario_from_dict


def origin_dict(**changes):
    data = small_scenario_dict(**changes)
    data["transitions"] += [
        {"from": "residential", "to": "acute", "rate": 0.6},
        {"from": "acute", "origin": "residential", "rate": 36.5, "split": {"residential": 0.9, "dead": 0.1}},
    ]
    data["remember_origin"] = ["acute"]
    data["interventions"] = []
    return data


def test_layout_has_an_origin_compartment_reported_as_its_state() -> None:
    s = scenario_from_dict(origin_dict())
    lay = build_layout(s)
    assert lay.origins == (("acute", "residential"),)
    assert "acute|from:residential" in lay.compartments
    assert lay.state_names[lay.compartments.index("acute|from:residential")] == "acute"
    c = lay.compartments.index("acute|from:residential")
    src_c, dst_c = lay.unravel(lay.src)[0], lay.unravel(lay.dst)[0]
    into = {lay.compartments[x] for x in src_c[dst_c == c]}
    assert into == {"residential", "acute|from:residential"}  # admissions and ageing
    out = {lay.compartments[x] for x in dst_c[src_c == c]} - {"acute|from:residential"}
    assert out == {"residential", "dead"}  # its own transitions only, none of acute's plain ones
    residential = next(r for r in lay.resources if r.name == "residential")
    assert c in set(lay.unravel(residential.occupied)[0])  # the care home place is held during the stay
    to_hospital = np.flatnonzero(dst_c == c)
    assert not set(to_hospital) & set(residential.departures)
    assert not (src_c[residential.admissions] == c).any()  # going back is not an admission: no queue
    deaths = np.flatnonzero((src_c == c) & (dst_c == lay.compartments.index("dead")))
    assert set(deaths) <= set(residential.departures)  # dying in hospital frees the place
    result = to_result(simulate(s))
    assert not result.timeseries["state"].str.contains("from:").any()
    assert not result.flows["source"].str.contains("from:").any()
    assert not result.costs["service"].str.contains("from:").any()
    assert not result.timeseries.duplicated(["time", "state", "age_band", "programme"]).any()


def test_care_home_residents_return_at_their_origin_rate() -> None:
    data = origin_dict(horizon_years=1)
    data["capacity"] = {}
    s = scenario_from_dict(data)
    traj = simulate(s)
    lay = traj.layout
    c = lay.compartments.index("acute|from:residential")
    moved = traj.flows[:, :, 0].sum(axis=0)
    src_c, dst_c = lay.unravel(lay.src)[0], lay.unravel(lay.dst)[0]
    residential, community = lay.compartments.index("residential"), lay.compartments.index("community")
    back = moved[(src_c == c) & (dst_c == residential) & (lay.kind == 0)].sum()
    home = moved[(src_c == c) & (dst_c == community)].sum()
    person_years = traj.person_years[:, :, 0].sum(axis=0)[lay.stocks_of(c)].sum()
    assert home == 0
    assert back == pytest.approx(36.5 * 0.9 * person_years, rel=1e-9)


def test_without_the_new_keys_the_resolved_yaml_does_not_mention_them() -> None:
    text = resolved_yaml(scenario_from_dict(small_scenario_dict()))
    for key in ("origin", "remember_origin", "initial_waiting", "delayed_discharge"):
        assert f"{key}:" not in text
    again = resolved_yaml(scenario_from_dict(origin_dict()))
    assert "remember_origin:" in again and "origin: residential" in again


def test_initial_waiting_fills_the_queue_stock() -> None:
    data = small_scenario_dict()
    data["initial_waiting"] = {"acute->residential": {"65+": 25}, "community->home_care": 3}
    s = scenario_from_dict(data)
    lay = build_layout(s)
    init = build_parameters([s], lay).initial[:, 0]
    q = lay.compartments.index("waiting:acute->residential")
    assert init[lay.index(q, 1, 0)] == 25 and init[lay.index(q, 0, 0)] == 0
    h = lay.compartments.index("waiting:community->home_care")
    assert init[lay.index(h, 0, 0)] == 3 and init[lay.index(h, 1, 0)] == 3
    assert to_result(simulate(s)).timeseries.query("time == 0 and state == 'waiting:acute->residential'")[
        "people"].sum() == 25  # fmt: skip


def test_people_in_hospital_at_the_start_can_remember_their_care_home() -> None:
    """`initial_with_origin`: residents in hospital at the start are in the origin compartment, hold their
    place (the care home counts them), and go back at their own rate from the first step."""
    data = origin_dict(horizon_years=1)
    data["capacity"] = {"residential": {"places": 370, "when_full": "wait"}}
    data["initial_with_origin"] = {"residential->acute": {"65+": 20}}
    s = scenario_from_dict(data)
    traj = simulate(s)
    lay = traj.layout
    c = lay.compartments.index("acute|from:residential")
    assert traj.stocks[0, lay.index(c, 1, 0), 0] == 20 and traj.stocks[0, lay.index(c, 0, 0), 0] == 0
    queues = to_result(traj).queues.query("resource == 'residential'")
    assert 365 < queues["occupied"].iloc[0] <= 370 + 1e-9  # 350 in the home + 20 holding a place, less deaths

    def first_returns(scenario) -> float:
        flows = to_result(simulate(scenario)).flows
        return flows[(flows["time"] == flows["time"].min()) & (flows["kind"] == "return")]["people"].sum()

    del data["initial_with_origin"]
    extra = first_returns(s) - first_returns(scenario_from_dict(data))
    assert extra == pytest.approx(20 * 0.9 * (1 - np.exp(-36.5 * traj.grid.step_years)), rel=0.01)


@pytest.mark.parametrize(("key", "message"), [
    ("residential->acute", None),
    ("home_care->acute", "nobody in 'acute' remembers coming from 'home_care'"),
    ("acute", "is not of the form 'origin->state'"),
])  # fmt: skip
def test_initial_with_origin_must_name_a_remembered_origin(key, message) -> None:
    data = origin_dict()
    data["initial_with_origin"] = {key: 5}
    if message is None:
        assert scenario_from_dict(data).initial_with_origin == {key: 5}
    else:
        with pytest.raises(LeftshiftError, match=message):
            scenario_from_dict(data)


def test_waiting_death_rate_replaces_the_hospital_rate_for_delayed_patients() -> None:
    data = small_scenario_dict()
    data["delayed_discharge"] = {"death_rate": {"65+": 0.25}}
    s = scenario_from_dict(data)
    lay = build_layout(s)
    rate = build_parameters([s], lay).rate[:, 0]
    q = lay.compartments.index("waiting:acute->residential")
    dead = lay.compartments.index("dead")
    src_c, src_b, src_k = lay.unravel(lay.src)
    edges = (src_c == q) & (lay.unravel(lay.dst)[0] == dead) & (src_k == 0)
    assert sorted(rate[edges]) == [0.0, 0.25]
    other = lay.compartments.index("waiting:home_care->residential")
    at_home = (src_c == other) & (lay.unravel(lay.dst)[0] == dead) & (src_k == 0) & (src_b == 1)
    assert rate[at_home].tolist() == [0.1]  # people waiting at home keep their own rate


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"remember_origin": ["hospital"]}, "unknown state 'hospital'"),
        ({"transitions": [{"from": "acute", "origin": "residential", "to": "dead", "rate": 1}]},
         "does not remember"),
        ({"initial_waiting": {"acute->community": 5}}, "no queue 'acute->community'"),
        ({"initial_waiting": {"acute->residential": {"90+": 5}}}, "unknown age band '90\\+'"),
        ({"delayed_discharge": {"death_rate": {"90+": 1}}}, "unknown age band '90\\+'"),
        ({"delayed_dischrge": {}}, "delayed_discharge"),
        ({"delayed_discharge": {"deconditioning": {"to": "community", "extra_share_per_week": 0.1}}},
         "can only come to need a service"),
        ({"delayed_discharge": {"deconditioning": {"to": "residential", "extra_share_per_week": 1}}},
         "extra_share_per_week"),
    ],
)  # fmt: skip
def test_bad_keys_are_reported(change, message) -> None:
    data = small_scenario_dict()
    extra = change.pop("transitions", [])
    data["transitions"] += extra
    data.update(change)
    with pytest.raises(LeftshiftError, match=message):
        scenario_from_dict(data, "town.yaml")


def test_origin_without_a_way_in_is_reported() -> None:
    data = origin_dict()
    data["transitions"] = [t for t in data["transitions"] if not (t["from"] == "residential" and t["to"] == "acute")]
    with pytest.raises(LeftshiftError, match="no transition 'residential->acute'"):
        scenario_from_dict(data, "town.yaml")


def test_origins_conserve_people() -> None:
    traj = simulate(scenario_from_dict(origin_dict()))
    totals = traj.stocks[:, :, 0].sum(axis=1)
    entered = np.concatenate([[0.0], np.cumsum(traj.entrants[:, :, 0].sum(axis=1))])
    assert np.max(np.abs(totals - totals[0] - entered) / totals) < 1e-9


def test_deconditioning_moves_the_weekly_share_between_hospital_queues() -> None:
    data = small_scenario_dict()
    data["delayed_discharge"] = {"deconditioning": {"to": "residential", "extra_share_per_week": 0.1}}
    s = scenario_from_dict(data)
    lay = build_layout(s)
    rate = build_parameters([s], lay).rate[:, 0]
    worse = np.flatnonzero(lay.kind == 6)
    src, dst = lay.unravel(lay.src[worse])[0], lay.unravel(lay.dst[worse])[0]
    assert {lay.compartments[c] for c in src} == {"waiting:acute->home_care"}
    assert {lay.compartments[c] for c in dst} == {"waiting:acute->residential"}
    assert np.allclose(1 - np.exp(-rate[worse] * 7 / 365.25), 0.1)
    flows = to_result(simulate(s)).flows
    assert flows.query("kind == 'deconditioning'")["people"].sum() > 0
    base = to_result(simulate(scenario_from_dict(small_scenario_dict()))).flows
    assert "deconditioning" not in set(base["kind"])
