"""How capacity-limited services did, per replication: attempts to get in and their outcomes, waits, occupancy.

Computed from a Result's tables (its `waits` table, recorded by an engine of individuals, and the timeseries
and queues every Result has), never from an engine's internals, so it summarises a run read back from files
as well as a fresh one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leftshift.result import REPLICATION, Result

WAITED = ["admitted", "died_waiting", "left_waiting", "still_waiting"]
"""Outcomes of someone who may have waited (everyone but those turned away or admitted above capacity)."""
SUMMARY_COLUMNS = [
    REPLICATION, "resource", "attempts", "admitted", "waited", "turned_away", "overflowed", "died_waiting",
    "left_waiting", "still_waiting", "mean_wait_days", "p95_wait_days", "max_wait_days", "mean_occupied",
    "mean_waiting", "capacity",
]  # fmt: skip


def resource_summary(result: Result) -> pd.DataFrame:
    """Per replication and capacity-limited resource: attempts and their outcomes, waits and occupancy.

    Waits (days) are over admitted attempts, those admitted at once counting 0; people who died,
    left or were still waiting are counted, not averaged (their waits are cut short). Occupancy and
    queue length are time averages over the reported period (after any warm-up)."""
    waits, ts, queues = result.extra["waits"], result.timeseries, result.queues
    names = list(queues["resource"].unique())
    span = ts["time"].max() - ts["time"].min()
    rows = []
    for rep in sorted(queues[REPLICATION].unique()):
        w_rep, ts_rep = waits[waits[REPLICATION] == rep], ts[ts[REPLICATION] == rep]
        for name in names:
            w = w_rep[w_rep["resource"] == name]
            cap = queues.loc[(queues[REPLICATION] == rep) & (queues["resource"] == name), "capacity"]
            rows.append({REPLICATION: rep, "resource": name, **_outcomes(w), **_occupancy(ts_rep, name, span),
                         "capacity": float(cap.mean()) if len(cap) else 0.0})  # fmt: skip
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)  # the columns even with no capacity-limited state


def _outcomes(w: pd.DataFrame) -> dict[str, float | int]:
    outcome = w["outcome"]
    admitted = w.loc[outcome == "admitted", "wait_days"].to_numpy()
    waited = (w["wait_days"] > 0) & outcome.isin(WAITED)
    return {
        "attempts": len(w), "admitted": int((outcome == "admitted").sum()), "waited": int(waited.sum()),
        "turned_away": int((outcome == "turned_away").sum()), "overflowed": int((outcome == "overflow").sum()),
        "died_waiting": int((outcome == "died_waiting").sum()), "left_waiting": int((outcome == "left_waiting").sum()),
        "still_waiting": int((outcome == "still_waiting").sum()),
        "mean_wait_days": float(admitted.mean()) if len(admitted) else 0.0,
        "p95_wait_days": float(np.percentile(admitted, 95)) if len(admitted) else 0.0,
        "max_wait_days": float(admitted.max()) if len(admitted) else 0.0,
    }  # fmt: skip


def _occupancy(ts: pd.DataFrame, name: str, span: float) -> dict[str, float]:
    """People in the service (its waiting rooms included) and in its queue, on average over the period."""
    state = ts["state"]
    inside = (state == name) | state.str.startswith(f"waiting:{name}->")
    queued = state.str.startswith("waiting:") & state.str.endswith(f"->{name}")
    return {
        "mean_occupied": float(ts.loc[inside, "person_years"].sum() / span) if span > 0 else 0.0,
        "mean_waiting": float(ts.loc[queued, "person_years"].sum() / span) if span > 0 else 0.0,
    }
