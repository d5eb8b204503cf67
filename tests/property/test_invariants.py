"""Invariants that must hold for any scenario: people are conserved, no stock goes negative, an
unfunded intervention changes nothing, and more places never lengthen queues."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import small_scenario_dict
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict

RULES = st.sampled_from(["wait", "overflow", "lost"])
RATE = st.floats(0.0, 3.0)


@st.composite
def scenarios(draw):
    data = small_scenario_dict(horizon_years=draw(st.sampled_from([1, 2])))
    for t in data["transitions"]:
        if t["to"] == "community" and t["from"] == "acute":
            t["rate"] = draw(st.floats(5.0, 60.0))
        elif isinstance(t["rate"], dict):
            t["rate"] = {band: draw(RATE) for band in t["rate"]}
        else:
            t["rate"] = draw(RATE)
    data["capacity"] = {
        "residential": {"places": draw(st.floats(0, 600)), "when_full": draw(RULES)},
        "home_care": {"places": draw(st.floats(0, 600)), "when_full": draw(RULES),
                      "waiting_acute_risk_multiplier": draw(st.floats(1.0, 2.0))},
    }  # fmt: skip
    iv = data["interventions"][0]
    iv["budget"] = draw(st.floats(0, 2e6))
    iv["referrals"] = {"community": draw(st.floats(0, 2)), "home_care": draw(st.floats(0, 2))}
    iv["programme_years"] = draw(st.floats(0.1, 3))
    iv["ramp_up"] = {"build_years": draw(st.floats(0, 3)), "loss_years": draw(st.floats(0, 1)),
                     "initial_places": draw(st.floats(0, 5000))}  # fmt: skip
    iv["effect_years_after"] = draw(st.sampled_from([0.0, 0.5, 2.0]))
    data["demography"]["entrants_per_year"] = {"18-64": draw(st.floats(0, 5000))}
    return scenario_from_dict(data)


def _assert_conserved(traj) -> np.ndarray:
    """Everyone at the start plus every entrant is somewhere at every step, and no stock is negative;
    returns the total people at each recorded time."""
    totals = traj.stocks[:, :, 0].sum(axis=1)
    entered = np.concatenate([[0.0], np.cumsum(traj.entrants[:, :, 0].sum(axis=1))])
    expected = totals[0] + entered
    assert np.max(np.abs(totals - expected) / expected) < 1e-9
    assert traj.stocks.min() >= -1e-9 * expected.max()
    return totals


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_people_are_conserved_and_never_negative(scenario):
    traj = simulate(scenario)
    _assert_conserved(traj)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_capacity_is_respected_unless_the_rule_is_overflow(scenario):
    traj = simulate(scenario)
    for i, resource in enumerate(traj.layout.resources):
        if resource.rule == "overflow":
            continue
        start = scenario.initial.get(resource.name, {})
        initial = (
            sum(start.values()) if i < traj.layout.n_capacity else scenario.interventions[0].ramp_up.initial_places
        )
        # a resource may start above its places; it may never rise above max(places, what it held)
        over = traj.occupied[:, i, 0] - np.maximum(traj.places[:, i, 0], initial)
        assert over.max() <= 1e-6 * max(1.0, traj.places[:, i, 0].max())


def _by_state(result):
    return result.timeseries.groupby(["time", "state", "age_band"])["people"].sum()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_an_unfunded_intervention_reproduces_the_baseline(scenario):
    """To rounding: the programme's (empty) stocks and fast flows can add internal sub-steps to a step (the step rule
    looks at rates, not at who is there), which moves the last bit of a sum; a real effect would be far larger."""
    data = scenario.model_dump(by_alias=True)
    data["interventions"][0]["budget"] = 0.0
    data["interventions"][0]["ramp_up"]["initial_places"] = 0.0
    unfunded = to_result(simulate(scenario_from_dict(data)))
    data["interventions"] = []
    baseline = to_result(simulate(scenario_from_dict(data)))
    a, b = _by_state(unfunded), _by_state(baseline)
    a = a[a != 0]
    b = b[b != 0]
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        unfunded.costs.groupby(["service", "payer"])["cost_gbp"].sum(),
        baseline.costs.groupby(["service", "payer"])["cost_gbp"].sum(),
        rtol=1e-12,
        atol=1e-9,
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.floats(1.0, 300.0))
def test_more_places_never_lengthen_queues(scenario, extra):
    data = scenario.model_dump(by_alias=True)
    for resource in data["capacity"].values():
        resource["when_full"] = "wait"
    fewer = scenario_from_dict(data)
    data["capacity"]["residential"]["places"] += extra
    more = scenario_from_dict(data)
    waiting = [simulate(s).waiting[:, :, 0] for s in (fewer, more)]
    residential = [r.name for r in simulate(fewer).layout.resources].index("residential")
    assert np.all(waiting[1][:, residential] <= waiting[0][:, residential] + 1e-6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_pruning_unreachable_flows_changes_nothing(scenario):
    import leftshift.engines.stockflow.engine as engine
    from leftshift.engines.model import build_layout

    pruned = simulate(scenario)
    original = engine.build_layout
    engine.build_layout = lambda s: build_layout(s, prune=False)
    try:
        full = simulate(scenario)
    finally:
        engine.build_layout = original
    assert len(pruned.layout.src) <= len(full.layout.src)
    np.testing.assert_allclose(pruned.stocks, full.stocks, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(pruned.costs, full.costs, rtol=1e-9, atol=1e-6)


@st.composite
def origin_scenarios(draw):
    """The scenarios above with hospital stays that remember care home and home care origins, people
    already waiting at the start and a death rate of their own for people delayed in hospital."""
    data = draw(scenarios()).model_dump(by_alias=True, exclude={"uncertainty", "correlations", "sources"})
    data["remember_origin"] = ["acute"]
    data["transitions"] += [
        {"from": "residential", "to": "acute", "rate": draw(RATE)},
        {"from": "acute", "origin": "residential", "rate": draw(st.floats(5.0, 60.0)),
         "split": {"residential": draw(st.floats(0.5, 0.95)), "dead": 0.05, "community": 0.0}},
        {"from": "acute", "origin": "home_care", "to": "home_care", "rate": draw(st.floats(5.0, 60.0))},
    ]  # fmt: skip
    data["transitions"][-2]["split"]["community"] = 0.95 - data["transitions"][-2]["split"]["residential"]
    if data["capacity"]["residential"]["when_full"] == "wait":
        data["initial_waiting"] = {"acute->residential": draw(st.floats(0, 100))}
    data["delayed_discharge"] = {"death_rate": draw(st.floats(0.0, 2.0))}
    return scenario_from_dict(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(origin_scenarios())
def test_people_are_conserved_with_origins_and_initial_queues(scenario):
    traj = simulate(scenario)
    totals = _assert_conserved(traj)
    result = to_result(traj)
    assert not result.timeseries.duplicated(["time", "state", "age_band", "programme"]).any()
    by_time = result.timeseries.groupby("time")["people"].sum().to_numpy()
    assert np.allclose(by_time, totals, rtol=1e-12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(origin_scenarios())
def test_held_places_never_take_a_service_over_its_places(scenario):
    traj = simulate(scenario)
    for i, resource in enumerate(traj.layout.resources[: traj.layout.n_capacity]):
        if resource.rule == "overflow":
            continue
        initial = traj.stocks[0, resource.occupied, 0].sum()
        over = traj.occupied[:, i, 0] - np.maximum(traj.places[:, i, 0], initial)
        assert over.max() <= 1e-6 * max(1.0, traj.places[:, i, 0].max())


@st.composite
def segmented_scenarios(draw):
    """The scenarios above (with origins) split into two or three segments: random shares by band, hazard
    multipliers, moves between segments, entrants joining by their own shares, a programme for some
    segments that moves its participants."""
    data = draw(origin_scenarios()).model_dump(by_alias=True, exclude={"uncertainty", "correlations", "sources"})
    names = ["frail", "fit", "isolated"][: draw(st.integers(2, 3))]
    keys = ["community->acute", "community->home_care", "home_care->residential", "acute->dead"]
    segments = {}
    for band in data["age_bands"]:
        weights = [draw(st.floats(0.0, 1.0)) + 1e-3 for _ in names]
        for name, w in zip(names, weights, strict=True):
            segments.setdefault(name, {"initial_share": {}, "hazard_multipliers": {}})["initial_share"][band] = w / sum(
                weights
            )
    for name in names:
        segments[name]["hazard_multipliers"] = {key: draw(st.floats(0.0, 3.0)) for key in keys}
    segments[names[0]]["initial_share"] = {b: 1 - sum(segments[n]["initial_share"][b] for n in names[1:])
                                           for b in data["age_bands"]}  # fmt: skip
    segments[names[0]]["entry_share"] = 1.0
    for name in names[1:]:
        segments[name]["entry_share"] = 0.0
    data["segments"] = segments
    data["segment_moves"] = {f"{a}->{b}": draw(RATE) for a in names for b in names if a != b}
    programme = data["interventions"][0]
    programme["eligible"]["segments"] = names[1:]
    programme["moves_segments"] = {f"{names[1]}->{names[0]}": draw(st.floats(0.0, 5.0))}
    return scenario_from_dict(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segmented_scenarios())
def test_people_are_conserved_with_segments(scenario):
    traj = simulate(scenario)
    totals = _assert_conserved(traj)
    result = to_result(traj)
    assert not result.timeseries.duplicated(["time", "state", "age_band", "segment", "programme"]).any()
    assert np.allclose(result.timeseries.groupby("time")["people"].sum().to_numpy(), totals, rtol=1e-12)
    for i, resource in enumerate(traj.layout.resources[: traj.layout.n_capacity]):  # places hold across segments
        if resource.rule != "overflow":
            initial = traj.stocks[0, resource.occupied, 0].sum()
            over = traj.occupied[:, i, 0] - np.maximum(traj.places[:, i, 0], initial)
            assert over.max() <= 1e-6 * max(1.0, traj.places[:, i, 0].max())
