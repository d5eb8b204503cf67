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


class WaitOutcomes:
    """The attempt and wait figures of `resource_summary`, reduced from a run's `waits` rows as they come
    (one replication at a time), so that a long run need not keep millions of rows to summarise them."""

    def __init__(self) -> None:
        self.figures: dict[tuple[int, str], dict[str, float | int]] = {}
        self.none = _outcomes(pd.DataFrame({"outcome": pd.Series(dtype=object), "wait_days": pd.Series(dtype=float)}))

    def add(self, waits: pd.DataFrame) -> None:
        """Rows of the `waits` table (whole replications)."""
        for rep in waits[REPLICATION].unique():
            w_rep = waits[waits[REPLICATION] == rep]
            for name in w_rep["resource"].unique():
                self.figures[(int(rep), str(name))] = _outcomes(w_rep[w_rep["resource"] == name])

    def of(self, rep: int, name: str) -> dict[str, float | int]:
        return self.figures.get((int(rep), str(name)), self.none)


def resource_summary(result: Result, outcomes: WaitOutcomes | None = None) -> pd.DataFrame:
    """Per replication and capacity-limited resource: attempts and their outcomes, waits and occupancy.

    Waits (days) are over admitted attempts, those admitted at once counting 0; people who died,
    left or were still waiting are counted, not averaged (their waits are cut short). Occupancy and
    queue length are time averages over the reported period (after any warm-up). `outcomes`: the
    attempts and waits already reduced from the `waits` rows (then the Result need not hold them)."""
    if outcomes is None:
        outcomes = WaitOutcomes()
        outcomes.add(result.extra["waits"])
    ts, queues = result.timeseries, result.queues
    names = list(queues["resource"].unique())
    span = ts["time"].max() - ts["time"].min()
    rows = []
    for rep in sorted(queues[REPLICATION].unique()):
        ts_rep = ts[ts[REPLICATION] == rep]
        for name in names:
            cap = queues.loc[(queues[REPLICATION] == rep) & (queues["resource"] == name), "capacity"]
            rows.append({REPLICATION: rep, "resource": name, **outcomes.of(rep, name), **_occupancy(ts_rep, name, span),
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
