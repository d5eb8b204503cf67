"""Demography by band: entrants' growth by band and net migration (in and out), in the stock-flow engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from builders import small_scenario_dict
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import scenario_from_dict


def _one_band(demography: dict, death: float = 0.0, years: float = 4) -> tuple[np.ndarray, np.ndarray]:
    s = scenario_from_dict({
        "name": "migration", "start_year": 2026, "horizon_years": years, "age_bands": ["all"],
        "states": ["community"], "initial": {"community": 100.0},
        "transitions": [{"from": "community", "to": "dead", "rate": death}],
        "demography": {"ageing": False, **demography},
    })  # fmt: skip
    ts = to_result(simulate(s)).timeseries
    ts = ts[ts["state"] == "community"].groupby("time")["people"].sum()
    return ts.index.to_numpy(), ts.to_numpy()


def test_net_migration_in_is_a_constant_inflow():
    t, x = _one_band({"net_migration_per_year": {"all": 30}}, death=0.2)
    assert np.allclose(x, 150 + (100 - 150) * np.exp(-0.2 * t), rtol=1e-9)


def test_net_migration_out_is_a_fixed_count_capped_by_the_stock():
    t, x = _one_band({"net_migration_per_year": {"all": -50}})
    assert np.allclose(x, np.maximum(100 - 50 * t, 0.0), atol=1e-9)
    assert (x >= 0).all()


def test_entrants_growth_by_band():
    s = scenario_from_dict(small_scenario_dict(horizon_years=3, demography={
        "ageing": False, "entrants_per_year": {"18-64": 800, "65+": 100},
        "entrants_growth_per_year": {"18-64": 0.1, "65+": -0.2}}))  # fmt: skip
    flows = to_result(simulate(s)).flows.query("kind == 'entry'").groupby(["year", "age_band"])["people"].sum()
    for band, e, g in (("18-64", 800, 0.1), ("65+", 100, -0.2)):
        k = math.log1p(g)
        expected = [e * (math.exp(k * (y + 1)) - math.exp(k * y)) / k for y in range(3)]
        assert np.allclose(flows.xs(band, level="age_band").to_numpy(), expected, rtol=1e-9), band


def _oldest(migration: float, years: int = 10) -> np.ndarray:
    """People aged 85+ at the start of each year, for a given net migration into 85+."""
    s = scenario_from_dict({
        "name": "projection", "start_year": 2026, "horizon_years": years, "age_bands": ["65-74", "75-84", "85+"],
        "states": ["community"], "initial": {"community": {"65-74": 60_000, "75-84": 38_000, "85+": 13_000}},
        "transitions": [{"from": "community", "to": "dead", "rate": {"65-74": 0.012, "75-84": 0.04, "85+": 0.14}}],
        "demography": {"entrants_per_year": {"65-74": 7000}, "entrants_growth_per_year": {"65-74": 0.01},
                       "net_migration_per_year": {"85+": migration}},
    }, )  # fmt: skip
    ts = to_result(simulate(s, record="yearly")).timeseries
    return ts[ts["age_band"] == "85+"].groupby("time")["people"].sum().to_numpy()


def test_a_projected_growth_of_the_oldest_band_can_be_matched():
    """ONS-style: 85+ grows 2.8% a year over ten years. Net migration into 85+ is the knob: solved for, the
    band grows by that much (the start is not in balance, so single years vary around it)."""
    target = 0.028

    def growth(migration: float) -> float:
        people = _oldest(migration)
        return (people[-1] / people[0]) ** 0.1 - 1

    assert abs(growth(0.0) - target) > 0.005  # without it the projection is missed
    migration = brentq(lambda m: growth(m) - target, -5000, 5000, xtol=1e-6)
    assert growth(migration) == pytest.approx(target, abs=1e-6)


@pytest.mark.parametrize(
    ("demography", "message"),
    [
        ({"net_migration_per_year": {"90+": 10}}, "90\\+"),
        ({"entrants_growth_per_year": {"65+": -1}}, "entrants_growth_per_year"),
        ({"entrants_growth_per_year": {"6+": 0.1}}, "6\\+"),
        ({"net_migration_per_year": {"65+": "many"}}, "net_migration_per_year"),
    ],
)
def test_bad_demography_is_refused(demography, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(small_scenario_dict(demography={"entrants_per_year": {"18-64": 800}, **demography}))


def test_no_migration_out_of_a_capacity_limited_entry_state():
    data = small_scenario_dict(demography={"entry_state": "residential", "net_migration_per_year": {"65+": -10}})
    with pytest.raises(ScenarioError, match="capacity-limited"):
        scenario_from_dict(data)


def test_des_entrants_growth_given_for_the_one_band_with_entrants():
    """A mapping naming only the band that has entrants keeps the single stream, at that band's growth."""
    from leftshift.engines.des.engine import run_des

    s = scenario_from_dict({
        "name": "entrants", "start_year": 2026, "horizon_years": 5, "age_bands": ["18-64", "65+"],
        "states": ["community"], "initial": {"community": 10.0},
        "transitions": [{"from": "community", "to": "dead", "rate": 0.0}],
        "demography": {"ageing": False, "entrants_per_year": {"65+": 400},
                       "entrants_growth_per_year": {"65+": 0.3}},
    })  # fmt: skip
    des = run_des(s, replications=8, jobs=1).flows.query("kind == 'entry'").groupby("replication")["people"].sum()
    expected = to_result(simulate(s)).flows.query("kind == 'entry'")["people"].sum()  # 400 (1.3^5 - 1) / ln 1.3
    assert expected == pytest.approx(400 * (1.3**5 - 1) / math.log(1.3))
    assert abs(des.mean() - expected) < 4 * math.sqrt(expected / 8)
