"""One capacity-limited service fed at a constant Poisson rate reproduces queueing theory.

The service is fed from a community of N = 10 million people each referred at lambda / N a year, so
arrivals are Poisson at rate lambda to within a relative 1e-6 (the few people inside the service are
missing from the community). Stays are exponential (rate mu) and there are c places: an M/M/c
queue (`wait`), an M/M/c/c loss system (`lost`), or an M/M/infinity system whose people above c
are over capacity (`overflow`). Formulas are computed here; every tolerance is 4 standard errors of
the mean over replications (each replication is independent), plus a tiny absolute floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from leftshift.analysis.resources import resource_summary
from leftshift.engines.des.engine import run_des
from leftshift.result import Result
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import DAYS_PER_YEAR, Scenario

C, MU = 5, 26.0  # places; stays of two weeks on average
LAM = 0.75 * C * MU  # offered load a = 3.75 (75% of the places)
A = LAM / MU
YEARS, WARM_UP, REPLICATIONS = 40.0, 1.0, 10
N = 10_000_000


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c, by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c."""
    b = erlang_b(c, a)
    return b / (1 - (a / c) * (1 - b))


def service_scenario(rule: str) -> Scenario:
    return scenario_from_dict({
        "name": f"mmc-{rule}", "start_year": 2026, "horizon_years": YEARS, "time_step_weeks": 4, "seed": 5,
        "age_bands": ["all"], "states": ["community", "service"],
        "initial": {"community": {"all": N}},
        "transitions": [{"from": "community", "to": "service", "rate": LAM / N},
                        {"from": "service", "to": "community", "rate": MU}],
        "capacity": {"service": {"places": C, "when_full": rule}},
        "demography": {"ageing": False},
    })  # fmt: skip


def within(values: pd.Series, expected: float, floor: float = 1e-9) -> None:
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - expected) <= 4 * se + floor, (
        f"mean {values.mean():.6g} vs {expected:.6g}: {abs(values.mean() - expected) / se:.1f} SE (SE {se:.3g})"
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, Result]:
    return {rule: run_des(service_scenario(rule), REPLICATIONS, jobs=2, warm_up_years=WARM_UP)
            for rule in ("wait", "lost", "overflow")}  # fmt: skip


def per_replication(result: Result) -> pd.DataFrame:
    """Per replication: share of arrivals that waited or were refused, mean wait (years), arrivals
    per year, time-average queue length and occupancy, and the sum of waits inside the window."""
    waits = result.extra["waits"]
    window = YEARS - WARM_UP
    ts = result.timeseries
    rows = {}
    for rep, w in waits.groupby("replication"):
        t = ts[ts["replication"] == rep]
        queue_py = t.loc[t["state"].str.startswith("waiting:"), "person_years"].sum()
        rows[rep] = {
            "p_wait": float((w["wait_days"] > 0).mean()),
            "p_blocked": float((w["outcome"] == "turned_away").mean()),
            "p_overflow": float((w["outcome"] == "overflow").mean()),
            "mean_wait": float(w.loc[w["outcome"] == "admitted", "wait_days"].mean() / DAYS_PER_YEAR),
            "arrival_rate": len(w) / window,
            "queue_length": queue_py / window,
            "occupied": t.loc[t["state"] == "service", "person_years"].sum() / window,
            # time spent waiting inside the window by those who arrived in it (cut at the horizon)
            "wait_in_window": float(w["wait_days"].sum() / DAYS_PER_YEAR) / window,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def test_wait_matches_erlang_c(runs) -> None:
    stats_ = per_replication(runs["wait"])
    c_prob = erlang_c(C, A)
    within(stats_["p_wait"], c_prob)
    within(stats_["mean_wait"], c_prob / (C * MU - LAM))
    within(stats_["arrival_rate"], LAM)
    within(stats_["occupied"], A)  # everyone is served: busy places = offered load


def test_lost_matches_erlang_b(runs) -> None:
    stats_ = per_replication(runs["lost"])
    blocking = erlang_b(C, A)
    within(stats_["p_blocked"], blocking)
    within(stats_["occupied"], A * (1 - blocking))
    assert (stats_["p_wait"] == 0).all() and (stats_["queue_length"] == 0).all()


def test_overflow_is_an_infinite_server_system(runs) -> None:
    """Nobody is refused; the number inside is Poisson(a), so P(arrival finds >= c inside) and the
    mean number above capacity follow from the Poisson distribution (PASTA)."""
    result = runs["overflow"]
    stats_ = per_replication(result)
    within(stats_["occupied"], A)
    within(stats_["p_overflow"], float(stats.poisson.sf(C - 1, A)))
    k = np.arange(C + 1, 200)
    expected_over = float(((k - C) * stats.poisson.pmf(k, A)).sum())
    over = result.queues.groupby("replication")["over_capacity"].mean()  # end-of-step samples
    within(over, expected_over)


def test_littles_law_on_the_output(runs) -> None:
    """L = lambda W on each replication's own output (an identity up to the edges of the window),
    and the queue length agrees with the Erlang C value lambda Wq."""
    stats_ = per_replication(runs["wait"])
    assert np.allclose(stats_["queue_length"], stats_["wait_in_window"], rtol=0.02, atol=1e-3)
    within(stats_["queue_length"], LAM * erlang_c(C, A) / (C * MU - LAM))
    within(stats_["queue_length"], stats_["arrival_rate"].mean() * stats_["mean_wait"].mean(), floor=1e-3)


def test_resource_summary_reports_the_queue(runs) -> None:
    summary = resource_summary(runs["wait"])
    assert list(summary["replication"]) == list(range(REPLICATIONS))
    assert (summary["attempts"] == summary["admitted"] + summary["still_waiting"]).all()
    assert (summary["p95_wait_days"] <= summary["max_wait_days"]).all()
    assert (summary["capacity"] == C).all()
    within(summary["mean_occupied"], A)
