"""Places that change over time: a cut stops admissions until occupancy falls below the new level and
evicts nobody (both engines); the avoided cost splits into cash-releasing savings and capacity freed."""

from __future__ import annotations

import numpy as np
import pytest

from leftshift.analysis.economics import compare
from leftshift.engines.des.engine import run_des
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import WEEKS_PER_YEAR


def care_homes(places, **extra):
    """Heavy demand for 100 care home places: full (with a queue) from the first weeks."""
    return scenario_from_dict({
        "name": "cut", "start_year": 2026, "horizon_years": 4, "seed": 3, "age_bands": ["65+"],
        "states": ["community", "residential", "acute"],
        "initial": {"community": 5000, "residential": 100},
        "transitions": [{"from": "community", "to": "residential", "rate": 0.01},
                        {"from": "community", "to": "acute", "rate": 0.2},
                        {"from": "acute", "to": "community", "rate": 36},
                        {"from": "residential", "to": "dead", "rate": 0.4}],
        "capacity": {"residential": places if isinstance(places, dict) and {"budget", "places"} & places.keys()
                     else {"places": places, "when_full": "wait"}},
        "costs": {"per_person_week": {"residential": {"council": 700}, "acute": {"nhs": 2800}}},
        **extra,
    })  # fmt: skip


CUT = {2026: 100, 2027: 60}


def _residential(frame):
    return frame[frame["resource"] == "residential"]


def test_a_cut_stops_admissions_until_occupancy_falls_and_evicts_nobody():
    traj = simulate(care_homes(CUT))
    q = _residential(to_result(traj).queues)
    after = q[q["year"] >= 2027]
    assert (after["capacity"] == 60).all()
    occupied = after["occupied"].to_numpy()
    # nobody is evicted: occupancy falls only as fast as residents die (rate 0.4 a year)
    h = traj.grid.step_years
    assert (np.diff(occupied) >= -0.4 * occupied[:-1] * h * 1.01 - 1e-9).all()
    start = q[q["year"] == 2026]["occupied"].iloc[-1]
    falling = occupied > 60 + 1e-6
    assert falling[0] and not falling[-1]
    # while above the new level nobody is admitted: exactly the deaths leave
    steps = int(falling.sum())
    np.testing.assert_allclose(occupied[steps - 1], start * np.exp(-0.4 * h * steps), rtol=1e-3)
    flows = to_result(traj).flows
    admits = flows[(flows["target"] == "residential") & (flows["year"] >= 2027)]
    assert admits.groupby("time")["people"].sum().iloc[: steps - 1].max() < 1e-9
    assert q["over_capacity"].max() > 0  # the residents above the new places are counted over capacity


def test_the_discrete_event_engine_cuts_without_evicting():
    res = run_des(care_homes(CUT), replications=2, jobs=1)
    q = _residential(res.queues)
    for _, rep in q.groupby("replication"):
        after = rep[rep["year"] >= 2027]
        assert (after["capacity"] == 60).all()
        occupied = after["occupied"].to_numpy()
        assert occupied[0] > 60 and occupied[-1] <= 60
        above = occupied > 60
        first_at = int(np.argmin(above))
        assert (np.diff(occupied[: first_at + 1]) <= 0).all()  # no admissions while above the places
        assert occupied[first_at:].max() <= 60


def test_closing_full_places_is_cash_releasing():
    """Closing 40 places that are always full: the fixed cost of the closed places counts as cash at once,
    but the residents above the new places take about 1.3 years to leave (nobody is evicted), so capacity
    freed is negative by the fixed cost of their weeks above the places."""
    fixed = {"per_person_week": {"residential": {"council": 700}, "acute": {"nhs": 2800}},
             "fixed_share": {"residential": 0.5}}  # fmt: skip
    base = to_result(simulate(care_homes(100, costs=fixed)))
    shut = to_result(simulate(care_homes({2026: 100, 2027: 60}, costs=fixed)))
    h = compare(base, shut).headline.iloc[0]
    avoided = h["avoided_downstream_cost_gbp_discounted"]
    assert avoided > 1e6
    assert h["cash_releasing_savings_gbp_discounted"] + h["capacity_freed_gbp_discounted"] == pytest.approx(avoided)
    q = _residential(shut.queues)
    h_years = float(q["time"].iloc[0])
    over = (q["over_capacity"] * h_years * 1.035 ** -(q["time"] - h_years / 2)).sum()
    assert h["capacity_freed_gbp_discounted"] == pytest.approx(-0.5 * 700 * WEEKS_PER_YEAR * over, rel=0.05)
    assert h["capacity_freed_gbp_discounted_council"] == pytest.approx(h["capacity_freed_gbp_discounted"])


def test_fewer_bed_days_without_closing_beds_free_capacity():
    """Fewer admissions to an unlimited acute state with half its weekly cost fixed: half the avoided acute
    cost is capacity freed, the other half (and the care home cost) cash."""
    costs = {"per_person_week": {"residential": {"council": 700}, "acute": {"nhs": 2800}},
             "fixed_share": {"acute": 0.5}}  # fmt: skip
    base = to_result(simulate(care_homes(100, costs=costs)))
    fewer = care_homes(100, costs=costs).model_dump(by_alias=True, exclude={"uncertainty", "correlations", "sources"})
    fewer["transitions"][1]["rate"] = 0.15
    scen = to_result(simulate(scenario_from_dict(fewer)))
    h = compare(base, scen).headline.iloc[0]
    acute = (
        base.costs[base.costs["service"] == "acute"]["cost_gbp_discounted"].sum()
        - scen.costs[scen.costs["service"] == "acute"]["cost_gbp_discounted"].sum()
    )
    assert h["capacity_freed_gbp_discounted"] == pytest.approx(0.5 * acute, rel=1e-9)
    assert h["capacity_freed_gbp_discounted_nhs"] == pytest.approx(0.5 * acute, rel=1e-9)
    assert h["cash_releasing_savings_gbp_discounted"] == pytest.approx(
        h["avoided_downstream_cost_gbp_discounted"] - 0.5 * acute, rel=1e-9
    )


def test_annual_discounting_changes_only_the_discounted_money():
    cont = to_result(simulate(care_homes(100)))
    annual = to_result(simulate(care_homes(100, discounting="annual")))
    assert cont.costs["cost_gbp"].equals(annual.costs["cost_gbp"])
    first = annual.costs[annual.costs["year"] == 2026]
    assert first["cost_gbp_discounted"].equals(first["cost_gbp"])  # year 0 undiscounted
    second = annual.costs[annual.costs["year"] == 2027]
    np.testing.assert_allclose(second["cost_gbp_discounted"], second["cost_gbp"] / 1.035, rtol=1e-12)


def test_the_discrete_event_engine_discounts_annually_too():
    res = run_des(care_homes(100, discounting="annual"), replications=1, jobs=1)
    costs = res.costs.groupby("year")[["cost_gbp", "cost_gbp_discounted"]].sum()
    assert costs.loc[2026, "cost_gbp_discounted"] == pytest.approx(costs.loc[2026, "cost_gbp"], rel=1e-12)
    assert costs.loc[2028, "cost_gbp_discounted"] == pytest.approx(costs.loc[2028, "cost_gbp"] / 1.035**2, rel=1e-12)


def test_a_place_budget_is_costed_to_its_payer_in_both_engines():
    bought = {"budget": {2026: 4e6, 2028: 3e6}, "cost_per_place_year": 40_000, "when_full": "wait"}
    for res in (to_result(simulate(care_homes(bought))), run_des(care_homes(bought), replications=1, jobs=1)):
        rows = res.costs[res.costs["service"] == "places:residential"]
        by_year = rows.groupby(["year", "payer"], observed=True)["cost_gbp"].sum()
        assert by_year[(2026, "council")] == pytest.approx(4e6) and by_year[(2029, "council")] == pytest.approx(3e6)


def test_both_engines_open_linear_places_step_by_step():
    """`between_years: linear`: both engines follow the same schedule, the stock-flow engine filling places to
    their value at the end of each step (the first year's last step ends on 2027's 140), the DES opening during
    each step the whole number nearest its value at the middle of the step (within half a place of the mean of
    the stock-flow engine's values at the step's two ends)."""
    places = {"places": {2026: 100, 2027: 140, 2028: 140}, "between_years": "linear", "when_full": "wait"}
    fluid = _residential(to_result(simulate(care_homes(places))).queues)
    des = _residential(run_des(care_homes(places), replications=2, jobs=1).queues)
    first_year = fluid[fluid["year"] == 2026]["capacity"].to_numpy()
    assert 100 < first_year[0] < first_year[-2] < first_year[-1] == pytest.approx(140, rel=1e-12)
    assert (np.diff(first_year) > 0).all()
    at_end = fluid["capacity"].to_numpy()
    at_middle = (np.concatenate([[100.0], at_end[:-1]]) + at_end) / 2
    for _, rep in des.groupby("replication"):
        assert np.abs(rep["capacity"].to_numpy() - at_middle).max() <= 0.5
    assert (fluid["occupied"] <= fluid["capacity"] + 1e-9).all() and fluid["occupied"].iloc[-1] > 110
