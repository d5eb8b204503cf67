"""Deaths and departures while waiting, counted from the flows: every person who joined a queue was admitted,
died, left another way, or is still waiting at the horizon."""

from __future__ import annotations

import pytest

from builders import small_scenario
from leftshift.analysis.waiting import COLUMNS, turned_away, waiting_outcomes
from leftshift.api import run


def test_everyone_who_joined_a_queue_is_accounted_for():
    result = run(small_scenario(initial_waiting={}))
    table = waiting_outcomes(result).set_index("queue")
    assert list(waiting_outcomes(result).columns) == COLUMNS and len(table)
    ts = result.timeseries
    at_end = ts[ts["time"] == ts["time"].max()].groupby("state")["people"].sum()
    for queue, row in table.iterrows():
        still = float(at_end.get(queue, 0.0))
        assert row["joined"] == pytest.approx(row["admitted"] + row["died_waiting"] + row["left_waiting"] + still,
                                              rel=1e-6), queue  # fmt: skip
    died = result.flows[result.flows["source"].str.startswith("waiting:") & (result.flows["target"] == "dead")]
    assert table["died_waiting"].sum() == pytest.approx(died["people"].sum())
    assert table["died_waiting"].sum() > 0


def test_turned_away_is_per_resource():
    result = run(small_scenario(capacity={"residential": {"places": 300, "when_full": "lost"}}))
    away = turned_away(result)
    assert away["residential"] == pytest.approx(result.queues["turned_away"].sum())
    assert away["residential"] > 0
