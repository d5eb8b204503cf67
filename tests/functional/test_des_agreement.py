"""With no capacity limits, the discrete-event engine's mean over replications agrees with the
stock-flow engine at every reporting time, within statistical error.

Tolerance: |mean - stock-flow| <= q * SE + 1e-6, where SE is the standard error of the mean over R
replications and q the t quantile for a family-wise error of 1% over all the comparisons made
(Bonferroni), so a correct engine fails this test with probability below 1%. A count whose mean is
below 1 is 0 or 1 almost always and its variance is then close to its mean, so the sample variance
(often 0 when every replication saw 0) is floored at min(mean, 1). The stock-flow engine's own
error (RK4, weekly step) is ~1e-12 and is ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leftshift.engines.des.engine import run_des
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import Scenario

REPLICATIONS = 30
FAMILY_ALPHA = 0.01

PROGRAMME = {
    "name": "Networks", "sector": "vcf", "budget": 1e9, "cost_per_participant_year": 150,
    "eligible": {"states": ["community", "home_care"], "age_bands": ["75-84", "85+"]},
    "referrals": {"community": 0.3, "home_care": 0.5}, "programme_years": 1.0,
    "ramp_up": {"initial_places": 1e9 / 150},  # places never run out: no capacity limit anywhere
    "effects": {"community->acute": 0.7, "community->home_care": 0.8}, "effect_years_after": 0.5,
}  # fmt: skip


TRENDS = {("community", "acute"): 0.25, ("community", "home_care"): -0.2, ("acute", "community"): 0.1}
"""Strong trends on rates (`trend_per_year`), so that a hazard that did not change with time would show."""


DEMOGRAPHY = {"ageing": True, "entrants_per_year": {"65-74": 200, "75-84": 50},
              "entrants_growth_per_year": {"65-74": 0.05, "75-84": -0.3},
              "net_migration_per_year": {"75-84": 40, "85+": -150}}  # fmt: skip
"""Entrants growing differently by band, migration in and out (85+ community shrinks by 150 a year)."""


def small_scenario(trends: bool = False, demography: bool = False) -> Scenario:
    """Every mechanism but capacity: ageing, growing entrants, deaths from every state, fast acute
    stays, a programme with referrals from two states, effects and a fading after-effect, costs; with
    `trends`, rates that grow or shrink over time."""
    data = _small_dict()
    if demography:
        data["demography"] = DEMOGRAPHY
    if trends:
        data["transitions"] = [{**t, "trend_per_year": TRENDS.get((t["from"], t["to"]), 0.0)}
                               for t in data["transitions"]]  # fmt: skip
    return scenario_from_dict(data)


def _small_dict() -> dict:
    return ({
        "name": "agreement", "start_year": 2026, "horizon_years": 3, "time_step_weeks": 1, "seed": 11,
        "age_bands": ["65-74", "75-84", "85+"],
        "states": ["community", "home_care", "residential", "acute"],
        "initial": {"community": {"65-74": 1500, "75-84": 900, "85+": 300.5},
                    "home_care": {"75-84": 40, "85+": 60}, "residential": {"85+": 50}, "acute": {"85+": 10}},
        "transitions": [
            {"from": "community", "to": "acute", "rate": {"65-74": 0.15, "75-84": 0.3, "85+": 0.5}},
            {"from": "community", "to": "home_care", "rate": {"75-84": 0.02, "85+": 0.05}},
            {"from": "community", "to": "dead", "rate": {"65-74": 0.01, "75-84": 0.03, "85+": 0.08}},
            {"from": "home_care", "to": "residential", "rate": 0.1},
            {"from": "home_care", "to": "community", "rate": 0.3},
            {"from": "home_care", "to": "dead", "rate": 0.15},
            {"from": "acute", "to": "community", "rate": 30},
            {"from": "acute", "to": "home_care", "rate": 2},
            {"from": "acute", "to": "residential", "rate": 1.5},
            {"from": "acute", "to": "dead", "rate": 2.5},
            {"from": "residential", "to": "dead", "rate": 0.45},
        ],
        "costs": {"per_person_week": {"acute": {"nhs": 2800}, "residential": {"council": 600, "self_funder": 400},
                                      "home_care": {"council": 300}},
                  "per_transition": {"community->acute": {"nhs": 220}}, "real_growth_per_year": 0.02},
        "demography": {"ageing": True, "entrants_per_year": {"65-74": 200}, "entrants_growth_per_year": 0.05},
        "interventions": [PROGRAMME],
    })  # fmt: skip


@pytest.fixture(scope="module")
def demography_runs():
    s = small_scenario(demography=True)
    return run_des(s, replications=REPLICATIONS, jobs=2), to_result(simulate(s))


@pytest.fixture(scope="module")
def trended_runs():
    s = small_scenario(trends=True)
    return run_des(s, replications=REPLICATIONS, jobs=2), to_result(simulate(s))


@pytest.fixture(scope="module")
def runs():
    s = small_scenario()
    return run_des(s, replications=REPLICATIONS, jobs=2), to_result(simulate(s))


def _check(des: pd.DataFrame, reference: pd.Series, what: str) -> None:
    """des: rows = comparison points, columns = replications; reference aligned on the rows."""
    reps = des.shape[1]
    mean = des.mean(axis=1)
    ref = reference.reindex(des.index, fill_value=0.0)
    var = np.maximum(des.var(axis=1, ddof=1), np.minimum(np.maximum(ref.abs(), mean.abs()), 1.0))
    se = np.sqrt(var / reps)
    q = stats.t.ppf(1 - FAMILY_ALPHA / (2 * len(des)), reps - 1)
    bad = (mean - ref).abs() > q * se + 1e-6
    assert not bad.any(), (
        f"{what}: {int(bad.sum())} of {len(des)} points differ by more than {q:.2f} SE, e.g.\n"
        + pd.DataFrame({"des_mean": mean, "stockflow": ref, "se": se})[bad].head(10).to_string()
    )


def test_every_stock_agrees_at_every_time(runs) -> None:
    des, ref = runs
    keys = ["time", "state", "age_band", "programme"]
    grid = des.timeseries.pivot_table(index=keys, columns="replication", values="people", fill_value=0.0)
    _check(grid, ref.timeseries.set_index(keys)["people"], "people by stock")


def test_every_state_agrees_at_every_time(runs) -> None:
    des, ref = runs
    grid = des.timeseries.groupby(["time", "state", "replication"])["people"].sum().unstack("replication")
    _check(grid, ref.timeseries.groupby(["time", "state"])["people"].sum(), "people by state")
    years = des.timeseries.groupby(["state", "replication"])["person_years"].sum().unstack("replication")
    _check(years, ref.timeseries.groupby("state")["person_years"].sum(), "person-years by state")


def test_flows_and_costs_agree_over_the_horizon(runs) -> None:
    des, ref = runs
    keys = ["kind", "source", "target"]
    flows = des.flows.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(flows, ref.flows.groupby(keys)["people"].sum(), "flows by kind, source and target")
    costs = des.costs.groupby(["service", "replication"])["cost_gbp_discounted"].sum().unstack("replication")
    _check(costs, ref.costs.groupby("service")["cost_gbp_discounted"].sum(), "discounted cost by service")


def test_tables_line_up_with_the_stock_flow_engine(runs) -> None:
    des, ref = runs
    for name, table in ref.tables().items():
        assert list(des.tables()[name].columns) == ["replication", *table.columns], name
    assert np.allclose(np.unique(des.timeseries["time"]), np.unique(ref.timeseries["time"]))
    assert set(des.flows["kind"]) <= set(ref.flows["kind"])
    assert set(des.costs["service"]) <= set(ref.costs["service"])
    programmes = des.programmes.groupby("time")[["funded_places", "spend_gbp"]].mean()
    expected = ref.programmes.set_index("time")[["funded_places", "spend_gbp"]]
    assert np.allclose(programmes.to_numpy(), expected.to_numpy())  # deterministic in both engines


# Capacity that changes over time ------------------------------------------------------------------------------

CHANGING = {
    "given by year": {"places": {2026: 100, 2027: 60, 2029: 90}, "when_full": "wait"},
    "bought from a budget": {"budget": {2026: 4e6, 2027: 2.4e6, 2028: 3.6e6}, "cost_per_place_year": 40_000,
                             "build_years": 0.5, "loss_years": 0.25, "when_full": "wait"},
}  # fmt: skip


def changing_capacity(capacity: dict) -> Scenario:
    """Heavy demand for care home places that are cut and then restored: full, with a queue, most of the time."""
    return scenario_from_dict({
        "name": "changing", "start_year": 2026, "horizon_years": 4, "seed": 5, "age_bands": ["65+"],
        "states": ["community", "residential"], "initial": {"community": 5000, "residential": 100},
        "transitions": [{"from": "community", "to": "residential", "rate": 0.01},
                        {"from": "residential", "to": "dead", "rate": 0.4}],
        "capacity": {"residential": capacity},
        "costs": {"per_person_week": {"residential": {"council": 700}}},
    })  # fmt: skip


@pytest.mark.parametrize("capacity", CHANGING.values(), ids=CHANGING.keys())
def test_changing_capacity_agrees_with_the_stock_flow_engine(capacity) -> None:
    """The places are the same step by step (the discrete-event engine opens the nearest whole number of
    places bought), and the yearly mean occupancy agrees within statistical error plus 2% of the places
    (the fluid queue of the stock-flow engine never leaves a place empty while people wait; whole people do
    for a moment): residents above a cut leave only by dying, in both engines."""
    s = changing_capacity(capacity)
    reps = 12
    des = run_des(s, replications=reps, jobs=2).queues
    flow = to_result(simulate(s)).queues
    des, flow = des[des["resource"] == "residential"], flow[flow["resource"] == "residential"]
    for _, rep in des.groupby("replication"):
        assert (rep["capacity"].to_numpy() == np.floor(flow["capacity"].to_numpy() + 0.5)).all()
    yearly = des.groupby(["year", "replication"])["occupied"].mean().unstack()
    reference = flow.groupby("year")["occupied"].mean()
    mean, se = yearly.mean(axis=1), yearly.std(axis=1, ddof=1) / np.sqrt(reps)
    q = stats.t.ppf(1 - FAMILY_ALPHA / (2 * len(yearly)), reps - 1)
    places = flow.groupby("year")["capacity"].mean()
    assert ((mean - reference).abs() <= q * se + 0.02 * places).all(), pd.DataFrame({"des": mean, "flow": reference})


def origin_scenario() -> Scenario:
    """Care home residents admitted to hospital remember it and go back at their own rate
    (`remember_origin`), keeping their care home place meanwhile; 12 of them start in hospital holding
    their place (`initial_with_origin`); 40 people start delayed in hospital for a nursing home that
    has no places and 15 a band for home care that has none either (`initial_waiting`), with a
    medically fit death rate; 5% of those waiting for home care come to need a nursing home each week
    (`delayed_discharge`). No queue is ever served and care homes have places to spare, so both
    engines model the same continuous-time chain and must agree within statistical error."""
    return scenario_from_dict({
        "name": "origins", "start_year": 2026, "horizon_years": 2, "seed": 5,
        "age_bands": ["65-84", "85+"], "states": ["community", "residential", "acute", "nursing", "home_care"],
        "remember_origin": ["acute"],
        "initial": {"community": {"65-84": 2000, "85+": 500}, "residential": {"85+": 300}, "acute": {"85+": 20}},
        "initial_waiting": {"acute->nursing": {"85+": 40}, "acute->home_care": 15},
        "initial_with_origin": {"residential->acute": {"85+": 12}},
        "delayed_discharge": {"death_rate": 0.4, "deconditioning": {"to": "nursing", "extra_share_per_week": 0.05}},
        "transitions": [
            {"from": "community", "to": "acute", "rate": 0.3},
            {"from": "community", "to": "residential", "rate": 0.02},
            {"from": "community", "to": "dead", "rate": 0.05},
            {"from": "residential", "to": "acute", "rate": 0.8},
            {"from": "residential", "to": "dead", "rate": 0.35},
            {"from": "acute", "rate": 36.5, "split": {"community": 0.9, "residential": 0.03, "dead": 0.07}},
            {"from": "acute", "origin": "residential", "rate": 30, "split": {"residential": 0.85, "dead": 0.15}},
            {"from": "acute", "to": "nursing", "rate": 0},
            {"from": "acute", "to": "home_care", "rate": 0},
            {"from": "nursing", "to": "dead", "rate": 0.3},
        ],
        "capacity": {"nursing": {"places": 0}, "home_care": {"places": 0}, "residential": {"places": 5000}},
        "costs": {"per_person_week": {"acute": {"nhs": 2800}, "residential": {"council": 700}}},
        "demography": {"ageing": {"65-84": 0.05}},
    })  # fmt: skip


@pytest.fixture(scope="module")
def origin_runs():
    s = origin_scenario()
    return run_des(s, replications=REPLICATIONS, jobs=2), to_result(simulate(s))


def test_remembered_origins_and_initial_queues_agree(origin_runs) -> None:
    des, ref = origin_runs
    keys = ["time", "state", "age_band"]
    grid = des.timeseries.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(grid, ref.timeseries.groupby(keys)["people"].sum(), "people by state and band (origins)")
    flow_keys = ["kind", "source", "target"]
    flows = des.flows.groupby([*flow_keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(flows, ref.flows.groupby(flow_keys)["people"].sum(), "flows (origins)")
    costs = des.costs.groupby(["service", "replication"])["cost_gbp"].sum().unstack("replication")
    _check(costs, ref.costs.groupby("service")["cost_gbp"].sum(), "cost by service (origins)")
    start = ref.timeseries.query("time == 0 and state == 'waiting:acute->nursing'")["people"].sum()
    assert start == 40 == des.timeseries.query("time == 0 and state == 'waiting:acute->nursing'")["people"].sum() / (
        REPLICATIONS)  # fmt: skip
    back = ref.flows.query("kind == 'return' and source == 'acute' and target == 'residential'")["people"].sum()
    assert back > 0.8 * ref.flows.query("source == 'residential' and target == 'acute'")["people"].sum()
    occupied = des.queues.pivot_table(index=["time", "resource"], columns="replication", values="occupied")
    _check(occupied, ref.queues.set_index(["time", "resource"])["occupied"], "occupied places (held in hospital)")
    held = ref.queues.query("resource == 'residential'")["occupied"].to_numpy()
    in_homes = ref.timeseries.query("state == 'residential'").groupby("time")["people"].sum().to_numpy()[1:]
    assert (held > in_homes + 1).all()  # residents in hospital keep their place
    waits = des.extra["waits"].query("resource != 'residential'")
    assert set(waits["outcome"]) == {"died_waiting", "still_waiting", "left_waiting"}  # never a place
    worse = ref.flows.query("kind == 'deconditioning'")
    assert set(zip(worse["source"], worse["target"], strict=True)) == {
        ("waiting:acute->home_care", "waiting:acute->nursing")
    }


def test_rates_with_trends_agree(trended_runs) -> None:
    """The same time-varying hazards in both engines (held at their mid-step value each step)."""
    des, ref = trended_runs
    grid = des.timeseries.groupby(["time", "state", "replication"])["people"].sum().unstack("replication")
    _check(grid, ref.timeseries.groupby(["time", "state"])["people"].sum(), "people by state, with trends")
    keys = ["kind", "source", "target"]
    flows = des.flows.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(flows, ref.flows.groupby(keys)["people"].sum(), "flows with trends")
    untrended = to_result(simulate(small_scenario()))
    moved = ref.flows.query("source == 'community' and target == 'acute'")["people"].sum()
    assert moved > 1.1 * untrended.flows.query("source == 'community' and target == 'acute'")["people"].sum()


def test_demography_by_band_agrees(demography_runs) -> None:
    """Entrants' growth by band and net migration in and out: the same stocks and entry flows."""
    des, ref = demography_runs
    keys = ["time", "state", "age_band"]
    grid = des.timeseries.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(grid, ref.timeseries.groupby(keys)["people"].sum(), "people by state and band, with migration")
    keys = ["kind", "age_band"]
    flows = des.flows.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(flows, ref.flows.groupby(keys)["people"].sum(), "flows by kind and band, with migration")
