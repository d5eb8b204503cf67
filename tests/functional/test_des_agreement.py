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
