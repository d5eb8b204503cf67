"""Capacity in the stock-flow engine against the fluid limit of a full service with a queue."""

from __future__ import annotations

import pytest

from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import scenario_from_dict

PLACES, STAY_RATE, ARRIVALS = 1500, 36.5, 60_000.0  # arrivals above capacity x exit rate (54,750 a year)


def full_ward(rule: str):
    return scenario_from_dict({
        "name": "full ward", "start_year": 2026, "horizon_years": 2, "age_bands": ["all"],
        "states": ["community", "acute"], "demography": {"ageing": False},
        "initial": {"community": {"all": 6_000_000}, "acute": {"all": PLACES}},
        "transitions": [{"from": "community", "to": "acute", "rate": ARRIVALS / 6_000_000},
                        {"from": "acute", "to": "community", "rate": STAY_RATE}],
        "capacity": {"acute": {"places": PLACES, "when_full": rule}},
    })  # fmt: skip


@pytest.mark.parametrize("rule", ["wait", "lost"])
def test_a_full_service_stays_full_and_admits_exactly_its_turnover(rule):
    result = to_result(simulate(full_ward(rule)))
    ts, flows = result.timeseries, result.flows
    bed_years = ts[ts["state"] == "acute"].groupby("year")["person_years"].sum()
    assert bed_years.to_numpy() == pytest.approx(PLACES, rel=2e-3)  # never under-used, never over
    admitted = flows[(flows["target"] == "acute") & flows["kind"].isin(["transition", "queue_admit"])]
    per_year = admitted.groupby("year")["people"].sum()
    assert per_year.iloc[-1] == pytest.approx(PLACES * STAY_RATE, rel=2e-3)
    if rule == "wait":  # the excess demand accumulates in the queue
        waiting = result.queues.groupby("year")["waiting"].last()
        assert waiting.diff().iloc[-1] == pytest.approx(ARRIVALS - PLACES * STAY_RATE, rel=0.02)
    else:
        turned = result.queues.groupby("year")["turned_away"].sum()
        assert turned.iloc[-1] == pytest.approx(ARRIVALS - PLACES * STAY_RATE, rel=0.02)
