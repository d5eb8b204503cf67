"""Replications taken as they finish: the `waits` rows handed over one replication at a time are the
table a run keeps whole, and the summary made from them as they came is the same. Flows by month or year
(`flows_by`, what the command line asks for) are the flows by step summed as `analysis.periods.coarsen_table`
sums them, to the last bit, in a city with origin compartments (merged series), people migrating out
(negative counts) and a warm-up that ends inside a month; every other table, every metric and yearly.csv's table
are unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis import summary
from leftshift.analysis.periods import coarsen_table
from leftshift.analysis.resources import WaitOutcomes, resource_summary
from leftshift.analysis.yearly import yearly
from leftshift.engines.des.engine import run_des
from leftshift.errors import LeftshiftError
from leftshift.scenario.loading import scenario_from_dict


@pytest.mark.parametrize("warm_up", [0.0, 1.0])
def test_waits_handed_over_replication_by_replication_are_the_whole_table(warm_up):
    s = small_scenario(horizon_years=2)
    whole = run_des(s, replications=3, jobs=1, warm_up_years=warm_up)
    pieces: list[pd.DataFrame] = []
    streamed = run_des(s, replications=3, jobs=1, warm_up_years=warm_up, waits_sink=pieces.append)
    assert "waits" not in streamed.extra
    assert [p["replication"].unique().tolist() for p in pieces] == [[0], [1], [2]]
    assert pd.concat(pieces, ignore_index=True).equals(whole.extra["waits"])
    for stem, table in whole.tables().items():
        if stem != "waits":
            assert table.equals(streamed.tables()[stem]), stem
    outcomes = WaitOutcomes()
    for piece in pieces:
        outcomes.add(piece)
    assert resource_summary(streamed, outcomes).equals(resource_summary(whole))
    facts, again = summary.build(whole), summary.build(streamed, outcomes)
    assert facts["resources"] == again["resources"] and facts["metrics"] == again["metrics"]


def _city():
    data = small_scenario_dict(horizon_years=2)
    data["transitions"] += [
        {"from": "residential", "to": "acute", "rate": 0.6},
        {"from": "acute", "origin": "residential", "rate": 36.5, "split": {"residential": 0.9, "dead": 0.1}},
    ]
    data["remember_origin"] = ["acute"]
    data["demography"]["net_migration_per_year"] = {"65+": -40}
    return scenario_from_dict(data)


@pytest.mark.parametrize(("by", "warm_up"), [("month", 0.0), ("month", 0.3), ("year", 0.5)])
def test_flows_by_period_are_the_flows_by_step_summed_to_the_last_bit(by, warm_up):
    s = _city()
    steps = run_des(s, replications=2, jobs=1, warm_up_years=warm_up)
    periods = run_des(s, replications=2, jobs=1, warm_up_years=warm_up, flows_by=by)
    assert (steps.flows["people"] < 0).any() and steps.flows["source"].str.contains("|", regex=False).sum() == 0
    expected = coarsen_table(steps.flows, "flows", s, by)
    pd.testing.assert_frame_equal(periods.flows, expected, check_exact=True)
    assert len(periods.flows) < len(steps.flows) / 3
    for stem in ("timeseries", "costs", "queues", "programmes"):
        pd.testing.assert_frame_equal(getattr(periods, stem), getattr(steps, stem), check_exact=True)
    facts, again = summary.build(steps), summary.build(periods)
    assert facts["metrics"] == again["metrics"] and facts["costs"] == again["costs"]
    pd.testing.assert_frame_equal(yearly(periods), yearly(steps), check_exact=True)


def test_an_unknown_resolution_for_the_flows_is_refused():
    with pytest.raises(LeftshiftError, match="unknown resolution 'week'"):
        run_des(_city(), replications=1, jobs=1, flows_by="week")
