"""Segments in both engines: identical segments change nothing, moves between segments reach their analytic
equilibrium, hazard multipliers act on their segment only, the batch metrics sum over segments, and the
discrete-event engine agrees with the stock-flow engine (moves, multipliers, a programme for one segment
that moves people out of it, entrants by segment)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_des_agreement import PROGRAMME, REPLICATIONS, _check, _small_dict

from builders import segmented_scenario_dict, small_scenario_dict
from leftshift.analysis import batch as batch_metrics
from leftshift.analysis.metrics import compute
from leftshift.engines.des.engine import run_des
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict


def _same_segments(data: dict) -> dict:
    """Three segments with the same hazards (multipliers written as 1) and no moves."""
    data["segments"] = {
        "frail": {"initial_share": {"18-64": 0.05, "65+": 0.25}, "hazard_multipliers": {"community->acute": 1.0}},
        "pre-frail": {"initial_share": 0.25, "entry_share": 0.1},
        "fit": {"initial_share": {"18-64": 0.7, "65+": 0.5}, "entry_share": {"18-64": 0.85, "65+": 0.65}},
    }
    return data


def test_identical_segments_give_the_unsegmented_totals() -> None:
    """Capacity (binding, with queues) and the programme act on state totals across segments, so splitting
    everyone into segments with the same hazards changes no total, no headline metric and no queue."""
    plain = to_result(simulate(scenario_from_dict(small_scenario_dict())))
    split = to_result(simulate(scenario_from_dict(_same_segments(small_scenario_dict()))))
    assert "segment" not in plain.timeseries and "segment" in split.timeseries
    for table, keys, column in [("timeseries", ["time", "state", "age_band", "programme"], "people"),
                                ("timeseries", ["state", "programme"], "person_years"),
                                ("flows", ["time", "kind", "source", "target", "age_band"], "people"),
                                ("costs", ["time", "service", "payer"], "cost_gbp_discounted")]:  # fmt: skip
        a = getattr(plain, table).groupby(keys)[column].sum()
        b = getattr(split, table).groupby(keys)[column].sum().reindex(a.index, fill_value=0.0)
        assert np.allclose(b, a, rtol=1e-9, atol=1e-9 * a.abs().max()), table
    for table in ("queues", "programmes"):
        a, b = getattr(plain, table), getattr(split, table)
        assert list(a.columns) == list(b.columns)
        assert np.allclose(b.select_dtypes("number"), a.select_dtypes("number"), rtol=1e-9, atol=1e-6), table
    assert plain.queues["waiting"].max() > 10  # capacity binds
    metrics = compute(plain).set_index("metric")["value"]
    assert np.allclose(compute(split).set_index("metric")["value"][metrics.index], metrics, rtol=1e-9)


def exchange(initial_share: float = 1.0, moves: tuple[float, float] = (0.3, 0.1)) -> dict:
    """Everyone in one state and band, never dying: only moves between two segments."""
    return {
        "name": "exchange", "start_year": 2026, "horizon_years": 10, "age_bands": ["65+"],
        "states": ["community", "acute"], "initial": {"community": 1000},
        "transitions": [{"from": "community", "to": "dead", "rate": 0.1}],
        "segments": {"lonely": {"initial_share": initial_share, "hazard_multipliers": {"community->dead": 0}},
                     "connected": {"initial_share": 1 - initial_share, "hazard_multipliers": {"community->dead": 0}}},
        "segment_moves": {"lonely->connected": moves[0], "connected->lonely": moves[1]},
    }  # fmt: skip


def test_two_segment_exchange_reaches_the_equilibrium_share() -> None:
    """With rates a (lonely -> connected) and b back, the lonely share is b/(a+b) + (s0 - b/(a+b)) e^-(a+b)t."""
    a, b = 0.3, 0.1
    result = to_result(simulate(scenario_from_dict(exchange(moves=(a, b)))))
    ts = result.timeseries.query("state == 'community'")
    lonely = ts.query("segment == 'lonely'").groupby("time")["people"].sum()
    total = ts.groupby("time")["people"].sum()
    assert np.allclose(total, 1000, rtol=1e-12)
    t = lonely.index.to_numpy()
    exact = 1000 * (b / (a + b) + (1 - b / (a + b)) * np.exp(-(a + b) * t))
    np.testing.assert_allclose(lonely.to_numpy(), exact, rtol=1e-9)
    assert 250 < lonely.iloc[-1] < 265  # after 10 years: 98% of the way from 100% to 25%
    moved = result.flows.query("kind == 'segment_move'").groupby(["segment", "target_segment"])["people"].sum()
    person_years = ts.groupby("segment")["person_years"].sum()
    assert moved[("lonely", "connected")] == pytest.approx(a * person_years["lonely"], rel=1e-9)
    assert moved[("connected", "lonely")] == pytest.approx(b * person_years["connected"], rel=1e-9)


def test_a_hazard_multiplier_acts_on_its_segment_only() -> None:
    data = exchange(initial_share=0.4, moves=(0.0, 0.0))
    data["segments"]["lonely"]["hazard_multipliers"] = {"community->dead": 3.0}
    data["segments"]["connected"]["hazard_multipliers"] = {}
    ts = to_result(simulate(scenario_from_dict(data))).timeseries.query("state == 'community'")
    by_segment = ts.groupby(["segment", "time"])["people"].sum()
    t = by_segment["lonely"].index.to_numpy()
    np.testing.assert_allclose(by_segment["lonely"], 400 * np.exp(-0.3 * t), rtol=1e-9)
    np.testing.assert_allclose(by_segment["connected"], 600 * np.exp(-0.1 * t), rtol=1e-9)


def test_batch_metrics_sum_over_segments() -> None:
    """The sweep path (numpy sums over a batch) and the table path give the same headline numbers."""
    first = scenario_from_dict(segmented_scenario_dict())
    data = segmented_scenario_dict()
    data["segment_moves"]["isolated->connected"] = 0.4
    batch = simulate([first, scenario_from_dict(data)], record="yearly")
    summary = batch_metrics.summarise(batch)
    for i in range(2):
        tidy = compute(to_result(batch, i)).set_index("metric")["value"]
        for name, value in tidy.items():
            assert summary.metrics[name][i] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    assert summary.metrics["emergency_admissions"][1] < summary.metrics["emergency_admissions"][0]


def segmented_agreement_dict() -> dict:
    """The agreement scenario with isolated people at higher risk, moves both ways (by band), entrants and
    migrants joining by segment, and the programme taking isolated people only and moving participants out
    of isolation fast; plus a nursing home with no places, whose queue is never served (so both engines
    model the same continuous-time chain) while the people waiting in it change segment."""
    data = _small_dict()
    data["states"].append("nursing")
    data["transitions"] += [{"from": "community", "to": "nursing", "rate": {"75-84": 0.02, "85+": 0.05}},
                            {"from": "nursing", "to": "dead", "rate": 0.3}]  # fmt: skip
    data["capacity"] = {"nursing": {"places": 0, "when_full": "wait"}}
    data["demography"] = {"ageing": True, "entrants_per_year": {"65-74": 200},
                          "net_migration_per_year": {"75-84": 40, "85+": -60}}  # fmt: skip
    data["segments"] = {
        "isolated": {"initial_share": {"65-74": 0.2, "75-84": 0.3, "85+": 0.4}, "entry_share": 0.5,
                     "hazard_multipliers": {"community->acute": 1.5, "community->home_care": 2.0,
                                            "home_care->residential": 1.5, "community->nursing": 2.0}},
        "connected": {"initial_share": {"65-74": 0.8, "75-84": 0.7, "85+": 0.6}, "entry_share": 0.5},
    }  # fmt: skip
    data["segment_moves"] = {"connected->isolated": {"75-84": 0.1, "85+": 0.2}, "isolated->connected": 0.15}
    data["interventions"] = [{**PROGRAMME, "eligible": {**PROGRAMME["eligible"], "segments": ["isolated"]},
                              "moves_segments": {"isolated->connected": 2.0}}]  # fmt: skip
    return data


@pytest.fixture(scope="module")
def segmented_runs():
    s = scenario_from_dict(segmented_agreement_dict())
    return run_des(s, replications=REPLICATIONS, jobs=2), to_result(simulate(s))


def test_segmented_stocks_agree_with_the_stock_flow_engine(segmented_runs) -> None:
    des, ref = segmented_runs
    assert list(des.timeseries.columns) == list(ref.timeseries.columns)
    assert list(des.flows.columns) == list(ref.flows.columns)
    waits = des.extra["waits"]
    assert "segment" in waits.columns and set(waits["outcome"]) == {"died_waiting", "left_waiting", "still_waiting"}
    queue = ref.flows.query("kind == 'segment_move' and source == 'waiting:community->nursing'")
    assert queue["people"].sum() > 1  # people waiting change segment (and keep their place in the queue)
    keys = ["time", "state", "age_band", "segment"]
    grid = des.timeseries.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(grid, ref.timeseries.groupby(keys)["people"].sum(), "people by state, band and segment")
    keys = ["time", "segment", "programme"]
    grid = des.timeseries.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(grid, ref.timeseries.groupby(keys)["people"].sum(), "people by segment and programme")


def test_segmented_flows_and_costs_agree(segmented_runs) -> None:
    des, ref = segmented_runs
    keys = ["kind", "source", "target", "segment", "target_segment"]
    flows = des.flows.groupby([*keys, "replication"])["people"].sum().unstack("replication", fill_value=0.0)
    _check(flows, ref.flows.groupby(keys)["people"].sum(), "flows by kind and segments")
    moved = ref.flows.query("kind == 'segment_move' and programme == 'Networks'")["people"].sum()
    assert moved > 100  # the programme moves participants out of isolation
    referred = ref.flows.query("kind == 'referral'")
    assert set(referred["segment"]) == {"isolated"}
    costs = des.costs.groupby(["service", "replication"])["cost_gbp_discounted"].sum().unstack("replication")
    _check(costs, ref.costs.groupby("service")["cost_gbp_discounted"].sum(), "discounted cost by service")
    starts = des.programmes.groupby(["time", "replication"])["starts"].sum().unstack("replication")
    _check(starts, ref.programmes.set_index("time")["starts"], "programme starts")


def test_segments_change_the_answer_in_both_engines(segmented_runs) -> None:
    """A check that the agreement is not vacuous: without segments the admissions differ by far more than the
    discrete-event engine's error."""
    des, ref = segmented_runs
    plain = to_result(simulate(scenario_from_dict({**segmented_agreement_dict(), "segments": {},
                                                   "segment_moves": {}, "interventions": [PROGRAMME]})))  # fmt: skip

    def admissions(frame: pd.DataFrame) -> float:
        rows = frame.query("kind == 'transition' and target == 'acute'")
        return float(rows["people"].sum()) / max(1, rows["replication"].nunique())

    assert admissions(ref.flows) > 1.05 * admissions(plain.flows)
    assert admissions(des.flows) == pytest.approx(admissions(ref.flows), rel=0.02)
    assert math.isfinite(admissions(des.flows))
